-- title: The audit log is continuous and holds no raw values
-- thresholds: audit_gap_factor, audit_gap_min_hours
-- evidence: audit_gaps, input_files
-- about: the audit log has no unexplained silence, and no device logs raw values (log_raw=true)
--   or token accessors in clear (hmac_accessor=false).
select source || ' gap ' || strftime(timezone('UTC', gap_start), '%Y-%m-%dT%H:%MZ') as resource, 'alarm' as status,
       reason || ', from ' || strftime(timezone('UTC', gap_start), '%Y-%m-%d %H:%M') || ' to '
           || strftime(timezone('UTC', gap_end), '%Y-%m-%d %H:%M') || ' UTC.' as reason
from audit_gaps
union all
select path, 'alarm', path || ' holds ' || raw_values
           || ' plain-text value(s) where HMACs belong: the audit device runs with log_raw=true.'
from ingest_files where log_raw
union all
select path, 'alarm', path || ' holds ' || plain_accessors
           || ' token accessor(s) in clear, tokens and data HMAC''d: the audit device runs with hmac_accessor=false.'
from ingest_files where plain_accessors > 0
union all
select 'audit log', 'ok', 'The audit log covers the period without unusual gaps.'
where not exists (select 1 from audit_gaps) and exists (select 1 from events where ts >= vl_period_start()
                                                         and ts < vl_period_end())
union all
select null, 'skip', 'No audit events are loaded for the period: run `vaultlab ingest`.'
where not exists (select 1 from events where ts >= vl_period_start() and ts < vl_period_end())
