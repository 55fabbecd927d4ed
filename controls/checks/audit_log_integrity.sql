-- audit_log_integrity: the delivered CloudTrail log files are intact, as the latest
-- `vaultlab verify-cloudtrail` run of each location found them (digest chain, signatures,
-- SHA-256 of every log file). CloudTrail loaded but never verified is reported, not passed.
with latest as (
    select * from integrity_runs
    qualify row_number() over (partition by location order by checked_at desc) = 1
)
select f.path as resource, 'alarm' as status,
       f.kind || ': ' || coalesce(f.detail, '') || ' (verified '
           || strftime(timezone('UTC', l.checked_at), '%Y-%m-%d %H:%M') || ' UTC)' as reason
from latest l join integrity_findings f using (run_id)
union all
select location, 'ok', location || ': ' || valid_digests || ' digest file(s) and ' || valid_log_files
           || ' log file(s) valid when verified ' || strftime(timezone('UTC', checked_at), '%Y-%m-%d %H:%M') || ' UTC.'
from latest where ok
union all
select 'cloudtrail', 'alarm', 'CloudTrail logs are loaded but their integrity was never verified: '
           || 'run `vaultlab verify-cloudtrail` on the trail''s bucket or folder.'
where not exists (select 1 from latest)
  and exists (select 1 from ingest_files where format = 'cloudtrail')
union all
select null, 'skip', 'No CloudTrail logs are loaded: log file integrity validation does not apply.'
where not exists (select 1 from latest) and not exists (select 1 from ingest_files where format = 'cloudtrail')
