-- secrets: one row per secret in the latest inventory snapshot of its store.
-- Inputs: inventory_snapshots, inventory_rows (from `vaultlab inventory load`).
-- Parameters: the period end. The snapshot used for a store is the latest taken at or
-- before the period end; a store with none that early uses its earliest snapshot.
with chosen as (
    select store, snapshot_id from vl_inventory_snapshots()
)
select i.secret_id, i.store, i.name, i.kind, i.owner, i.environment, i.created_at,
       i.last_rotated_at, i.last_accessed_at, i.rotation_days, i.expires_at, i.snapshot_id
from inventory_rows i
join chosen c using (store, snapshot_id)
qualify row_number() over (partition by i.secret_id order by i.row_number desc) = 1
