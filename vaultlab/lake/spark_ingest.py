"""`vaultlab lake ingest --engine spark`: raw audit logs into the lake, with Spark.

Spark distributes the files (a large plain log in splits); each task normalises its records
with an embedded DuckDB running the ingest's own records SQL (file_records.py); duplicate
skipping and request/response pairing across files are Spark joins (spark_events.py); the
run is staged and then committed (staging.py). Per file, as on the DuckDB path: lines read =
events loaded + duplicates + quarantined; quarantine rows with line numbers and reasons (no
values); a file already in the lake's ledger (same SHA-256) is skipped whole; a file that
fails leaves nothing behind: the run writes nothing at all.

From s3:// the driver lists the objects and the tasks download them with boto3, in an
environment the driver hands them (spark_session.aws_environment); an object already in the
ledger under its address and size is not downloaded again. An s3:// lake in local mode is
written through a local copy (spark_s3.py).
"""

from __future__ import annotations

import functools
import os

import pyarrow as pa

from vaultlab.errors import VaultlabError
from vaultlab.ingest import FileResult, load, reader, s3
from vaultlab.ingest.sources import SOURCES
from vaultlab.lake import file_records
from vaultlab.lake.layout import Lake, find_lake, normalise_uri, open_lake
from vaultlab.lake.spark_s3 import writable
from vaultlab.lake.spark_session import aws_environment, get_session, jvm_stopped
from vaultlab.lake.spark_write import load_staged
from vaultlab.lake.staging import Staging
from vaultlab.schema import LATEST

_TASK_DDL = "uri string, format string, file_id int, offset bigint, line bigint, stop bigint"


def plan_files(paths: list[str]) -> list[tuple[str, bool, str | None, int | None]]:
    """(file or s3:// object, named, why skipped, size of an object) in the DuckDB path's load order.

    The s3:// prefixes are listed here, by the driver, before anything is written."""
    local = [p for p in paths if not s3.is_s3(p)]
    if "-" in local:
        raise VaultlabError("Spark reads files, not standard input; save the log to a file first")
    plan = [(str(path), named, why, None) for path, named, why in load.discover(local)] if local else []
    for uri in (p for p in paths if s3.is_s3(p)):
        objects = [o for o in s3.list_objects(uri) if "/CloudTrail-Digest/" not in o.key]  # digests are not logs
        plan += [(o.uri, len(objects) == 1 and o.uri == uri, None, o.size) for o in objects]
    return plan


def _survey_partition(batches, source, split_bytes):
    for batch in batches:
        for row in batch.to_pylist():
            try:
                found = file_records.survey(row["uri"], source, row["named"], split_bytes)
                found["error"] = None
            except VaultlabError as err:
                found = {"uri": row["uri"], "error": str(err), "splits": []}
            yield pa.RecordBatch.from_pylist([found], schema=_SURVEY_ARROW)


_SURVEY_ARROW = pa.schema([("uri", pa.string()), ("sha256", pa.string()), ("bytes", pa.int64()),
                           ("format", pa.string()), ("skipped", pa.string()),
                           ("splits", pa.list_(pa.struct([("offset", pa.int64()), ("line", pa.int64())]))),
                           ("error", pa.string())])


def _normalise_partition(batches, max_line_bytes):
    for batch in batches:
        for task in batch.to_pylist():
            yield from file_records.normalise(task, max_line_bytes)


def survey(spark, plan: list[tuple], source: str | None) -> list[dict]:
    """Each file's SHA-256, size, source and splits, read by the executors; in plan order."""
    todo = [(uri, named) for uri, named, why, _ in plan if not why]
    found: dict[str, dict] = {}
    if todo:
        rdd = spark.sparkContext.parallelize(todo, min(len(todo), spark.sparkContext.defaultParallelism * 4))
        frame = spark.createDataFrame(rdd, "uri string, named boolean")
        ddl = file_records.SURVEY_SPARK_DDL + ", error string"
        task = functools.partial(_survey_partition, source=source,
                                 split_bytes=file_records.SPLIT_BYTES)  # the driver's: a task imports its own
        for row in frame.mapInArrow(task, ddl).collect():
            if row["error"]:
                raise VaultlabError(row["error"])
            found[row["uri"]] = row.asDict(recursive=True)
    return [found.get(uri) or {"uri": uri, "skipped": why, "format": None} for uri, _, why, _ in plan]


