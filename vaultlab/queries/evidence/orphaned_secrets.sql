-- title: orphaned secrets
-- about: one row per secret not read for more than orphan_days (view orphaned_secrets), traced to
--   the inventory snapshot it comes from and to its last read in the audit log, if any
-- key: secret_id
select o.*, s.snapshot_id as inventory_snapshot_id,
       (select min(e.event_id) from events e
        where e.ts = o.last_read_at and e.category = 'secret.read' and e.outcome = 'ok'
          and (e.resource = o.secret_id or e.resource_alias = o.secret_id)) as last_read_event_id
from orphaned_secrets o
left join secrets s using (secret_id)
