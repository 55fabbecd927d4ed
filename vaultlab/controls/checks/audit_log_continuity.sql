-- title: The audit log is continuous and holds no raw values
-- thresholds: audit_gap_factor, audit_gap_min_hours
-- evidence: audit_gaps, source_coverage, input_files
-- about: the audit log has no unexplained silence, its events reach the start and the end of the
--   period (source_coverage: a silence there longer than the source's usual cadence allows is an
--   alarm), and no device logs raw values (log_raw=true) or token accessors in clear
--   (hmac_accessor=false). A source with no event in the period is not_evaluated.
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
select source || ' start of period', 'alarm',
       'No ' || source || ' events from the start of the period (' || strftime(timezone('UTC', period_start), '%Y-%m-%d %H:%M')
           || ' UTC) until ' || strftime(timezone('UTC', first_event), '%Y-%m-%d %H:%M') || ' UTC; '
           || coalesce('usually one every ' || usual_gap_seconds || ' seconds.', 'its usual cadence is unknown.')
from source_coverage c
where events > 0 and not start_covered
  and not exists (select 1 from audit_gaps g where g.source = c.source and g.gap_start <= c.period_start)
union all
select source || ' end of period', 'alarm',
       'No ' || source || ' events after ' || strftime(timezone('UTC', last_event), '%Y-%m-%d %H:%M')
           || ' UTC up to the end of the period; ' || events || ' event(s) in the period, covering '
           || hours_covered || ' of its ' || hours_in_period || ' hours; '
           || coalesce('usually one every ' || usual_gap_seconds || ' seconds.', 'its usual cadence is unknown.')
from source_coverage
where events > 0 and not end_covered
union all
select source || ' audit log', 'not_evaluated',
       'No ' || source || ' events are loaded for the period (the last one loaded is from '
           || (select strftime(timezone('UTC', max(ts)), '%Y-%m-%d') from events e where e.source = c.source
               and e.ts < vl_period_end()) || '): run `vaultlab ingest` with its logs.'
from source_coverage c
where events = 0
union all
select 'audit log', 'ok', 'The audit log covers the period without unusual gaps.'
where not exists (select 1 from audit_gaps) and vl_logs_in_period()
  and not exists (select 1 from source_coverage where coverage <> 'full')
union all
select null, 'not_evaluated', 'No audit events are loaded for the period: run `vaultlab ingest` with its logs.'
where not exists (select 1 from source_coverage)
