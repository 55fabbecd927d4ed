"""Loading many small files in groups: cloud delivery files and Vault logs shipped in pieces.

A cloud trail arrives as thousands of small delivery files, and a log shipper or sidecar cuts
a Vault log into a file per minute or hour. Loading each on its own pays a
transaction, a duplicate search and a commit per file; here a group of files is parsed into
one staging table (each row keeps its file_id) and loaded with one pass of each statement and
one commit. Each file still gets its own ledger row and exact counts, and the group loads all
or nothing, so no part of a file is ever left behind. The next file is read and split in a
thread while DuckDB parses the current one. A group holds files of one format: cloud records
are events as they are; Vault records are paired (pairing.load_stage) across the group's
files and with lone halves loaded before, as when the files load one by one.
"""

from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vaultlab.ingest import excerpts, pairing, reader, streams
from vaultlab.ingest.ledger import LEDGER_COLUMNS
from vaultlab.ingest.pairing import EVENT_COLUMNS, UNIQUE_EVENT_IDS
from vaultlab.ingest.progress import Progress
from vaultlab.ingest.sources import SOURCES

GROUPED_SOURCES = {"cloudtrail", "gcp", "azure", "vault"}
PAIRED_SOURCES = {"vault"}  # a request and its response make one event
# bytes on disk per group: 64 MB of JSON (~60,000 Vault records, well under a large file's
# segment) paid ~12% less per file than 16 MB; a .gz file counts GZIP_WEIGHT times its size
# (it inflates about tenfold), so a group holds 16 MB of them as before
GROUP_BYTES = 64 << 20
GZIP_WEIGHT = 4
GROUP_FILE_LIMIT = 8 << 20  # a larger file loads on its own, in segments
READ_AHEAD = 2  # chunks of files read and split ahead of the parser
CHUNK_FILES, CHUNK_BYTES = 64, 4 << 20  # a chunk: files read and split together in the thread
JOINED_MAX_BYTES = 256 << 10  # a plain JSON-lines file this small is split together with its chunk's

_POSITION = "file_id::bigint * 10000000000 + line"  # orders records across the group's files

# Records already in the warehouse, or repeating an earlier record of the group.
SELECT_SKIPPED_IN_GROUP = f"""
create or replace temp table skipped as
with firsts as (
    select rec_hash, min({_POSITION}) as first_at from vl_stage where reason is null group by rec_hash
),
known as (
    select request_hash as h from event_store
    where request_hash is not null and ts between $ts_min::timestamptz - interval 1 day
                                              and $ts_max::timestamptz + interval 1 day
    union all
    select response_hash from event_store
    where response_hash is not null and ts between $ts_min::timestamptz - interval 1 day
                                               and $ts_max::timestamptz + interval 1 day
)
select distinct s.file_id, s.line from vl_stage s join firsts f using (rec_hash)
where s.reason is null and ({_POSITION.replace('file_id', 's.file_id').replace('line', 's.line')} > f.first_at
                            or s.rec_hash in (select h from known))
"""

_COMPUTED = {"request_hash": "rec_hash", "response_hash": "null", "has_request": "true", "has_response": "false",
             "response_file_id": "null", "response_line": "null"}
INSERT_GROUP_EVENTS = (f"insert into event_store ({', '.join(EVENT_COLUMNS)}) "
                 + UNIQUE_EVENT_IDS.format(events="(select " + ", ".join(
                     f"{_COMPUTED.get(c, c)} as {c}" for c in EVENT_COLUMNS)
                     + " from vl_stage s where reason is null and not exists "
                       "(select 1 from skipped k where k.file_id = s.file_id and k.line = s.line))"))

COUNT_PER_FILE = """
select s.file_id,
       count(*) filter (where part = 0) as records,
       count(*) filter (where part = 0 and reason is not null) as bad,
       count(*) filter (where part = 0 and reason is null and k.file_id is null) as fresh,
       count(*) filter (where reason is null and k.file_id is null) as created
from vl_stage s left join skipped k on k.file_id = s.file_id and k.line = s.line
group by s.file_id
"""


@dataclass
class _Read:
    """One file read and split into batches, ready to stage."""

    path: Path
    batches: list
    sha256: str
    size: int
    oversized: reader.Oversized


