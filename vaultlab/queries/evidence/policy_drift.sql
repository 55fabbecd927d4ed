-- title: policy drift
-- about: one row per policy that differs from its approved baseline (view policy_drift)
select * from policy_drift
