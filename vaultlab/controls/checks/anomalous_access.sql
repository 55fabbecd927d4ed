-- title: Unusual access to secrets is noticed
-- thresholds: baseline_days, new_ip_prefix, volume_spike_factor, volume_min_reads, business_hours_start, business_hours_end, business_days, business_timezone, broad_access_secrets, multi_ip_actor_ips
-- evidence: anomalies
-- about: no unexplained access patterns (new address, volume spike, off-hours human
--   access, broad access, many addresses); each occurrence is an alarm to review.
select signal || ': ' || coalesce(actor_name, actor, resource)
           || coalesce(' @ ' || src_ip, '') || coalesce(' on ' || resource, '') as resource,
       'alarm' as status, reason || '.' as reason
from anomalies
where signal in ('new_source_ip', 'volume_spike', 'off_hours_human', 'broad_access', 'multi_ip_actor')
union all
select 'access patterns', 'ok', 'No anomalous access pattern in the period.'
where vl_logs_in_period()
  and not exists (select 1 from anomalies
                  where signal in ('new_source_ip', 'volume_spike', 'off_hours_human', 'broad_access', 'multi_ip_actor'))
union all
select * from vl_log_evidence()
