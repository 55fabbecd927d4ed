-- title: the report's scope: one row per audit source, with its accounts and how its events cover the period
select c.source,
       coalesce((select string_agg(distinct coalesce(e.account, e.source_host), ', ')
                 from events e
                 where e.source = c.source and e.ts >= vl_period_start() and e.ts < vl_period_end()), '') as accounts,
       c.events, c.first_event, c.last_event,
       c.hours_covered || ' of ' || c.hours_in_period as hours_with_events,
       c.days_without_events, c.coverage
from source_coverage c
order by c.source
