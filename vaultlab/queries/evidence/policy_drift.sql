-- title: policy drift
-- about: one row per policy that differs from its approved baseline (view policy_drift), with the
--   baseline and current policy snapshots compared
-- key: policy
select d.*,
       (select b.snapshot_id from vl_policy_snapshots('baseline') b where b.store = d.store)
           as baseline_snapshot_id,
       (select c.snapshot_id from vl_policy_snapshots('latest') c where c.store = d.store)
           as current_snapshot_id
from policy_drift d
