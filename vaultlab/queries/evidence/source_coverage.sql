-- title: source coverage
-- about: one row per audit source: how its events cover the period (view source_coverage), traced to
--   its first and last event in the period
-- key: source
select c.*,
       (select min(e.event_id) from events e where e.source = c.source and e.ts = c.first_event)
           as first_event_id,
       (select min(e.event_id) from events e where e.source = c.source and e.ts = c.last_event)
           as last_event_id
from source_coverage c
