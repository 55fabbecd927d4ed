-- title: access inventory
-- about: one row per actor and secret: reads, writes, denials in the period (view access_inventory),
--   traced to the first and last of its events (by time, then event id) and their count
-- key: actor, resource
with traced as (
    select coalesce(actor, '(unidentified)') as actor, resource,
           arg_min(event_id, (ts, event_id)) as first_event_id,
           arg_max(event_id, (ts, event_id)) as last_event_id,
           count(*) as events
    from events
    where ts >= vl_period_start() and ts < vl_period_end()
      and category like 'secret.%'
    group by all
)
select a.*, t.first_event_id, t.last_event_id, t.events
from access_inventory a
left join traced t on t.actor = a.actor and t.resource is not distinct from a.resource
