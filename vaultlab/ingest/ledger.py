"""The ingest ledger: one row per input file, its counts and what was done with it."""

LEDGER_COLUMNS = ("file_id, path, sha256, bytes, format, lines_read, events_loaded, duplicates, quarantined, "
                  "events_created, raw_values, log_raw, started_at, finished_at, plain_accessors")
# a ledger row, its start time given and its end time now(); plain_accessors last
INSERT_LEDGER_ROW = (f"insert into ingest_files ({LEDGER_COLUMNS}) "
                     "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?)")

RECORD_IDENTITY = 2  # the record identity this vaultlab writes (schema migration 7)
COUNT_OLD_IDENTITY_FILES = f"select count(*) from ingest_files where record_identity < {RECORD_IDENTITY}"


def old_identity_warning(files: int) -> str:
    """One line for a warehouse holding files whose records were hashed by an older vaultlab."""
    return (f"warning: {files} file(s) in this warehouse were loaded by a vaultlab older than schema 7, which "
            "identified records differently: a record of theirs that arrives again in another file (a rotated "
            "copy, a re-export) is counted as new, not as a duplicate; to be sure of the counts, load all the "
            "logs again into a new warehouse (vaultlab --db NEW.duckdb ingest ...)")
