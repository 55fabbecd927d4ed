-- title: the period and the thresholds, as every view and check reads them
-- about: vl_period_start/vl_period_end come from the DuckDB variables period_start/period_end
--   (end exclusive), else the whole loaded range; vl_threshold(name) from a variable of its
--   name, else the thresholds of the last vaultlab run (table vl_config).
--   A day or a time without an offset ('2026-10-01', DATE '2026-10-01', TIMESTAMP ...) is UTC,
--   whatever the session's TimeZone; a time with an offset (TIMESTAMPTZ, '...Z', '...+02') is that
--   instant; anything else ('2026-10') is an error that says what to set.
create or replace macro vl_period_bound(name) as (
    with bound as (select getvariable(name) as raw, getvariable(name)::varchar as given)
    select
        case
            when raw is null then null::timestamptz
            when regexp_full_match(
                    given, '[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?)?'
                ) then timezone('UTC', given::timestamp)
            when regexp_full_match(
                    given, '[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9:.]+(Z|[+-][0-9]{2}(:?[0-9]{2})?)'
                ) then given::timestamptz
            -- a cast that fails with the message (error() is volatile, which window ORDER BYs refuse)
            else (
                'the DuckDB variable ' || name || ' = ''' || given || ''' is not a day or a time; '
                || 'set period_start to the first day and period_end to the day after the last '
                || '(UTC, end exclusive), e.g. SET VARIABLE period_start = ''2026-10-01''; '
                || 'SET VARIABLE period_end = ''2026-11-01'''
            )::timestamptz
        end
    from bound
);
create or replace macro vl_period_start() as
    coalesce(vl_period_bound('period_start'), (select min(ts) from event_store),
             timestamptz '1970-01-01 00:00:00+00');
create or replace macro vl_period_end() as
    coalesce(vl_period_bound('period_end'),
             (select max(ts) + interval 1 microsecond from event_store), now());
-- the UTC calendar day of a time, whatever the client's TimeZone setting
create or replace macro vl_day(t) as timezone('UTC', t)::date;
-- the last day the period covers (UTC): time-dependent results are as of its end
create or replace macro vl_as_of_date() as vl_day(vl_period_end() - interval 1 microsecond);
create or replace macro vl_threshold(name) as
    coalesce(getvariable(name)::varchar, (select value from vl_config where key = name));
