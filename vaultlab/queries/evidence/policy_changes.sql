-- title: policy changes
-- about: one row per policy write seen in the audit log in the period (view policy_changes)
select * from policy_changes