def read_file(path: Path, max_line_bytes: int) -> _Read:
    """A small file read, hashed and split; a plain one is read once (at most GROUP_FILE_LIMIT bytes)."""
    oversized = reader.Oversized()
    with open(path, "rb") as fh:
        data = fh.read(GROUP_FILE_LIMIT + 1)
    if data[:2] == streams.GZIP_MAGIC or len(data) > GROUP_FILE_LIMIT:  # inflated in bounded steps
        stream, on_disk = streams.open_hashed(path)
        with stream:
            batches = list(reader.record_batches(stream, streams.head(path), oversized, max_line_bytes))
        return _Read(path, batches, on_disk.sha256.hexdigest(), on_disk.size, oversized)
    batches = list(reader.record_batches(io.BytesIO(data), data[:1 << 16], oversized, max_line_bytes))
    return _Read(path, batches, hashlib.sha256(data).hexdigest(), len(data), oversized)


def read_files(paths: list[Path], max_line_bytes: int) -> list[_Read]:
    """Small files read, hashed and split, in order. The plain JSON-lines files of at most
    JOINED_MAX_BYTES are split in one pass over their bytes joined (splitting a file of 10 lines
    alone cost ~0.1 ms of fixed numpy and Arrow calls), each file's lines numbered from 1 again."""
    reads: list = [None] * len(paths)
    joined: list[tuple[int, bytes]] = []
    for number, path in enumerate(paths):
        with open(path, "rb") as fh:
            data = fh.read(JOINED_MAX_BYTES + 1)
        if 0 < len(data) <= min(JOINED_MAX_BYTES, max_line_bytes) and data[:2] != streams.GZIP_MAGIC \
                and reader.layout(data[:1 << 16]) == ("lines", None):
            joined.append((number, data))
        else:
            reads[number] = read_file(path, max_line_bytes)
    if joined and not _split_joined(paths, joined, reads, max_line_bytes):
        for number, _ in joined:  # not expected (every line is short); each file alone then
            reads[number] = read_file(paths[number], max_line_bytes)
    return reads


def _split_joined(paths: list[Path], joined: list[tuple[int, bytes]], reads: list, max_line_bytes: int) -> bool:
    """Fills reads[number] for the joined files; False if the reader set any line aside."""
    texts = [data if data.endswith(b"\n") else data + b"\n" for _, data in joined]
    counts = np.array([text.count(b"\n") for text in texts], dtype=np.int64)
    starts = np.cumsum(counts) - counts + 1  # the joined line number of each file's first line
    oversized = reader.Oversized()
    tables = [table for table, _ in reader.iter_line_batches(io.BytesIO(b"".join(texts)), oversized,
                                                              max_line_bytes=max_line_bytes)]
    if oversized.lines or oversized.damaged_at:
        return False
    table = pa.concat_tables(tables).combine_chunks() if tables else None
    lines = table["line"].to_numpy() if table is not None else np.zeros(0, dtype=np.int64)
    owner = np.searchsorted(starts, lines, side="right") - 1  # which file each row came from
    if table is not None:
        table = table.set_column(0, "line", pa.array(lines - starts[owner] + 1))
    bounds = np.searchsorted(owner, np.arange(len(joined) + 1))
    for k, (number, data) in enumerate(joined):
        rows = int(bounds[k + 1] - bounds[k])
        batches = [(table.slice(int(bounds[k]), rows), len(data))] if rows else []
        reads[number] = _Read(paths[number], batches, hashlib.sha256(data).hexdigest(), len(data),
                              reader.Oversized())
    return True


def _chunks(sizes: list[int]) -> list[tuple[int, int]]:
    """(first, past last) entry numbers of consecutive files read together: CHUNK_FILES files or
    CHUNK_BYTES bytes at most (a larger file alone)."""
    out, first, total = [], 0, 0
    for number, size in enumerate(sizes):
        if number > first and (number - first >= CHUNK_FILES or total + size > CHUNK_BYTES):
            out.append((first, number))
            first, total = number, 0
        total += size
    return out + [(first, len(sizes))] if sizes else out


