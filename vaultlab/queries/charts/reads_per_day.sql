-- title: successful secret reads per UTC day and actor type
select vl_day(ts)::varchar as day, actor_type, count(*) as reads from events
where category = 'secret.read' and outcome = 'ok'
and ts >= vl_period_start() and ts < vl_period_end()
group by all order by all
