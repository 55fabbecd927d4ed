-- title: log integrity
-- about: one row per finding of the latest CloudTrail integrity run per location (run_id: that run)
-- key: path
select r.location, r.checked_at, r.valid_digests, r.valid_log_files, r.ok, f.kind, f.path, f.detail, r.run_id
from integrity_runs r
left join integrity_findings f using (run_id)
qualify dense_rank() over (partition by r.location order by r.checked_at desc) = 1
