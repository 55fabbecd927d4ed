-- access_inventory: one row per actor x secret that any secret operation touched in the period.
-- Inputs: events. Parameters: the period (vl_period_start/vl_period_end).
-- Answers: who read, wrote, listed or was denied which secret, when first and last, from where.
-- An event whose source named no one is listed under '(unidentified)', never dropped.
select
    coalesce(actor, '(unidentified)') as actor,
    max(actor_name) as actor_name,
    max(actor_type) as actor_type,
    resource,
    count(*) filter (where category = 'secret.read' and outcome = 'ok') as reads,
    count(*) filter (where category in ('secret.write', 'secret.delete') and outcome = 'ok') as writes,
    count(*) filter (where category = 'secret.list' and outcome = 'ok') as lists,
    count(*) filter (where outcome = 'denied') as denied,
    min(ts) as first_seen,
    max(ts) as last_seen,
    list_sort(list_distinct(list(src_ip))) as src_ips
from events
where ts >= vl_period_start() and ts < vl_period_end()
  and category like 'secret.%'
group by all