def groups(entries: list[tuple], limit: int = GROUP_BYTES) -> list[list[tuple]]:
    """Consecutive (path, display, format, bytes) entries in groups of one format and at most `limit`
    bytes on disk (a .gz file counted GZIP_WEIGHT times)."""
    out, size = [], limit
    for entry in entries:
        nbytes = entry[3] * (GZIP_WEIGHT if entry[0].name.endswith(".gz") else 1)
        if not out or size + nbytes > limit or entry[2] != out[-1][-1][2]:
            out.append([])
            size = 0
        out[-1].append(entry)
        size += nbytes
    return out


def load_group(cur, entries: list[tuple], results: dict, *, max_line_bytes: int,
               progress: bool | None) -> None:
    """Stage every file of the group, then load them together; fills results[path] per file.

    `results` maps each path to its FileResult; a file already in the ledger (or twice in the
    group) is marked so and not staged. File ids are allocated for the rest of the group when
    the first file needs one and handed out in file order, so each file skipped after that
    leaves an id unused: a gap before the next file loaded.
    """
    # files in the ledger that one of the group could be (the same size), asked once per group
    sizes = [size for _, _, _, size in entries]
    known_shas = dict(cur.execute("select sha256, min(file_id) from ingest_files where bytes in (select unnest(?)) "
                                  "group by sha256", [sorted(set(sizes))]).fetchall())
    # one bar for the group: a bar per file cost as much as staging a small file, and flickers
    bar = Progress(entries[0][0].name if len(entries) == 1 else f"{len(entries)} files", sum(sizes), progress)
    seen: dict[str, int] = {}
    staged: list[tuple] = []  # (result, read, started)
    stager = _Stager(cur, max_line_bytes)
    file_ids: list[int] = []  # allocated, not yet given; left over (a gap) if a later file is skipped
    chunks = _chunks(sizes)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # files are read and split ahead, in a thread, while DuckDB parses the ones before
        pending = [pool.submit(read_files, [e[0] for e in entries[first:last]], max_line_bytes)
                   for first, last in chunks[:READ_AHEAD]]
        reads: list = []
        ahead = READ_AHEAD  # the next chunk to submit
        for number, (path, _, fmt, _) in enumerate(entries):
            started = datetime.now(timezone.utc)
            if not reads:  # the next chunk
                reads = pending.pop(0).result()
                reads.reverse()
                if ahead < len(chunks):
                    first, last = chunks[ahead]
                    pending.append(pool.submit(read_files, [e[0] for e in entries[first:last]], max_line_bytes))
                    ahead += 1
            read = reads.pop()  # its batches are held by the stager from here on
            result = results[path]
            known = known_shas.get(read.sha256)
            if known is not None or read.sha256 in seen:
                result.already_loaded_as = known if known is not None else seen[read.sha256]
                continue
            if not file_ids:  # for the rest of the group at once: a statement per file cost ~0.25 ms
                file_ids = sorted((row[0] for row in cur.execute("select nextval('file_ids') from range(?)",
                                                                 [len(entries) - number]).fetchall()), reverse=True)
            result.file_id = seen[read.sha256] = file_ids.pop()
            stager.add(fmt, result.file_id, [batch for batch, _ in read.batches])
            bar.advance(read.size, sum(batch.num_rows for batch, _ in read.batches))
            staged.append((result, read, started))
    bar.close()
    stager.flush()
    if not stager.created:
        counts = {}
    elif stager.fmt in PAIRED_SOURCES:
        counts = _load_paired_stage(cur, min(result.file_id for result, _, _ in staged))
    else:
        counts = _load_stage(cur)
    ledger = [_account(cur, result, read, started, counts.get(result.file_id, (0, 0, 0, 0, 0, 0)), max_line_bytes)
              for result, read, started in staged]
    if ledger:  # one statement for the group's rows: a statement (or executemany row) per file cost ~2.5 ms
        names = [c.strip() for c in LEDGER_COLUMNS.split(",") if c.strip() != "finished_at"]
        rows = pa.table({name: [row[i] for row in ledger] for i, name in enumerate(names)})  # noqa: F841 (scanned)
        cur.execute("insert into ingest_files by name select *, now() as finished_at from rows")
    cur.execute("drop table if exists vl_stage; drop table if exists skipped")


