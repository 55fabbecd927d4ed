-- title: No policy grants broad or privileged access
-- thresholds: none
-- evidence: policy_findings
-- about: no current ACL policy grants broad or privileged access without reason.
select 'policy ' || policy || ' path ' || path || ' (' || finding || ')' as resource, 'alarm' as status,
       'Policy ' || reason || '.' as reason
from policy_findings
union all
select 'policies', 'ok', 'No current policy grants wildcard, sudo or sys/ write access.'
where exists (select 1 from vl_policy_snapshots('latest'))
  and not exists (select 1 from policy_findings)
union all
select null, 'not_evaluated', 'No policies are loaded: run `vaultlab policies load`.'
where not exists (select 1 from vl_policy_snapshots('latest'))
union all
select * from vl_snapshot_evidence('policies')
