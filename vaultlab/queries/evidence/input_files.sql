-- title: input files
-- about: one row per input file in the ingest ledger
select file_id, path, sha256, bytes, format, lines_read, events_loaded, duplicates, quarantined, log_raw
from ingest_files
