-- title: anomalies
-- about: one row per anomaly signal occurrence in the period (view anomalies), traced to its first
--   and last event: the one at first_seen (last_seen) of its actor, else of its resource, else from
--   its address (the smallest event id when several share that instant); `events` counts them
-- key: reason
select a.*,
       (select min(e.event_id) from events e
        where e.ts = a.first_seen
          and (e.actor = a.actor or a.actor is null and (e.resource = a.resource
                                                        or a.resource is null and e.src_ip = a.src_ip)))
           as first_event_id,
       (select min(e.event_id) from events e
        where e.ts = a.last_seen
          and (e.actor = a.actor or a.actor is null and (e.resource = a.resource
                                                        or a.resource is null and e.src_ip = a.src_ip)))
           as last_event_id
from anomalies a
