-- title: audit gaps
-- about: one row per silent stretch of a source's log in the period (view audit_gaps), traced to the
--   last event before it and the first event after it
-- key: source, reason
select g.*,
       (select min(e.event_id) from events e where e.source = g.source and e.ts = g.gap_start)
           as before_event_id,
       (select min(e.event_id) from events e where e.source = g.source and e.ts = g.gap_end)
           as after_event_id
from audit_gaps g
