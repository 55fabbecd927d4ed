-- title: Root tokens are not used day to day
-- thresholds: none
-- evidence: root_token_use
-- about: root tokens are not used for day-to-day access.
select 'root token @ ' || coalesce(src_ip, '?') || ' ' || strftime(timezone('UTC', min(ts)), '%Y-%m-%d') as resource,
       'alarm' as status,
       'A root token made ' || count(*) || ' request(s) on ' || strftime(timezone('UTC', min(ts)), '%Y-%m-%d')
           || ' from ' || coalesce(src_ip, 'an unknown address') || ', e.g. ' || min(path) || '.' as reason
from events
where actor_type = 'root' and ts >= vl_period_start() and ts < vl_period_end()
group by src_ip, vl_day(ts)
union all
select 'root token', 'ok', 'No root token was used in the period.'
where vl_logs_in_period()
  and not exists (select 1 from events where actor_type = 'root' and ts >= vl_period_start() and ts < vl_period_end())
union all
select * from vl_log_evidence()
