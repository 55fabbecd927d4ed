-- policy_changes: one row per write or delete of an ACL policy seen in the audit log in the period.
-- Inputs: events (category policy.change: Vault's sys/policy/*, sys/policies/acl/*; a cloud
-- secret's resource policy or IAM policy, named by the secret).
-- Parameters: the period.
select ts,
       case when source = 'vault' then regexp_extract(path, '([^/]+)$', 1) else coalesce(resource, path) end as policy,
       actor, actor_name, actor_type, action, outcome, src_ip, path
from events
where category = 'policy.change'
  and ts >= vl_period_start() and ts < vl_period_end()
