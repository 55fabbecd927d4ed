-- title: Access to secrets is inventoried for review
-- thresholds: none
-- evidence: access_inventory
-- about: who accessed which secrets in the period (evidence for access review): one info row per
--   actor and an ok verdict; not_evaluated without audit events, incomplete when they cover part of it.
select coalesce(actor_name, actor) || ' (' || actor_type || ')' as resource, 'info' as status,
       coalesce(actor_name, actor) || ' read ' || sum(reads) || ' time(s) and wrote ' || sum(writes)
           || ' time(s) across ' || count(*) || ' secret(s), from ' || len(list_distinct(flatten(list(src_ips))))
           || ' address(es).' as reason
from access_inventory
group by actor, actor_name, actor_type
union all
select 'access inventory', 'ok', count(distinct actor) || ' actor(s) accessed ' || count(distinct resource)
           || ' secret(s) in the period; each is listed.'
from access_inventory having count(*) > 0
union all
select 'access inventory', 'ok', 'No secret access is recorded in the period, whose audit log is loaded.'
where vl_logs_in_period() and not exists (select 1 from access_inventory)
union all
select * from vl_log_evidence()
