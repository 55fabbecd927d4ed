-- title: policy findings
-- about: one row per risky rule in a current policy (view policy_findings), with the policy
--   snapshot it was read from
-- key: policy, path, finding
select f.*, (select c.snapshot_id from vl_policy_snapshots('latest') c where c.store = 'vault') as snapshot_id
from policy_findings f
