"""What a Spark task does with its files: survey them, and normalise their records with DuckDB.

This is the narrow seam between Spark and the DuckDB ingest: it calls the ingest's public
pieces only (`reader.record_batches`/`iter_line_batches`, `streams`, `load.sniff`, each source's
`RECORDS_SQL` and `excerpts.redact_excerpt`), so a record is normalised by the very SQL that
`vaultlab ingest` runs, in an embedded DuckDB inside the task. Nothing here imports Spark: the
functions take and return plain values and Arrow, and run the same in a test without Java.

A large plain JSON-lines file is cut into splits at line starts (found while the survey hashes
it), so one big Vault log still keeps every core busy; gzip and pretty-printed files are one
split each.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from vaultlab.errors import VaultlabError
from vaultlab.ingest import excerpts, load, reader, s3, streams
from vaultlab.ingest.sources import SOURCES
from vaultlab.ingest.sources.records import RECORD_TYPES

SPLIT_BYTES = 64 << 20  # a plain JSON-lines file is read by several tasks, a split each
OUTPUT_ROWS = 16_384  # rows per Arrow batch handed back to Spark: the JVM holds a batch whole

_BOOKKEEPING = ("line", "part", "reason", "excerpt", "rec_hash", "kind", "plain_accessors")
_ARROW = {"varchar": pa.string(), "json": pa.string(), "timestamptz": pa.timestamp("us", tz="UTC"),
          "bigint": pa.int64(), "integer": pa.int32(), "varchar[]": pa.list_(pa.string())}
_SPARK = {"varchar": "string", "json": "string", "timestamptz": "timestamp", "bigint": "bigint",
          "integer": "int", "varchar[]": "array<string>"}
# What a task hands back, one row each: a record ('record'), a line the reader could not hand
# over ('unreadable': too long, or where a .gz breaks), the end of a split ('split', its
# times), or a file that could not be read ('failed', the reason; nothing of it is written).
# rec_hash is the record hash as decimal text (Parquet and Spark have no 128-bit integer);
# rec_hex its 32 hex digits, for event ids made unique as the DuckDB path makes them.
STAGED_TYPES = {
    "row_type": "varchar", "file_id": "integer", "line": "bigint", "part": "integer", "reason": "varchar",
    "excerpt": "varchar", "rec_hash": "varchar", "rec_hex": "varchar", "kind": "varchar",
    "plain_accessors": "integer", "started_at": "timestamptz", "finished_at": "timestamptz",
    **{name: kind for name, kind in RECORD_TYPES.items() if name not in _BOOKKEEPING},
}
STAGED_ARROW = pa.schema([(name, _ARROW[kind]) for name, kind in STAGED_TYPES.items()])
STAGED_SPARK_DDL = ", ".join(f"{name} {_SPARK[kind]}" for name, kind in STAGED_TYPES.items())

SURVEY_SPARK_DDL = ("uri string, sha256 string, bytes bigint, format string, skipped string, "
                    "splits array<struct<offset:bigint,line:bigint>>")


class DownloadError(VaultlabError):
    """An s3:// object the task could not download: the run stops, as `vaultlab ingest` stops."""


@contextmanager
def local_copy(uri: str, start: int = 0, stop: int | None = None):
    """(local path, where its first byte is in `uri`): the file itself, or the bytes [start, stop)
    of an s3:// object downloaded for the task's use (a split's range only, not the whole object).

    The task's boto3 finds the endpoint, region (and, in local mode, the credentials) in the
    environment the driver handed its Python worker (spark_session.aws_environment)."""
    if not s3.is_s3(uri):
        yield Path(uri), 0
        return
    from botocore.exceptions import BotoCoreError, ClientError

    with tempfile.TemporaryDirectory(prefix="vaultlab-spark-") as scratch:
        bucket, key = s3.split_uri(uri)
        local = Path(scratch) / (Path(key).name or "object")
        try:
            if start == 0 and stop is None:
                s3.client().download_file(bucket, key, str(local))
            else:
                last = "" if stop is None else stop - 1
                ranged = s3.client().get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{last}")
                with open(local, "wb") as out:
                    shutil.copyfileobj(ranged["Body"], out, 8 << 20)
        except (BotoCoreError, ClientError) as err:
            raise DownloadError(f"cannot read {uri}: {err}; check the bucket name and the AWS credentials "
                                "of the Spark executors") from None
        yield local, start


