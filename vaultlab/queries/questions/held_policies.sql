-- title: the Vault ACL policies held at the period end, with their rules
-- about: one row per rule (or per policy without rules) of the latest current (observed, not
--   baseline) Vault policy snapshot at the period end: what the actor's tokens hold.
select t.snapshot_id, t.policy, t.text, coalesce(r.path, '') as path, coalesce(r.capabilities, []) as capabilities
from policy_texts t
join vl_policy_snapshots('current') cur on cur.snapshot_id = t.snapshot_id and cur.store = 'vault'
left join policy_rules r on r.snapshot_id = t.snapshot_id and r.policy = t.policy
order by t.policy, r.path
