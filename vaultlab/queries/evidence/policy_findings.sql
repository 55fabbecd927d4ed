-- title: policy findings
-- about: one row per risky rule in a current policy (view policy_findings)
select * from policy_findings
