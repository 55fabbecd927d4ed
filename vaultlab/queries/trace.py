"""`trace`: the raw source records behind an event, read from its file once the file's SHA-256
matches the ledger's; excerpts redacted as quarantine excerpts are."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow.compute as pc

from vaultlab.errors import VaultlabError
from vaultlab.ingest import reader, streams
from vaultlab.ingest.excerpts import redact_excerpt
from vaultlab.warehouse import Warehouse

COLUMNS = ["record", "file_id", "line", "path", "sha256", "id", "excerpt"]
_FILE_LINE = re.compile(r"(\d+):(\d+)")
_ID = re.compile(r"[\w.:@/-]{1,128}")
# where each source keeps the identifier of a record (Vault, CloudTrail, GCP, Azure); shown beside the excerpt
_ID_FIELDS = (("request", "id"), ("eventID",), ("insertId",), ("correlationId",), ("requestID",))


@dataclass
class Record:
    record: str  # request, response or record
    file_id: int
    line: int
    path: str  # where the file was found (not always where it was loaded from)
    sha256: str
    id: str | None  # the record's own identifier, read from it
    excerpt: str

    def row(self) -> tuple:
        return tuple(getattr(self, c) for c in COLUMNS)


def locate(wh: Warehouse, ref: str) -> list[tuple[str, int, int]]:
    """(record, file_id, line) of an event id, or of a FILE_ID:LINE reference."""
    if found := _FILE_LINE.fullmatch(ref.strip()):
        return [("record", int(found[1]), int(found[2]))]
    _, rows = wh.query("select file_id, line, response_file_id, response_line, has_request, has_response "
                       "from events where event_id = ? order by file_id, line", [ref.strip()])
    if not rows:
        raise VaultlabError(f"no event {ref!r} in the warehouse (give an event id, or FILE_ID:LINE)")
    file_id, line, resp_file, resp_line, has_request, has_response = rows[0]
    if file_id is None or line is None:
        raise VaultlabError(f"event {ref!r} names no source file and line to trace")
    if has_response and resp_file is not None and (resp_file, resp_line) != (file_id, line):
        first = "request" if has_request else "record"
        return [(first, file_id, line), ("response", resp_file, resp_line)]
    return [("record", file_id, line)]


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def find_file(path: str, sha256: str, search: list[str] | None = None) -> Path:
    """The file the ledger names, where its bytes still hash to the ledger's SHA-256: at its path,
    else a file of the same name under one of `search`. Anything else is refused, never trusted."""
    original = Path(path)
    if original.is_file() and file_sha256(original) == sha256:
        return original
    for folder in search or []:
        for candidate in sorted(Path(folder).rglob(original.name)):
            if candidate.is_file() and file_sha256(candidate) == sha256:
                return candidate
    where = f" or under {', '.join(search)}" if search else " (give --search DIR if it has moved)"
    if original.is_file():
        raise VaultlabError(f"{path} has changed since it was loaded: its SHA-256 is not the ledger's "
                            f"{sha256[:12]}…, and no file of that name{where} matches it")
    raise VaultlabError(f"{path} is gone and no file of that name with SHA-256 {sha256[:12]}… was found{where}")


def read_record(path: Path, line: int) -> bytes:
    """The raw record numbered `line` as ingest numbers them (a line; a pretty-printed object;
    the n-th element of a list document), gzip or not."""
    oversized = reader.Oversized()
    with streams.open_binary(path) as stream:
        for batch, _ in reader.record_batches(stream, streams.head(path), oversized, reader.MAX_LINE_BYTES):
            hit = batch.filter(pc.equal(batch["line"], line))
            if hit.num_rows:
                raw = hit["raw"][0].as_py()
                return raw.encode() if isinstance(raw, str) else bytes(raw)
    for number, _, excerpt in oversized.lines:
        if number == line:
            return excerpt  # a line too long to load: its first KB, as quarantined
    raise VaultlabError(f"{path} holds no record {line}")


def record_id(raw: bytes) -> str | None:
    """The record's own identifier (a Vault request id, a CloudTrail eventID...), when it is plain."""
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    for fields in _ID_FIELDS:
        value = doc
        for name in fields:
            value = value.get(name) if isinstance(value, dict) else None
        if isinstance(value, str) and _ID.fullmatch(value):
            return value
    return None


def trace(wh: Warehouse, ref: str, *, search: list[str] | None = None) -> list[Record]:
    """The source records behind an event id (its request and response) or FILE_ID:LINE."""
    out = []
    for record, file_id, line in locate(wh, ref):
        _, rows = wh.query("select path, sha256 from ingest_files where file_id = ?", [file_id])
        if not rows:
            raise VaultlabError(f"the ledger holds no file {file_id}")
        path, sha256 = rows[0]
        found = find_file(path, sha256, search)
        raw = read_record(found, line)
        out.append(Record(record, file_id, line, str(found), sha256, record_id(raw), redact_excerpt(raw)))
    return out
