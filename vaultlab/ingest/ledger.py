"""The ingest ledger: one row per input file, its counts and what was done with it."""

LEDGER_COLUMNS = ("file_id, path, sha256, bytes, format, lines_read, events_loaded, duplicates, quarantined, "
                  "events_created, raw_values, log_raw, started_at, finished_at, plain_accessors")
# a ledger row, its start time given and its end time now(); plain_accessors last
INSERT_LEDGER_ROW = (f"insert into ingest_files ({LEDGER_COLUMNS}) "
                     "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)")
