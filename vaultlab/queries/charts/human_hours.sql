-- title: successful human requests by UTC hour and weekday
select isodow(timezone('UTC', ts)) as weekday, hour(timezone('UTC', ts)) as hour, count(*) as requests
from events where actor_type = 'human' and outcome = 'ok'
and ts >= vl_period_start() and ts < vl_period_end() group by all order by all
