-- title: the period and the thresholds, as every view and check reads them
-- about: vl_period_start/vl_period_end come from the DuckDB variables period_start/period_end
--   (UTC, end exclusive), else the whole loaded range; vl_threshold(name) from a variable of its
--   name, else the thresholds of the last vaultlab run (table vl_config).
create or replace macro vl_period_start() as
    coalesce(getvariable('period_start')::timestamptz, (select min(ts) from event_store),
             timestamptz '1970-01-01 00:00:00+00');
create or replace macro vl_period_end() as
    coalesce(getvariable('period_end')::timestamptz,
             (select max(ts) + interval 1 microsecond from event_store), now());
-- the last day the period covers: time-dependent results are as of its end
create or replace macro vl_as_of_date() as (vl_period_end() - interval 1 microsecond)::date;
-- the UTC calendar day of a time, whatever the client's TimeZone setting
create or replace macro vl_day(t) as timezone('UTC', t)::date;
create or replace macro vl_threshold(name) as
    coalesce(getvariable(name)::varchar, (select value from vl_config where key = name));