def normalise(spark, tasks: list[dict], max_line_bytes: int):
    """Every task's staged rows (file_records.STAGED_TYPES) as one DataFrame."""
    rows = [(t["uri"], t["format"], t["file_id"], t["offset"], t["line"], t["stop"]) for t in tasks]
    rdd = spark.sparkContext.parallelize(rows, len(rows))  # a split or a file per task
    frame = spark.createDataFrame(rdd, _TASK_DDL)
    return frame.mapInArrow(functools.partial(_normalise_partition, max_line_bytes=max_line_bytes),
                            file_records.STAGED_SPARK_DDL)


def lake_ingest(lake_uri: str, paths: list[str], *, source: str | None = None, spark=None,
                max_line_bytes: int = reader.MAX_LINE_BYTES) -> list[FileResult]:
    """Load every file under `paths` into the lake; one result per file, in load order.

    The inputs are listed and surveyed before the lake is touched: a missing bucket, missing
    credentials or an unknown named file stop the run with nothing written, not even a new lake."""
    if source is not None and source not in SOURCES:
        raise VaultlabError(f"unknown source {source!r}; known sources: {', '.join(SOURCES)}")
    spark = spark or get_session()
    if "://" not in lake_uri:  # Spark and Hadoop resolve relative paths their own way
        lake_uri = os.path.abspath(lake_uri)
    plan = plan_files(paths)
    existing = find_lake(lake_uri)
    try:
        with aws_environment(spark), writable(spark, existing or Lake(normalise_uri(lake_uri), LATEST)) as target:
            return _ingest(spark, lake_uri, existing, target, plan, source, max_line_bytes)
    except Exception as err:
        why = jvm_stopped(err)
        if why is None:
            raise
        raise VaultlabError(f"{why}; nothing from this run was written to the lake") from None


def _ingest(spark, lake_uri: str, existing: Lake | None, target: Lake, plan: list[tuple], source: str | None,
            max_line_bytes: int) -> list[FileResult]:
    staging = Staging(spark, target)
    ledger = staging.table("ingest_files") if existing else None
    known, objects = {}, {}
    if ledger is not None:
        firsts = ledger.groupBy("sha256", "path", "bytes").agg({"file_id": "min"}).collect()
        for sha256, path, size, first in firsts:
            known[sha256] = min(first, known.get(sha256, first))
            if s3.is_s3(path):
                objects[(path, size)] = min(first, objects.get((path, size), first))
    # an object already in the ledger under its address and size is not downloaded again (as `vaultlab ingest`)
    again = {uri: objects[(uri, size)] for uri, _, why, size in plan if not why and (uri, size) in objects}
    surveyed = survey(spark, [entry for entry in plan if entry[0] not in again], source)
    next_id = 1 if ledger is None else (ledger.agg({"file_id": "max"}).collect()[0][0] or 0) + 1
    results = [FileResult(path=uri, format="", file_id=None, already_loaded_as=first) for uri, first in again.items()]
    tasks, loading = [], {}
    for found in surveyed:
        result = FileResult(path=found["uri"], format=found["format"] or "", file_id=None, skipped=found["skipped"])
        results.append(result)
        if result.skipped:
            continue
        if found["sha256"] in known:
            result.already_loaded_as = known[found["sha256"]]
            continue
        result.file_id = known[found["sha256"]] = next_id
        next_id += 1
        loading[result.file_id] = (result, found)
        tasks += file_records.split_tasks(found, result.file_id)
    if existing is None:
        open_lake(lake_uri, create=True)
    if tasks:
        try:
            load_staged(spark, target, staging, normalise(spark, tasks, max_line_bytes), loading)
        except BaseException:
            staging.discard()
            raise
    return results
