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
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

import duckdb

from vaultlab.errors import VaultlabError, database_failure
from vaultlab.ingest import discovery, excerpts, grouped, pairing, reader, s3, streams
from vaultlab.ingest.ledger import INSERT_LEDGER_ROW
from vaultlab.ingest.progress import Progress
from vaultlab.ingest.readahead import ReadAhead
from vaultlab.ingest.sources import SOURCES
from vaultlab.warehouse import Warehouse

SEGMENT_LINES = 500_000  # records parsed before a segment is paired and loaded
SNIFF_BYTES = 1 << 20  # how much of a file format detection reads
READ_AHEAD = 3  # reader batches (up to 16 MB of text each) read while DuckDB stages (readahead.py)


EMPTY = "empty file"
DIGEST = "a CloudTrail digest file; check it with `vaultlab verify-cloudtrail`"
HARMLESS_SKIPS = {EMPTY, DIGEST}  # skipped with nothing in them to load


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
    plain_accessors: int = 0  # token accessors in clear (hmac_accessor=false)
    already_loaded_as: int | None = None
    skipped: str | None = None  # why a file was not read (empty, unknown format, unreadable)
    seconds: float = 0.0

    @property
    def left_out(self) -> bool:
        """Skipped although it may hold records: the run's exit code says so."""
        return self.skipped is not None and self.skipped not in HARMLESS_SKIPS


def discover(paths: list[str]) -> list[tuple[Path, bool, str | None]]:
    """Expand files, folders (recursively) and globs into sorted (file, named, why skipped) triples.

    `named` is true for a file given by its own path: if its format is unknown that is an
    error, whereas a file found in a folder or by a glob is skipped with a note. A path that
    cannot be read (permissions, a FIFO or device, a dangling symlink, an unreadable folder)
    comes with the reason; the rest loads.
    """
    found: dict[Path, bool] = {}
    skipped: dict[Path, str] = {}
    real = discovery.RealPaths()
    for given in paths:
        magic = glob.has_magic(given)
        matches, unreadable = discovery.expand_glob(given) if magic else ([Path(given)], {})
        if not matches and not unreadable:
            raise VaultlabError(f"no file matches {given!r}")
        skipped.update({folder.resolve(): why for folder, why in unreadable.items()})
        for match in matches:
            if not magic and not os.path.lexists(match):
                raise VaultlabError(f"{given} does not exist; give a file, a folder or a glob")
            if match.is_dir():
                files, unreadable = discovery.walk(match)
                skipped.update({folder.resolve(): why for folder, why in unreadable.items()})
            else:
                files = [match]
            for p in files:
                why = discovery.why_unusable(p)
                if why:  # one row per real place, however many symlinked folders lead to it
                    skipped[real.folder(p.parent) / p.name] = why
                else:
                    place = real.file(p)
                    found[place] = found.get(place, False) or (not magic and match is p)
    items = [(path, named, None) for path, named in found.items()]
    items += [(path, False, why) for path, why in skipped.items() if path not in found]
    return sorted(items, key=lambda item: _rotation_order(item[0]))


def _rotation_order(path: Path):
    """Oldest first within a rotated family: app.log.2, app.log.1, app.log."""
    name = path.name.removesuffix(".gz")
    stem, _, suffix = name.rpartition(".")
    if stem and suffix.isdigit():
        return (str(path.parent), stem, -int(suffix))
    return (str(path.parent), name, 0)


FIRST_SNIFF_BYTES = 1 << 16  # the first records, usually; all of a small file


def sniff(path: Path, first: bytes | None = None) -> str | None:
    """The format of a file, from its first parseable records; None if unknown.

    `first` is the file's first FIRST_SNIFF_BYTES if already read. Reads up to SNIFF_BYTES
    (a first record may be a long LIST response); a record cut off by that limit is still
    recognised by its leading fields.
    """
    found = _sniff_sample(streams.head(path, FIRST_SNIFF_BYTES) if first is None else first)
    return found or _sniff_sample(streams.head(path, SNIFF_BYTES)) or _sniff_past_junk(path)


JUNK_SCAN_BYTES = 32 << 20  # how far sniffing looks past junk for a first record
_AFTER_JUNK = re.compile(rb"[\n\x00][ \t\r]*(?=[{\[])")  # a record after a newline or a NUL


def _sniff_past_junk(path: Path, tries: int = 20) -> str | None:
    """The format of the records after junk at the start of a file (a crash can leave a NUL block)."""
    sample = streams.head(path, JUNK_SCAN_BYTES)
    if len(sample) <= SNIFF_BYTES and not sample.lstrip(b" \t\r\n").startswith(b"\x00"):
        return None  # all of it was sniffed already
    for match in islice(_AFTER_JUNK.finditer(sample), tries):
        found = _sniff_sample(sample[match.end():match.end() + SNIFF_BYTES])
        if found:
            return found
    return None


