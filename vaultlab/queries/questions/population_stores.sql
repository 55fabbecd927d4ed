-- title: the report's scope: one row per secret store, with the inventory and policy snapshots in force
with inv as (
    select i.store, i.snapshot_id, i.taken_at, (select count(*) from secrets s where s.store = i.store) as secrets
    from vl_inventory_snapshots() i
),
pol as (
    select p.store, p.snapshot_id, p.taken_at,
           (select count(*) from policy_texts t where t.snapshot_id = p.snapshot_id) as policies
    from vl_policy_snapshots('latest') p
)
select coalesce(inv.store, pol.store) as store,
       inv.snapshot_id as inventory_snapshot_id, inv.taken_at as inventory_taken_at, coalesce(inv.secrets, 0) as secrets,
       pol.snapshot_id as policy_snapshot_id, pol.taken_at as policies_taken_at, coalesce(pol.policies, 0) as policies
from inv
full outer join pol using (store)
order by store
