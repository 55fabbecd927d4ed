-- source_coverage: one row per audit source seen before the period end: how its events cover the
-- period. Inputs: events (of the period, and of the baseline_days before it: the source's usual
-- cadence is the median gap between its consecutive events over that stretch).
-- Parameters: the period; baseline_days, audit_gap_factor, audit_gap_min_hours (a silence longer
-- than both audit_gap_min_hours and audit_gap_factor x the usual gap leaves the start or the end
-- of the period uncovered). A period not ended yet is covered up to now (variable vl_now).
-- coverage: none (no event in the period), partial (its start or its end is not covered), full.
with p as (
    select vl_period_start() as p_start, vl_period_end() as p_end,
           least(vl_period_end(), coalesce(getvariable('vl_now')::timestamptz, now())) as p_until,
           to_days(vl_threshold('baseline_days')::integer) as baseline
),
recent as (
    -- seconds as a difference of epochs, not an interval: the same number in every SQL dialect
    select e.source, e.ts, epoch(e.ts) - epoch(lag(e.ts) over (partition by e.source order by e.ts)) as gap_seconds
    from events e, p
    where e.ts >= p.p_start - p.baseline and e.ts < p.p_end
),
usual as (
    select source, median(gap_seconds) as usual_gap_seconds from recent group by source
),
sources as (
    select source, min(ts) as seen_since from events, p where ts < p.p_end group by source
),
in_period as (
    select r.source, min(r.ts) as first_event, max(r.ts) as last_event, count(*) as events,
           count(distinct date_trunc('hour', timezone('UTC', r.ts))) as hours_covered,
           list_distinct(list(vl_day(r.ts))) as days_seen
    from recent r, p
    where r.ts >= p.p_start
    group by r.source
),
joined as (
    select s.source, p.p_start, p.p_end, p.p_until, i.first_event, i.last_event, coalesce(i.events, 0) as events,
           coalesce(i.hours_covered, 0) as hours_covered, coalesce(i.days_seen, []) as days_seen,
           u.usual_gap_seconds,
           greatest(vl_threshold('audit_gap_min_hours')::double * 3600,
                    vl_threshold('audit_gap_factor')::double * coalesce(u.usual_gap_seconds, 0)) as allowed_seconds
    from sources s cross join p
    left join in_period i using (source)
    left join usual u using (source)
)
select source, p_start as period_start, p_end as period_end, first_event, last_event, events,
       hours_covered,
       ceil((epoch(p_until) - epoch(p_start)) / 3600)::bigint as hours_in_period,
       len(list_filter(range(vl_day(p_start)::timestamp, vl_day(p_until - interval 1 microsecond)::timestamp
                                                          + interval 1 day, interval 1 day),
                       lambda d: not list_contains(days_seen, d::date))) as days_without_events,
       round(usual_gap_seconds, 1) as usual_gap_seconds,
       round(allowed_seconds / 3600, 2) as allowed_silence_hours,
       coalesce(epoch(first_event) - epoch(p_start) <= allowed_seconds, false) as start_covered,
       coalesce(epoch(p_until) - epoch(last_event) <= allowed_seconds, false) as end_covered,
       case when events = 0 then 'none'
            when epoch(first_event) - epoch(p_start) > allowed_seconds
                 or epoch(p_until) - epoch(last_event) > allowed_seconds then 'partial'
            else 'full' end as coverage
from joined