class _Stager:
    """Parses the records of several files in one statement: each statement costs ~25 ms of
    planning, as much as parsing a 5,000-record file. A record's file rides in its line
    number (file_id * LINE_SPAN + line) and is split off again in SQL."""

    LINE_SPAN = 10_000_000_000
    ROWS = 100_000  # records per statement

    def __init__(self, cur, max_line_bytes: int):
        self.cur, self.max_line_bytes = cur, max_line_bytes
        self.fmt, self.tables, self.file_ids, self.rows, self.created = None, [], [], 0, False

    def add(self, fmt: str, file_id: int, tables: list[pa.Table]) -> None:
        if fmt != self.fmt:
            self.flush()
            self.fmt = fmt
        for table in tables:
            self.tables.append(table)
            self.file_ids.append(file_id)
            self.rows += table.num_rows
        if self.rows >= self.ROWS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        # the file ids added to the line numbers in one step: an Arrow call per file cost ~25 us
        table = pa.concat_tables(self.tables).combine_chunks()
        offsets = np.repeat(np.array(self.file_ids, dtype=np.int64) * self.LINE_SPAN,
                            [t.num_rows for t in self.tables])
        table = table.set_column(0, "line", pc.add(table["line"], pa.array(offsets)))
        batch = reader.combined([table])  # found by DuckDB's replacement scan of this frame
        span = str(self.LINE_SPAN)
        sql = ("select * replace (line % " + span + " as line), (line // " + span + ")::integer as file_id from ("
               + SOURCES[self.fmt].RECORDS_SQL + ")")
        verb = "insert into vl_stage " if self.created else "create or replace temp table vl_stage as "
        self.cur.execute(verb + sql, {"max_line_bytes": self.max_line_bytes})
        self.created, self.tables, self.file_ids, self.rows = True, [], [], 0
        del batch, table


def _load_paired_stage(cur, first_file_id: int) -> dict[int, tuple]:
    """Vault records paired across the group; per file_id: (records, bad, fresh, created, raw values,
    plain accessors)."""
    counts, _ = pairing.load_stage(cur)
    created = dict(cur.execute(pairing.CREATED_PER_FILE, {"first_file_id": first_file_id}).fetchall())
    return {f: (c.records, c.bad, c.fresh, created.get(f, 0), c.raw_values, c.plain_accessors)
            for f, c in counts.items()}


def _load_stage(cur) -> dict[int, tuple]:
    """Quarantine, skip duplicates, insert events; (records, bad, fresh, created, 0, 0) per file_id."""
    excerpts.quarantine_staged(cur)
    ts_min, ts_max = cur.execute("select min(ts), max(ts) from vl_stage where reason is null").fetchall()[0]
    cur.execute(SELECT_SKIPPED_IN_GROUP, {"ts_min": ts_min, "ts_max": ts_max})
    counts = {row[0]: (*row[1:], 0, 0) for row in cur.execute(COUNT_PER_FILE).fetchall()}
    cur.execute(INSERT_GROUP_EVENTS)
    return counts


def _account(cur, result, read: _Read, started: datetime, counts: tuple, max_line_bytes: int) -> list:
    """The file's ledger row, to insert; lines the reader could not hand over are quarantined here."""
    records, bad, fresh, created, raw_values, plain_accessors = counts
    unreadable = [(line, f"line of {nbytes} bytes is longer than the limit of {max_line_bytes}",
                   excerpts.redact_excerpt(excerpt)) for line, nbytes, excerpt in read.oversized.lines]
    if read.oversized.damaged_at:
        unreadable.append((*read.oversized.damaged_at, None))
    for line, reason, excerpt in unreadable:
        cur.execute("insert into quarantine values (?, ?, ?, ?)", [result.file_id, line, reason, excerpt])
    result.lines_read = records + len(unreadable)
    result.quarantined = bad + len(unreadable)
    result.events_loaded = fresh
    result.duplicates = records - bad - fresh
    result.events_created = created
    result.raw_values, result.plain_accessors = raw_values, plain_accessors
    result.seconds = (datetime.now(timezone.utc) - started).total_seconds()
    return [result.file_id, result.path, read.sha256, read.size, result.format, result.lines_read,
            result.events_loaded, result.duplicates, result.quarantined, result.events_created, raw_values,
            raw_values > 0, started, plain_accessors]  # in LEDGER_COLUMNS order, finished_at left out
