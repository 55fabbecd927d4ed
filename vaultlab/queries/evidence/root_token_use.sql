-- title: root token use
-- about: one row per event made with a root token in the period, with its event id, file and line
-- key: src_ip, day
select ts, vl_day(ts) as day, actor_name, src_ip, category, resource, outcome, path, event_id, file_id, line
from events
where actor_type = 'root' and ts >= vl_period_start() and ts < vl_period_end()
