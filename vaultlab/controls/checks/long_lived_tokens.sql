-- title: Tokens are issued with bounded lifetimes
-- thresholds: token_max_ttl_hours
-- evidence: anomalies
-- about: tokens are issued with bounded lifetimes (token_max_ttl_hours).
select 'long_ttl_token: ' || coalesce(actor_name, actor) || ' at ' || strftime(timezone('UTC', first_seen), '%Y-%m-%dT%H:%M:%SZ')
           as resource,
       'alarm' as status, reason || '.' as reason
from anomalies where signal = 'long_ttl_token'
union all
select 'tokens', 'ok', 'No token was issued with a TTL over ' || vl_threshold('token_max_ttl_hours') || ' hours.'
where vl_logs_in_period() and not exists (select 1 from anomalies where signal = 'long_ttl_token')
union all
select * from vl_log_evidence()
