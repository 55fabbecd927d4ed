"""A run's staged rows into the lake: accounting per file, events, quarantine, ledger; then commit.

The counts follow the DuckDB path (vaultlab/ingest/load.py): records are counted by their
first part (a CloudTrail batch read is one record, several rows), lines the reader could not
hand over are quarantined too, and events_created counts the events a file's records made
first (none for a half that completes an event already in the lake).
"""

from __future__ import annotations

from pyspark import StorageLevel
from pyspark.sql import functions as F

from vaultlab.errors import VaultlabError
from vaultlab.ingest.ledger import RECORD_IDENTITY
from vaultlab.ingest.pairing import EVENT_COLUMNS
from vaultlab.lake import spark_events
from vaultlab.lake.layout import Lake
from vaultlab.lake.spark_session import hadoop_uri
from vaultlab.lake.staging import Staging

LEDGER_DDL = ("file_id int, path string, sha256 string, bytes bigint, format string, lines_read bigint, "
              "events_loaded bigint, duplicates bigint, quarantined bigint, events_created bigint, "
              "raw_values bigint, log_raw boolean, started_at timestamp, finished_at timestamp, "
              "plain_accessors bigint, record_identity int")
_COMMIT_ORDER = ["event_store.rewrite", "event_store", "quarantine", "ingest_files"]  # the ledger last


def _per_file(df, **aggregates) -> dict[int, dict]:
    rows = df.groupBy("file_id").agg(*[expr.alias(name) for name, expr in aggregates.items()]).collect()
    return {row["file_id"]: row.asDict() for row in rows}


def load_staged(spark, lake: Lake, staging: Staging, staged, loading: dict) -> None:
    """Account for, stage and commit the files of `loading` (file_id -> (FileResult, survey))."""
    staged = staged.persist(StorageLevel.DISK_ONLY)
    try:
        _load(spark, lake, staging, staged, loading)
    finally:
        staged.unpersist()


def _load(spark, lake: Lake, staging: Staging, staged, loading: dict) -> None:
    failed = staged.filter("row_type = 'failed'").select("file_id", "reason").collect()
    hard = [row.reason for row in failed if not row.reason.startswith("skipped: ")]
    if hard:
        raise VaultlabError(f"{hard[0]}; nothing from this run was written to the lake")
    for row in failed:  # too large for its layout: skipped, as the DuckDB path skips it
        result, _ = loading.pop(row.file_id)
        result.file_id, result.skipped = None, row.reason.removeprefix("skipped: ")
    if not loading:
        return
    rows = staged.filter(F.col("file_id").isin(list(loading)))
    records = rows.filter("row_type = 'record'")
    lake_events = staging.table("event_store")
    built = spark_events.build(records.filter("reason is null"), lake_events)
    fresh = built.fresh.persist(StorageLevel.DISK_ONLY)
    first_part = F.col("part") == 0
    counts = _per_file(records, records=F.count(F.when(first_part, 1)),
                       bad=F.count(F.when(first_part & F.col("reason").isNotNull(), 1)))
    unread = _per_file(rows.filter("row_type = 'unreadable'"), n=F.count(F.lit(1)))
    loaded = _per_file(fresh, fresh=F.count(F.when(first_part, 1)), raw=F.sum("raw_values"),
                       plain=F.sum("plain_accessors"))
    times = _per_file(rows.filter("row_type = 'split'"), started=F.min("started_at"), finished=F.max("finished_at"))
    events = built.events.select(*EVENT_COLUMNS, "event_date")
    staging.write(events, "event_store")
    created = {row["file_id"]: row["count"] for row in built.owners.collect()}
    fresh.unpersist()
    _rewrite_partitions(spark, lake, staging, built.pulled)
    quarantine = rows.filter("(row_type = 'record' and reason is not null) or row_type = 'unreadable'") \
        .select("file_id", "line", "reason", "excerpt")
    staging.write(quarantine, "quarantine")
    ledger = []
    for file_id, (result, found) in loading.items():
        got, n, ok = counts.get(file_id, {}), unread.get(file_id, {}), loaded.get(file_id, {})
        records_n, bad, unreadable = got.get("records", 0), got.get("bad", 0), n.get("n", 0)
        result.lines_read = records_n + unreadable
        result.quarantined = bad + unreadable
        result.events_loaded = ok.get("fresh", 0)
        result.duplicates = records_n - bad - result.events_loaded
        result.events_created = created.get(file_id, 0)
        result.raw_values, result.plain_accessors = ok.get("raw") or 0, ok.get("plain") or 0
        started, finished = times[file_id]["started"], times[file_id]["finished"]
        result.seconds = (finished - started).total_seconds()
        ledger.append((file_id, result.path, found["sha256"], found["bytes"], result.format, result.lines_read,
                       result.events_loaded, result.duplicates, result.quarantined, result.events_created,
                       result.raw_values, result.raw_values > 0, started, finished, result.plain_accessors,
                       RECORD_IDENTITY))
    staging.write(spark.createDataFrame(ledger, LEDGER_DDL), "ingest_files")
    staging.commit(_COMMIT_ORDER)


def _rewrite_partitions(spark, lake: Lake, staging: Staging, pulled) -> None:
    """Lone halves paired in this run leave the lake: their partitions are written again without them."""
    keys = pulled.collect()
    if not keys:
        return
    table = hadoop_uri(lake.table_uri("event_store"))
    gone = spark.createDataFrame([(k.file_id, k.line, k.has_request) for k in keys],
                                "file_id int, line bigint, has_request boolean")
    for source, day in sorted({(k.source, k.event_date) for k in keys}):
        old = staging.files(f"{table}/source={source}/event_date={day}")
        kept = spark.read.parquet(*old).withColumn("source", F.lit(source)) \
            .withColumn("event_date", F.lit(day).cast("date")) \
            .join(F.broadcast(gone), ["file_id", "line", "has_request"], "left_anti")
        staging.write(kept.select(*EVENT_COLUMNS, "event_date"), "event_store", folder="event_store.rewrite")
        staging.replaced += old
