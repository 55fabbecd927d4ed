-- title: rotation status
-- about: one row per inventoried secret: its rotation status as of the period end (view
--   rotation_status), traced to the inventory snapshot it comes from and, when the audit log shows
--   its last rotation, to that event
-- key: secret_id
select r.*, s.snapshot_id as inventory_snapshot_id,
       (select min(e.event_id) from events e
        where r.rotation_seen_in = 'audit log' and e.ts = r.last_rotated_at and e.outcome = 'ok'
          and (e.resource = r.secret_id or e.resource_alias = r.secret_id)) as rotation_event_id
from rotation_status r
left join secrets s using (secret_id)
