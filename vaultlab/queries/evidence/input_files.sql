-- title: input files
-- about: one row per input file in the ingest ledger (file_id: what `vaultlab trace FILE_ID:LINE` takes)
-- key: path
select file_id, path, sha256, bytes, format, lines_read, events_loaded, duplicates, quarantined, log_raw
from ingest_files
