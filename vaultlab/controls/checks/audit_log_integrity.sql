-- title: CloudTrail log files are proven intact by their digests
-- thresholds: none
-- evidence: log_integrity
-- about: every CloudTrail file loaded lies under a location whose latest
--   `vaultlab verify-cloudtrail` run found its digest chain, signatures and log file hashes
--   intact. A finding of that run, a loaded file under no verified location, and a run that
--   validated no log file at all are alarms. No CloudTrail loaded: the check does not apply (info).
with latest as (
    select *, rtrim(location, '/') || '/' as prefix from integrity_runs
    qualify row_number() over (partition by location order by checked_at desc) = 1
),
loaded as (
    select path from ingest_files where format = 'cloudtrail'
),
unverified as (
    select path from loaded l
    where not exists (select 1 from latest v where starts_with(l.path, v.prefix) and v.valid_log_files > 0)
)
select f.path as resource, 'alarm' as status,
       f.kind || ': ' || coalesce(f.detail, '') || ' (verified '
           || strftime(timezone('UTC', l.checked_at), '%Y-%m-%d %H:%M') || ' UTC)' as reason
from latest l join integrity_findings f using (run_id)
union all
select location, 'alarm', location || ': the verification found no valid log file, so it vouches for nothing.'
from latest where valid_log_files = 0 and ok
union all
select 'cloudtrail', 'alarm', count(*) || ' CloudTrail file(s) loaded from a location never verified, such as '
           || min(path) || ': run `vaultlab verify-cloudtrail` on the trail''s bucket or folder.'
from unverified having count(*) > 0
union all
select location, 'ok', location || ': ' || valid_digests || ' digest file(s) and ' || valid_log_files
           || ' log file(s) valid when verified ' || strftime(timezone('UTC', checked_at), '%Y-%m-%d %H:%M') || ' UTC.'
from latest where ok and valid_log_files > 0 and exists (select 1 from loaded l where starts_with(l.path, prefix))
union all
select null, 'info', 'No CloudTrail logs are loaded: log file integrity validation does not apply.'
where not exists (select 1 from loaded)
