-- title: the snapshots in force for a period, written once for every view, check and question
-- about: one rule for inventories, policies and live collections: per store, the snapshot in
--   force is the latest taken at or before the period end; if there is none, the earliest one
--   taken after it (snapshots taken the same day as that one count as one collection).
--   vl_snapshot_rank(taken_at) orders candidates by that rule (smallest first);
--   vl_snapshot_label(what, taken_at) says "policies as collected on 2026-11-01, after the period
--   end" for a snapshot taken after it (NULL otherwise); vl_snapshot_late(taken_at) is true when it
--   was taken more than snapshot_grace_days after the period end: checks relying on it are
--   incomplete.
--   vl_inventory_snapshots(): per store, the inventory snapshot in force.
--   vl_policy_snapshots(kind): per store, the policy snapshot in force of a kind: 'baseline' (an
--   approved set), 'current' (an observed, non-baseline set: what tokens hold) or 'latest'
--   (either: the set in force, as policy_drift and policy_findings read it; after the period
--   end, of a day's snapshots the current set is preferred to the baseline).
--   vl_latest_collections(store_name): per source of that store (every store when NULL), the
--   live collection in force.
create or replace macro vl_snapshot_rank(taken_at) as
    [(taken_at > vl_period_end())::integer,
     abs(epoch(taken_at) - epoch(vl_period_end()))];
create or replace macro vl_snapshot_label(what, taken_at) as
    case when taken_at > vl_period_end()
         then what || ' as collected on ' || strftime(timezone('UTC', taken_at), '%Y-%m-%d')
              || ', after the period end' end;
create or replace macro vl_snapshot_late(taken_at) as
    taken_at > vl_period_end() + to_days(coalesce(vl_threshold('snapshot_grace_days'), '7')::integer);
create or replace macro vl_inventory_snapshots() as table
    select store, snapshot_id, taken_at
    from (select distinct r.store, r.snapshot_id, s.taken_at
          from inventory_rows r join inventory_snapshots s using (snapshot_id))
    qualify row_number() over (
        partition by store order by vl_snapshot_rank(taken_at), snapshot_id desc) = 1;
create or replace macro vl_policy_snapshots(kind) as table
    select store, snapshot_id, taken_at, baseline
    from policy_snapshots
    where kind = 'latest' or (kind = 'baseline' and baseline) or (kind = 'current' and not baseline)
    qualify row_number() over (
        partition by store
        order by vl_snapshot_rank(taken_at)[1],
                 case when taken_at > vl_period_end() then vl_day(taken_at) end,
                 case when taken_at > vl_period_end() then baseline end,
                 vl_snapshot_rank(taken_at)[2], snapshot_id desc) = 1;
create or replace macro vl_latest_collections(store_name) as table
    select *
    from collect_runs
    where store_name is null or store = store_name
    qualify row_number() over (
        partition by store, source order by vl_snapshot_rank(taken_at), run_id desc) = 1;