def _sniff_sample(sample: bytes) -> str | None:
    kind, depth = reader.layout(sample)
    if depth:
        first = reader.first_container_record(sample, depth)
        pieces = [first] if first else []
    elif kind == "pretty":
        pieces = reader.split_objects(sample)
    else:
        pieces = sample.splitlines()
    for piece in pieces[:50]:
        try:
            record = json.loads(piece)
        except ValueError:
            continue
        if isinstance(record, dict):
            for name, module in SOURCES.items():
                if module.recognises(record):
                    return name
    for name, module in SOURCES.items():
        if module.recognises_prefix(sample[:SNIFF_BYTES]):
            return name
    return None


def ingest(wh: Warehouse, paths: list[str], *, source: str | None = None, fmt: str | None = None,
           progress: bool | None = None) -> list[FileResult]:
    """Load every file under `paths`; returns one result per file, in load order.

    Every file's format is settled before anything loads, so an unknown named file
    stops the run before it changes the warehouse.
    """
    fmt = source or fmt  # `fmt` is the old name of `source`
    if fmt is not None and fmt not in SOURCES:
        raise VaultlabError(f"unknown source {fmt!r}; known sources: {', '.join(SOURCES)}")
    local = [p for p in paths if not s3.is_s3(p) and not discovery.is_stream(p)]
    with tempfile.TemporaryDirectory(prefix="vaultlab-s3-") as scratch:
        found = [(path, named, None, why) for path, named, why in discover(local)] if local else []
        done: list[FileResult] = []
        for number, given in enumerate(p for p in paths if discovery.is_stream(p)):
            copy, display = discovery.spool(given, Path(scratch), number)
            found.append((copy, True, display, None))
        for uri in (p for p in paths if s3.is_s3(p)):
            fetched, known = _fetch_s3(wh, uri, Path(scratch))
            found += [(*entry, None) for entry in fetched]
            done += known
        plan = [_settle(path, named, display, fmt, why) for path, named, display, why in found]
        results = {path: FileResult(path=display or str(path), format=found or "", file_id=None, skipped=why)
                   for path, display, found, why in plan}
        run: list[tuple] = []  # consecutive small files of grouped formats, loaded in groups
        for path, display, found, why in [*plan, (None, None, None, "end")]:
            size = path.stat().st_size if not why and found in grouped.GROUPED_SOURCES else None
            if size is not None and size <= grouped.GROUP_FILE_LIMIT:
                run.append((path, display, found, size))  # the size taken once, for grouping and the ledger lookup
                continue
            for group in grouped.groups(run):
                _load_group(wh, group, results, progress)
            run = []
            if not why:
                results[path] = _ingest_or_refuse(wh, path, found, progress, display)
        return done + [results[path] for path, *_ in plan]


def _ingest_or_refuse(wh: Warehouse, path: Path, fmt: str, progress: bool | None, display: str | None):
    """Load one file; one too large for its layout is skipped (rolled back) and the run goes on."""
    try:
        return ingest_file(wh, path, fmt, progress=progress, display=display)
    except reader.TooLarge as err:
        return FileResult(path=display or str(path), format=fmt, file_id=None, skipped=str(err))


def _load_group(wh: Warehouse, group: list[tuple], results: dict, progress: bool | None) -> None:
    """Small files of a standalone-record format, loaded together in one transaction."""
    try:
        with wh.transaction() as cur:
            grouped.load_group(cur, group, results, max_line_bytes=reader.MAX_LINE_BYTES, progress=progress)
    except reader.TooLarge:  # a small .gz that inflates past a limit: the group again, a file at a time
        for path, display, fmt, _ in group:
            results[path] = _ingest_or_refuse(wh, path, fmt, progress, display)
    except duckdb.Error as err:
        names = results[group[0][0]].path + (f" and {len(group) - 1} more file(s)" if len(group) > 1 else "")
        raise VaultlabError(f"loading {names} failed and was rolled back: {database_failure(err)}") from None
    except OSError as err:
        raise VaultlabError(f"cannot read {err.filename or 'a file'}: {err.strerror or err}; "
                            "nothing from its group of files was loaded") from None


