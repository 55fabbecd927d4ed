-- title: readers before the window
-- about: one row per actor that read the suspect secret successfully in the window given (the
--   same length of time before the exposure window); reads `incident_access`.
select actor, max(actor_name) as actor_name, count(*) as reads, list_sort(list_distinct(list(src_ip))) as src_ips
from incident_access
where category = 'secret.read' and outcome = 'ok'
group by actor
order by reads desc, actor