def survey(uri: str, source: str | None, named: bool, split_bytes: int | None = None) -> dict:
    """SHA-256, size, source (or why skipped) and split points of one file, as the DuckDB path decides them.

    `split_bytes` (default SPLIT_BYTES) comes from the driver: a task's module has its own SPLIT_BYTES."""
    with local_copy(uri) as (path, _):  # an object that cannot be downloaded stops the run
        return _survey_copy(uri, path, source, named, split_bytes or SPLIT_BYTES)


def _survey_copy(uri: str, path: Path, source: str | None, named: bool, split_bytes: int) -> dict:
    out = {"uri": uri, "sha256": None, "bytes": None, "format": None, "skipped": None, "splits": []}
    try:
        out["bytes"] = path.stat().st_size
        empty = out["bytes"] == 0 or not streams.head(path, 1)
        found = None if empty else source or load.sniff(path)
        out["sha256"], out["splits"] = _hash_and_splits(path, found, split_bytes)
    except VaultlabError:
        if named:
            raise
        out["skipped"] = "not a readable gzip file"
        return out
    except OSError as err:
        out["skipped"] = f"not readable: {err.strerror or err}"
        return out
    if empty:
        out["skipped"] = load.EMPTY
    elif found is None and "CloudTrail-Digest" in Path(uri).parts:
        out["skipped"] = load.DIGEST
    elif found is None and named:
        raise VaultlabError(f"cannot tell the source of {uri}; if it is an audit log, "
                            f"pass --source ({', '.join(SOURCES)})")
    elif found is None:
        out["skipped"] = "not a known audit log format"
    out["format"] = found
    return out


def _hash_and_splits(path: Path, fmt: str | None, split_bytes: int) -> tuple[str, list[dict]]:
    """The file's SHA-256, and (offset, first line) of each split of a plain JSON-lines file."""
    splittable = fmt is not None and not streams.is_gzip(path) \
        and reader.layout(streams.head(path))[0] != "pretty" and not reader.layout(streams.head(path))[1]
    sha, splits, line, offset, next_cut = hashlib.sha256(), [{"offset": 0, "line": 1}], 1, 0, split_bytes
    with open(path, "rb") as fh:
        while block := fh.read(8 << 20):
            sha.update(block)
            if splittable:
                while offset + len(block) > next_cut:  # cut after the first newline past next_cut
                    nl = block.find(b"\n", max(next_cut - offset, 0))
                    if nl < 0:
                        break
                    cut_line = line + block.count(b"\n", 0, nl + 1)
                    splits.append({"offset": offset + nl + 1, "line": cut_line})
                    next_cut = offset + nl + 1 + split_bytes
                line += block.count(b"\n")
            offset += len(block)
    if splits[-1]["offset"] >= offset and len(splits) > 1:
        splits.pop()
    return sha.hexdigest(), splits


class _Slice(io.RawIOBase):
    """Bytes [start, stop) of a file; stop None reads to the end."""

    def __init__(self, path: Path, start: int, stop: int | None):
        self._fh = open(path, "rb")
        self._fh.seek(start)
        self._left = None if stop is None else stop - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        want = len(buffer) if self._left is None else min(len(buffer), self._left)
        n = self._fh.readinto(memoryview(buffer)[:want]) if want else 0
        if self._left is not None:
            self._left -= n
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def _records_sql(fmt: str) -> str:
    return ("select * exclude (rec_hash, excerpt, auth_metadata), rec_hash::varchar as rec_hash, "
            "lpad(lower(hex(rec_hash)), 32, '0') as rec_hex, auth_metadata::varchar as auth_metadata, "
            "case when reason is not null then excerpt end as excerpt "
            f"from ({SOURCES[fmt].RECORDS_SQL})")


