-- title: Failed logins and denied requests are noticed
-- thresholds: failed_auth_count, failed_auth_window_minutes, denied_min
-- evidence: anomalies
-- about: bursts of failed logins and repeated permission-denied requests are noticed.
select signal || ': ' || coalesce(actor_name, actor, '?') || coalesce(' @ ' || src_ip, '')
           || coalesce(' on ' || resource, '') as resource,
       'alarm' as status, reason || '.' as reason
from anomalies
where signal in ('failed_auth_burst', 'denied_requests')
union all
select 'failed access', 'ok', 'No failed-login burst and no repeated denied requests in the period.'
where vl_logs_in_period() and not exists (select 1 from anomalies where signal in ('failed_auth_burst', 'denied_requests'))
union all
select * from vl_log_evidence()
