-- title: ACL policy changes are recorded
-- thresholds: none
-- evidence: policy_changes
-- about: every ACL policy change in the period is recorded (evidence for change review).
select 'policy ' || policy || ' at ' || strftime(timezone('UTC', ts), '%Y-%m-%dT%H:%M:%SZ') as resource,
       'info' as status,
       coalesce(actor_name, actor) || ' (' || actor_type || ') ' || action || 'd policy ' || policy
           || ' from ' || coalesce(src_ip, 'an unknown address') || ' (' || outcome || ').' as reason
from policy_changes
union all
select 'policy changes', 'ok', count(*) || ' ACL policy change(s) in the period, each recorded.'
from policy_changes having count(*) > 0
union all
select 'policy changes', 'ok', 'No ACL policy was changed in the period.'
where vl_logs_in_period() and not exists (select 1 from policy_changes)
union all
select * from vl_log_evidence()
