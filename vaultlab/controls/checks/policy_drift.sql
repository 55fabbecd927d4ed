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
where exists (select 1 from vl_policy_snapshots('baseline'))
  and not exists (select 1 from policy_drift)
union all
select null, 'not_evaluated', 'No approved baseline is loaded: run `vaultlab policies load --baseline`.'
where not exists (select 1 from vl_policy_snapshots('baseline'))
union all
select null, 'not_evaluated', 'Only an approved baseline is loaded, no current policies: run `vaultlab policies load` '
           || '(or `policies collect`) to compare with it.'
where exists (select 1 from vl_policy_snapshots('baseline')) and not exists (select 1 from vl_policy_snapshots('current'))
union all
select * from vl_snapshot_evidence('baseline policies')
union all
select * from vl_snapshot_evidence('policies')
