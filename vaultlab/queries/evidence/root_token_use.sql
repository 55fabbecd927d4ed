-- title: root token use
-- about: one row per event made with a root token in the period
select ts, actor_name, src_ip, category, resource, outcome, path
from events
where actor_type = 'root' and ts >= vl_period_start() and ts < vl_period_end()
