-- audit_gaps: one row per silent stretch in a source's audit log that overlaps the period and is
-- far longer than the source's usual cadence (a gap in the audit log is a P1 finding).
-- Inputs: events. Parameters: the period, audit_gap_factor (times the median gap between
-- consecutive events), audit_gap_min_hours. Events up to 7 days before the period are read
-- so that a silence running into the period is seen.
with ordered as (
    select source, ts, lag(ts) over (partition by source order by ts) as previous
    from events
    where ts >= vl_period_start() - interval 7 day and ts < vl_period_end()
),
gaps as (
    select source, previous as gap_start, ts as gap_end,
           epoch(ts) - epoch(previous) as seconds
    from ordered
    where previous is not null
),
cadence as (
    select source, median(seconds) as median_seconds
    from gaps
    where gap_end >= vl_period_start()
    group by source
)
select g.source, g.gap_start, g.gap_end,
       round(g.seconds / 3600.0, 2) as hours,
       round(c.median_seconds, 1) as usual_gap_seconds,
       'no ' || g.source || ' events for ' || round(g.seconds / 3600.0, 1) || ' hours; usually one every '
           || round(c.median_seconds, 1) || ' seconds' as reason
from gaps g
join cadence c using (source)
where g.gap_end > vl_period_start()
  and g.seconds >= greatest(vl_threshold('audit_gap_min_hours')::double * 3600,
                            vl_threshold('audit_gap_factor')::double * c.median_seconds)
