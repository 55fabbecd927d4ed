-- policy_changes: one row per write or delete of an ACL policy seen in the audit log in the period.
-- Inputs: events (category policy.change: sys/policy/*, sys/policies/acl/*).
-- Parameters: the period.
select ts,
       regexp_extract(path, '([^/]+)$', 1) as policy,
       actor, actor_name, actor_type, action, outcome, src_ip, path
from events
where category = 'policy.change'
  and ts >= vl_period_start() and ts < vl_period_end()
