-- title: what a check's evidence lacks for the period, written once for every check
-- about: checks add these rows to their own, so that a check never says ok without evidence.
--   vl_logs_in_period(): whether any audit source has an event in the period.
--   vl_log_evidence(): one not_evaluated row when no audit source has an event in the period;
--   else one incomplete row per source whose events leave the start or the end of the period
--   uncovered (view source_coverage).
--   vl_snapshot_evidence(what): for the snapshots in force of one kind ('inventory', 'policies',
--   'baseline policies', 'live Vault collection'), one row per snapshot taken after the period end:
--   info (its date, within snapshot_grace_days) or incomplete (later than that).
create or replace macro vl_logs_in_period() as
    exists (select 1 from source_coverage where events > 0);
create or replace macro vl_log_evidence() as table
    select null::varchar as resource, 'not_evaluated' as status,
           'No audit events are loaded for the period: run `vaultlab ingest` with its logs.' as reason
    where not vl_logs_in_period()
    union all
    select source || ' audit log', 'incomplete',
           'The ' || source || ' audit log covers only part of the period: '
           || case when events = 0 then 'it holds no event in the period'
                   else 'its events run from ' || strftime(timezone('UTC', first_event), '%Y-%m-%d %H:%M')
                        || ' to ' || strftime(timezone('UTC', last_event), '%Y-%m-%d %H:%M') || ' UTC' end
           || ' (see source_coverage).'
    from source_coverage
    where vl_logs_in_period() and coverage <> 'full';
create or replace macro vl_snapshot_evidence(what) as table
    with in_force as (
        select store, taken_at from vl_inventory_snapshots() where what = 'inventory'
        union all
        select store, taken_at from vl_policy_snapshots('latest') where what = 'policies'
        union all
        select store, taken_at from vl_policy_snapshots('baseline') where what = 'baseline policies'
        union all
        select source, taken_at from vl_latest_collections('vault') where what = 'live Vault collection'
    )
    select store || ' ' || what as resource,
           case when vl_snapshot_late(taken_at) then 'incomplete' else 'info' end as status,
           'The ' || vl_snapshot_label(store || ' ' || what, taken_at)
           || case when vl_snapshot_late(taken_at)
                   then ': more than snapshot_grace_days (' || vl_threshold('snapshot_grace_days')
                        || ') after it, so it may not show the state at the period end; load one taken by then '
                        || '(--as-of).'
                   else ' (within snapshot_grace_days, ' || vl_threshold('snapshot_grace_days') || ').' end
           as reason
    from in_force
    where taken_at > vl_period_end();
