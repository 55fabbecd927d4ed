-- title: ACL policies match the approved baseline
-- thresholds: none
-- evidence: policy_drift
-- about: ACL policies match the approved baseline.
select 'policy ' || policy as resource, 'alarm' as status,
       'Policy ' || policy || ' was ' || change || ' since the approved baseline'
           || coalesce(': ' || replace(diff, chr(10), '; '), '') || '.' as reason
from policy_drift
union all
select 'policies', 'ok', 'The current ACL policies match the approved baseline.'
where exists (select 1 from policy_snapshots where baseline and taken_at <= vl_period_end())
  and not exists (select 1 from policy_drift)
union all
select null, 'skip', 'No approved baseline is loaded: run `vaultlab policies load --baseline`.'
where not exists (select 1 from policy_snapshots where baseline and taken_at <= vl_period_end())