def _settle(path: Path, named: bool, display: str | None, fmt: str | None, why: str | None = None):
    """(file, name in the ledger, format, why skipped); an unknown format of a named file stops the run."""
    if why:
        return path, display, fmt, why
    try:  # one read of the head tells both (a small file is read whole here, then in load_group)
        first = b"" if path.stat().st_size == 0 else streams.head(path, 1 if fmt else FIRST_SNIFF_BYTES)
        empty = not first
        found = None if empty else fmt or sniff(path, first)
    except VaultlabError:
        if named:
            raise
        return path, display, fmt, "not a readable gzip file"
    except OSError as err:
        return path, display, fmt, f"not readable: {err.strerror or err}"
    if empty:
        return path, display, fmt, EMPTY
    if found is None and "CloudTrail-Digest" in path.parts:
        return path, display, fmt, DIGEST
    if found is None and named:
        raise VaultlabError(f"cannot tell the source of {display or path}; if it is an audit log, "
                            f"pass --source ({', '.join(SOURCES)})")
    return path, display, found, None if found else "not a known audit log format"


def _fetch_s3(wh: Warehouse, uri: str, scratch: Path):
    """Download the objects under `uri` not yet in the ledger; (to load, already loaded)."""
    objects = [o for o in s3.list_objects(uri) if "/CloudTrail-Digest/" not in o.key]  # digests are not logs
    loaded = dict(wh.query("select path || ' ' || bytes, min(file_id) from ingest_files "
                           "where starts_with(path, 's3://') group by all")[1])
    known = [FileResult(path=o.uri, format="", file_id=None, already_loaded_as=loaded[f"{o.uri} {o.size}"])
             for o in objects if f"{o.uri} {o.size}" in loaded]
    fresh = [o for o in objects if f"{o.uri} {o.size}" not in loaded]
    named = len(objects) == 1 and objects[0].uri == uri
    return [(path, named, obj.uri) for path, obj in s3.download(fresh, scratch)], known


def ingest_file(wh: Warehouse, path: Path, fmt: str, *, progress: bool | None = None,
                max_line_bytes: int = reader.MAX_LINE_BYTES, display: str | None = None) -> FileResult:
    """Load one file; `display` is the name the ledger gives it (an s3:// address)."""
    started = datetime.now(timezone.utc)
    result = FileResult(path=display or str(path), format=fmt, file_id=None)
    size = path.stat().st_size
    # a file loaded whole is skipped before parsing; only a file the size of one in the ledger
    # can be one, so the others are read once (hashed as they are parsed), not twice
    _, same_size = wh.query("select 1 from ingest_files where bytes = ? limit 1", [size])
    if same_size:
        with open(path, "rb") as fh:
            sha = hashlib.file_digest(fh, "sha256").hexdigest()
        _, rows = wh.query("select file_id from ingest_files where sha256 = ? order by file_id limit 1", [sha])
        if rows:
            result.already_loaded_as = rows[0][0]
            return result
    try:
        with wh.transaction() as cur:
            file_id = cur.execute("select nextval('file_ids')").fetchall()[0][0]
            result.file_id = file_id
            sha, size = _load(cur, path, fmt, file_id, size, max_line_bytes, progress, result)
            result.seconds = (datetime.now(timezone.utc) - started).total_seconds()
            cur.execute(
                INSERT_LEDGER_ROW,
                [file_id, result.path, sha, size, fmt, result.lines_read, result.events_loaded,
                 result.duplicates, result.quarantined, result.events_created, result.raw_values,
                 result.raw_values > 0, started, result.plain_accessors],
            )
    except duckdb.Error as err:
        raise VaultlabError(f"loading {result.path} failed and was rolled back: {database_failure(err)}") from None
    except OSError as err:
        raise VaultlabError(f"cannot read {result.path}: {err.strerror or err}; nothing from it was loaded") from None
    return result


