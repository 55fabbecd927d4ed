-- title: the report's scope: the size of each population the checks read, in one row
select
    (select count(*) from events where ts >= vl_period_start() and ts < vl_period_end()) as events,
    (select count(distinct actor) from events where ts >= vl_period_start() and ts < vl_period_end()) as actors,
    (select count(*) from secrets) as secrets,
    (select count(*) from policy_texts t
     where t.snapshot_id in (select p.snapshot_id from vl_policy_snapshots('latest') p)) as policies,
    (select count(*) from ingest_files) as input_files,
    (select coalesce(sum(quarantined), 0) from ingest_files) as quarantined_lines
