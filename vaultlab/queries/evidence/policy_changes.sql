-- title: policy changes
-- about: one row per policy write seen in the audit log in the period (view policy_changes), with
--   its event id
-- key: policy
select c.*,
       (select min(e.event_id) from events e
        where e.ts = c.ts and e.category = 'policy.change' and e.path is not distinct from c.path
          and e.actor is not distinct from c.actor) as event_id
from policy_changes c