def _load(cur, path: Path, fmt: str, file_id: int, size: int, max_line_bytes: int,
          progress: bool | None, result: FileResult) -> tuple[str, int]:
    """Parse the file batch by batch into `vl_stage`; every SEGMENT_LINES records, load the segment.

    Segments keep memory flat however large the file: a pair split between two segments is
    joined up like one split between two files. Returns the SHA-256 and size of the bytes read.
    """
    params = {"max_line_bytes": max_line_bytes, "file_id": file_id}
    stage_sql = f"select *, $file_id::integer as file_id from ({SOURCES[fmt].RECORDS_SQL})"
    oversized = reader.Oversized()
    staged, segment_lines = 0, _segment_lines(cur)
    stage_in_file = _text_bytes(path, size) > segment_lines * STAGE_IN_FILE_LINE_BYTES
    bar = Progress(path.name, None if streams.is_gzip(path) else size, progress)
    try:
        stream, on_disk = streams.open_hashed(path)
        with stream:
            batches = reader.record_batches(stream, streams.head(path), oversized, max_line_bytes)
            # the reader works a batch ahead, in a thread, while DuckDB stages the batch before
            with ReadAhead(batches, READ_AHEAD) as ahead:
                for batch, nbytes in reader.statement_batches(iter(ahead), segment_lines):
                    _stage_batch(cur, batch, stage_sql, params, first=staged == 0, in_file=stage_in_file)
                    staged += batch.num_rows
                    if staged >= segment_lines:
                        _load_segment(cur, file_id, result)
                        staged = 0
                    bar.advance(nbytes, batch.num_rows)
        if staged:
            _load_segment(cur, file_id, result)
    finally:
        bar.close()
    unreadable = [(line, f"line of {nbytes} bytes is longer than the limit of {max_line_bytes}",
                   excerpts.redact_excerpt(excerpt)) for line, nbytes, excerpt in oversized.lines]
    if oversized.damaged_at:
        unreadable.append((*oversized.damaged_at, None))
    for line, reason, excerpt in unreadable:
        cur.execute("insert into quarantine values (?, ?, ?, ?)", [file_id, line, reason, excerpt])
    result.lines_read += len(unreadable)
    result.quarantined += len(unreadable)
    cur.execute("drop table if exists vl_stage; drop table if exists skipped")
    return on_disk.sha256.hexdigest(), on_disk.size


_UNITS = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
          "KB": 10 ** 3, "MB": 10 ** 6, "GB": 10 ** 9, "TB": 10 ** 12}


_FIXED_COST = 72 * 10 ** 6  # of DuckDB's memory, taken whatever the segment size (measured)


def _segment_lines(cur) -> int:
    """SEGMENT_LINES at the default memory limit (512 MB), in proportion below it: a lower
    VAULTLAB_MEMORY_LIMIT loads a file in more, smaller segments (slower) instead of failing."""
    [(setting,)] = cur.execute("select current_setting('memory_limit')").fetchall()
    found = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]+)\s*", str(setting))
    if not found or found.group(2) not in _UNITS:
        return SEGMENT_LINES
    limit = float(found.group(1)) * _UNITS[found.group(2)]
    share = max(limit - _FIXED_COST, 0) / (512 * 10 ** 6 - _FIXED_COST)
    # squared: working memory grew faster than a segment (measured with the earlier identity hash,
    # which re-parsed each record: 160MB needed segments of at most ~40k lines); not re-measured since
    return max(10_000, min(SEGMENT_LINES, int(SEGMENT_LINES * share * share)))


# A file that may hold more than one segment stages into a never-committed table of the
# warehouse file, whose rows are written compressed to the file as they come; a smaller one into
# a temp table. Temp tables keep every replaced segment's stage until the commit, spilled to
# <warehouse>.tmp: 588 MB of spill for a 1M-line file and 1.15 GB for 2M lines (~270 MB a segment);
# staged in the file, none and 91 MB, in the same time. For files of one segment the temp table is
# faster: 50 files of 20,000 lines took 17.4 s staged in temp tables, 20-21 s in the file (measured).
STAGE_IN_FILE_LINE_BYTES = 512  # the shortest Vault lines are about this long: a file above
#                                 segment_lines times this may hold more than one segment


def _text_bytes(path: Path, size: int) -> int:
    """The bytes of text in a file; for a .gz, its trailer's size (modulo 4 GiB) or 4x the file."""
    if not streams.is_gzip(path) or size < 4:
        return size
    with open(path, "rb") as fh:
        fh.seek(-4, os.SEEK_END)
        return max(int.from_bytes(fh.read(4), "little"), 4 * size)


def _stage_batch(cur, batch, stage_sql: str, params: dict, *, first: bool, in_file: bool) -> None:
    # `batch` is found by DuckDB's replacement scan of this frame's locals; unlike
    # register(), that does not keep every batch alive until the transaction ends
    table = "table main.vl_stage" if in_file else "temp table vl_stage"
    verb = f"create or replace {table} as " if first else "insert into vl_stage "
    cur.execute(verb + stage_sql, params)


def _load_segment(cur, file_id: int, result: FileResult) -> None:
    """Quarantine the segment's bad records, skip duplicates, pair the rest into events."""
    counts, created = pairing.load_stage(cur)
    mine = counts.get(file_id, pairing.Counts())
    result.lines_read += mine.records
    result.quarantined += mine.bad
    result.events_loaded += mine.fresh
    result.duplicates += mine.duplicates
    result.events_created += created
    result.raw_values += mine.raw_values
    result.plain_accessors += mine.plain_accessors
