-- title: the snapshots in force for a period, written once for every view, check and question
-- about: vl_inventory_snapshots(): per store, the inventory snapshot in force: the latest taken
--   at or before the period end, else the store's earliest one.
--   vl_policy_snapshots(kind): per store, the latest policy snapshot taken at or before the period
--   end of a kind: 'baseline' (an approved set), 'current' (an observed, non-baseline set: what
--   tokens hold) or 'latest' (either: the set in force, as policy_drift and policy_findings read it).
--   vl_latest_collections(store_name): per source of that store (every store when NULL), the
--   latest live collection taken at or before the period end.
create or replace macro vl_inventory_snapshots() as table
    select store, snapshot_id, taken_at
    from (select distinct r.store, r.snapshot_id, s.taken_at
          from inventory_rows r join inventory_snapshots s using (snapshot_id))
    qualify row_number() over (
        partition by store
        order by taken_at <= vl_period_end() desc,
                 case when taken_at <= vl_period_end() then taken_at end desc nulls last,
                 taken_at, snapshot_id desc) = 1;
create or replace macro vl_policy_snapshots(kind) as table
    select store, snapshot_id, taken_at
    from policy_snapshots
    where taken_at <= vl_period_end()
      and (kind = 'latest' or (kind = 'baseline' and baseline) or (kind = 'current' and not baseline))
    qualify row_number() over (partition by store order by taken_at desc, snapshot_id desc) = 1;
create or replace macro vl_latest_collections(store_name) as table
    select *
    from collect_runs
    where (store_name is null or store = store_name) and taken_at <= vl_period_end()
    qualify row_number() over (partition by store, source order by taken_at desc, run_id desc) = 1;
