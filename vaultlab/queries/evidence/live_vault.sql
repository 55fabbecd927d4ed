-- title: live vault
-- about: one row per fact (audit devices, mounts, tokens) of the latest Vault collection per source
--   (run_id: the collection it comes from)
-- key: source, name
select r.source, r.taken_at, f.kind, f.name, f.data, r.run_id
from vl_latest_collections('vault') r
join collected_facts f using (run_id)
where f.kind in ('audit_devices', 'mounts', 'tokens')
