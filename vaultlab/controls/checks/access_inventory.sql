-- title: Access to secrets is inventoried for review
-- thresholds: none
-- evidence: access_inventory
-- about: who accessed which secrets in the period (evidence for access review).
select coalesce(actor_name, actor) || ' (' || actor_type || ')' as resource, 'info' as status,
       coalesce(actor_name, actor) || ' read ' || sum(reads) || ' time(s) and wrote ' || sum(writes)
           || ' time(s) across ' || count(*) || ' secret(s), from ' || len(list_distinct(flatten(list(src_ips))))
           || ' address(es).' as reason
from access_inventory
group by actor, actor_name, actor_type
union all
select null, 'skip', 'No secret access is recorded in the period.'
where not exists (select 1 from access_inventory)