def normalise(task: dict, max_line_bytes: int = reader.MAX_LINE_BYTES) -> Iterator[pa.RecordBatch]:
    """Staged rows (STAGED_ARROW) of one split: task = uri, format, file_id, offset, line, stop.

    A file that fails to read gives one 'failed' row (the driver then writes nothing of it);
    one too large for its layout gives a 'failed' row whose reason starts with "skipped: ".
    """
    started = datetime.now(timezone.utc)
    file_id, shift = task["file_id"], task["line"] - 1
    con = duckdb.connect()  # times leave as instants; their zone is set by the cast to STAGED_ARROW
    sql, oversized = _records_sql(task["format"]), reader.Oversized()
    try:
        with local_copy(task["uri"], task["offset"], task["stop"]) as (path, base):
            if task["offset"] or task["stop"] is not None:
                stop = None if task["stop"] is None else task["stop"] - base
                stream = io.BufferedReader(_Slice(path, task["offset"] - base, stop), buffer_size=1 << 20)
                batches = reader.iter_line_batches(stream, oversized, max_line_bytes=max_line_bytes)
            else:
                stream = streams.open_binary(path)
                batches = reader.record_batches(stream, streams.head(path), oversized, max_line_bytes)
            with stream:
                for batch, _ in batches:  # `batch` is found by DuckDB's replacement scan
                    if shift:
                        batch = batch.set_column(0, "line", pc.add(batch["line"], shift))
                    table = con.sql(sql, params={"max_line_bytes": max_line_bytes}).to_arrow_table()
                    for part in table.to_batches(max_chunksize=OUTPUT_ROWS):  # small hand-overs to the JVM
                        yield _staged(pa.Table.from_batches([part], schema=table.schema), "record", file_id)
    except reader.TooLarge as err:
        yield _one_row(row_type="failed", file_id=file_id, reason=f"skipped: {err}")
        return
    except DownloadError as err:
        yield _one_row(row_type="failed", file_id=file_id, reason=str(err))
        return
    except (OSError, VaultlabError) as err:
        why = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        yield _one_row(row_type="failed", file_id=file_id, reason=f"cannot read {task['uri']}: {why}")
        return
    finally:
        con.close()
    for line, nbytes, excerpt in oversized.lines:
        yield _one_row(row_type="unreadable", file_id=file_id, line=line + shift,
                       reason=f"line of {nbytes} bytes is longer than the limit of {max_line_bytes}",
                       excerpt=excerpts.redact_excerpt(excerpt))
    if oversized.damaged_at:
        yield _one_row(row_type="unreadable", file_id=file_id, line=oversized.damaged_at[0] + shift,
                       reason=oversized.damaged_at[1])
    yield _one_row(row_type="split", file_id=file_id, started_at=started, finished_at=datetime.now(timezone.utc))


def _staged(table: pa.Table, row_type: str, file_id: int) -> pa.RecordBatch:
    """A DuckDB result as STAGED_ARROW: bad records' excerpts redacted here, never a value kept."""
    n = table.num_rows
    columns = {"row_type": pa.array([row_type] * n, pa.string()), "file_id": pa.array([file_id] * n, pa.int32())}
    raw = table["excerpt"]
    if raw.null_count < n:
        columns["excerpt"] = pa.array([excerpts.redact_excerpt(x) if x is not None else None
                                       for x in raw.to_pylist()], pa.string())
    arrays = [columns[f.name] if f.name in columns
              else table[f.name].cast(f.type) if f.name in table.column_names
              else pa.nulls(n, f.type) for f in STAGED_ARROW]
    return pa.RecordBatch.from_arrays([a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
                                       for a in arrays], schema=STAGED_ARROW)


def _one_row(**values) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist([values], schema=STAGED_ARROW)


def split_tasks(surveyed: dict, file_id: int) -> list[dict]:
    """The tasks of one file to load: one per split, each knowing where the next begins."""
    splits = surveyed["splits"] or [{"offset": 0, "line": 1}]
    stops = [s["offset"] for s in splits[1:]] + [None]
    return [{"uri": surveyed["uri"], "format": surveyed["format"], "file_id": file_id,
             "offset": s["offset"], "line": s["line"], "stop": stop} for s, stop in zip(splits, stops)]


def is_local(uri: str) -> bool:
    return not s3.is_s3(uri) and os.path.exists(uri)
