-- title: files (`vaultlab info`)
select file_id, path, format, lines_read, events_loaded, duplicates, quarantined,
       events_created, case when log_raw then 'yes' else '' end as log_raw,
       left(sha256, 12) as sha256
from ingest_files order by file_id
