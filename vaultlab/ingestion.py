"""Load audit log files into the warehouse: one transaction per file, every line accounted for.

For each file: lines read = events loaded + duplicates + quarantined. A file already loaded
(same SHA-256) is skipped whole; records already in the warehouse are counted as
duplicates; a malformed record goes to `quarantine` with its line number and reason.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from . import reader
from .errors import VaultlabError
from .pairing import DELETE_LONE_HALVES, INSERT_EVENTS, PULL_LONE_HALVES, SELECT_FRESH
from .progress import Progress
from .sources import FORMATS
from .warehouse import Warehouse


@dataclass
class FileResult:
    path: str
    format: str
    file_id: int | None  # None when skipped as already loaded
    lines_read: int = 0
    events_loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    events_created: int = 0
    raw_values: int = 0
    already_loaded_as: int | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def discover(paths: list[str]) -> list[Path]:
    """Expand files, folders (recursively) and globs into a sorted list of files."""
    found: list[Path] = []
    for given in paths:
        matches = glob.glob(given, recursive=True) if glob.has_magic(given) else [given]
        if not matches:
            raise VaultlabError(f"no file matches {given!r}")
        for match in map(Path, matches):
            if match.is_dir():
                found.extend(p for p in sorted(match.rglob("*")) if p.is_file() and not p.name.startswith("."))
            elif match.is_file():
                found.append(match)
            else:
                raise VaultlabError(f"{given} does not exist; give a file, a folder or a glob")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    return sorted(unique, key=_rotation_order)


def _rotation_order(path: Path):
    """Oldest first within a rotated family: app.log.2, app.log.1, app.log."""
    name = path.name.removesuffix(".gz")
    stem, _, suffix = name.rpartition(".")
    if stem and suffix.isdigit():
        return (str(path.parent), stem, -int(suffix))
    return (str(path.parent), name, 0)


def sniff(path: Path) -> str:
    """The format of a file, from its first parseable record."""
    sample = reader.head(path)
    if not sample.strip():
        raise VaultlabError(f"{path} is empty")
    pieces = (reader.split_objects(sample) if reader.looks_pretty_printed(sample)
              else sample.splitlines())
    records = []
    for piece in pieces[:50]:
        try:
            records.append(json.loads(piece))
        except ValueError:
            continue
    for record in records:
        if isinstance(record, dict):
            for name, module in FORMATS.items():
                if module.recognises(record):
                    return name
    known = ", ".join(FORMATS)
    raise VaultlabError(f"cannot tell the format of {path}; if it is an audit log, pass --format ({known})")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def ingest(wh: Warehouse, paths: list[str], *, fmt: str | None = None,
           progress: bool | None = None) -> list[FileResult]:
    """Load every file under `paths`; returns one result per file, in load order."""
    if fmt is not None and fmt not in FORMATS:
        raise VaultlabError(f"unknown format {fmt!r}; known formats: {', '.join(FORMATS)}")
    files = discover(paths)
    formats = {path: fmt or sniff(path) for path in files}  # fail before loading anything
    return [ingest_file(wh, path, formats[path], progress=progress) for path in files]


def ingest_file(wh: Warehouse, path: Path, fmt: str, *, progress: bool | None = None,
                max_line_bytes: int = reader.MAX_LINE_BYTES) -> FileResult:
    started = datetime.now(timezone.utc)
    result = FileResult(path=str(path), format=fmt, file_id=None)
    sha = sha256_of(path)
    _, rows = wh.query("select file_id from ingest_files where sha256 = ? order by file_id limit 1", [sha])
    if rows:
        result.already_loaded_as = rows[0][0]
        return result
    size = path.stat().st_size
    try:
        with wh.transaction() as cur:
            file_id = cur.execute("select nextval('file_ids')").fetchall()[0][0]
            result.file_id = file_id
            oversized = _stage(cur, path, fmt, file_id, size, max_line_bytes, progress)
            _load_staged(cur, file_id, oversized, result)
            result.seconds = (datetime.now(timezone.utc) - started).total_seconds()
            cur.execute(
                "insert into ingest_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                [file_id, str(path), sha, size, fmt, result.lines_read, result.events_loaded,
                 result.duplicates, result.quarantined, result.events_created, result.raw_values,
                 result.raw_values > 0, started],
            )
            cur.execute("drop table stage; drop table fresh")
    except duckdb.Error as err:
        raise VaultlabError(f"loading {path} failed and was rolled back: {str(err).splitlines()[0]}") from None
    except OSError as err:
        raise VaultlabError(f"cannot read {path}: {err.strerror or err}; nothing from it was loaded") from None
    return result


def _stage(cur, path: Path, fmt: str, file_id: int, size: int, max_line_bytes: int,
           progress: bool | None) -> int:
    """Parse every record of the file into the temp table `stage` (bad ones with a reason).

    Returns the number of lines too long to parse, which go straight to the quarantine.
    """
    records_sql = FORMATS[fmt].RECORDS_SQL
    params = {"max_line_bytes": max_line_bytes}
    oversized = reader.Oversized()
    cur.register("batch", reader.empty_batch())
    cur.execute("create temp table stage as " + records_sql, params)
    bar = Progress(path.name, None if reader.is_gzip(path) else size, progress)
    try:
        with reader.open_binary(path) as stream:
            batches = (reader.iter_pretty_batches(stream) if reader.looks_pretty_printed(reader.head(path))
                       else reader.iter_line_batches(stream, oversized, max_line_bytes=max_line_bytes))
            for batch, nbytes in batches:
                cur.register("batch", batch)
                cur.execute("insert into stage " + records_sql, params)
                bar.advance(nbytes, batch.num_rows)
    finally:
        cur.unregister("batch")
        bar.close()
    for line, nbytes, excerpt in oversized.lines:
        cur.execute("insert into quarantine values (?, ?, ?, ?)",
                    [file_id, line, f"line of {nbytes} bytes is longer than the limit of {max_line_bytes}",
                     excerpt.decode("utf-8", "replace")])
    return len(oversized.lines)


def _load_staged(cur, file_id: int, oversized: int, result: FileResult) -> None:
    """Quarantine the bad records, drop duplicates, pair the rest into events."""
    cur.execute("""
        insert into quarantine select $file_id, line, reason, excerpt from stage where reason is not null
    """, {"file_id": file_id})
    staged, bad, ts_min, ts_max = cur.execute("""
        select count(*), count(reason), min(ts) filter (where reason is null), max(ts) filter (where reason is null)
        from stage
    """).fetchall()[0]
    cur.execute(SELECT_FRESH, {"file_id": file_id, "ts_min": ts_min, "ts_max": ts_max})
    fresh, raw_values = cur.execute("select count(*), coalesce(sum(raw_values), 0) from fresh").fetchall()[0]
    pulled = cur.execute(PULL_LONE_HALVES).fetchall()[0][0]
    cur.execute(DELETE_LONE_HALVES)
    created = cur.execute(INSERT_EVENTS).fetchall()[0][0]
    result.lines_read = staged + oversized
    result.quarantined = bad + oversized
    result.events_loaded = fresh
    result.duplicates = staged - bad - fresh
    result.events_created = created - pulled
    result.raw_values = raw_values
