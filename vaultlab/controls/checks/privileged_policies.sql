-- title: No policy grants broad or privileged access
-- thresholds: none
-- evidence: policy_findings
-- about: no current ACL policy grants broad or privileged access without reason.
select 'policy ' || policy || ' path ' || path || ' (' || finding || ')' as resource, 'alarm' as status,
       'Policy ' || reason || '.' as reason
from policy_findings
union all
select 'policies', 'ok', 'No current policy grants wildcard, sudo or sys/ write access.'
where exists (select 1 from policy_snapshots where taken_at <= vl_period_end())
  and not exists (select 1 from policy_findings)
union all
select null, 'skip', 'No policies are loaded: run `vaultlab policies load`.'
where not exists (select 1 from policy_snapshots where taken_at <= vl_period_end())
