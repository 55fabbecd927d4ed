"""Very long string values condensed before DuckDB parses a record (issue 12, item 8).

DuckDB's JSON functions take many times a record's size in working memory for each copy of a
value they make, so one 12 MiB Vault record (a log_raw request with one big value) needs about
700 MB: more than the default memory limit. vaultlab never stores a request's or response's
values: it reads their keys, whether each is an HMAC (`hmac-sha256:` and 64 hex digits) and the
record's identity. So a record longer than LONG_VALUE_CHARS bytes is parsed here first, and each
string value longer than LONG_VALUE_CHARS characters becomes its first KEPT_CHARS characters, its
length and the SHA-256 of the whole value. What the normalisation reads is unchanged: the prefix
says whether it is an HMAC (a real HMAC is never that long), the keys stay, and whether a record
is condensed depends on its values alone, never on its layout, so a record re-shipped with other
blanks, escapes or key order still has the same identity.
"""

from __future__ import annotations

import hashlib
import json

import pyarrow as pa
import pyarrow.compute as pc

LONG_VALUE_CHARS = 64 << 10  # a string value longer than this is condensed (only a longer record can hold one)
KEPT_CHARS = 128  # what is kept of it: an HMAC prefix and more than the 64 digits read after it


def condensed_value(value: str) -> str:
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{value[:KEPT_CHARS]}…[{len(value)} characters condensed by vaultlab; sha256 {digest}]"


def _walk(value):
    if isinstance(value, str):
        return condensed_value(value) if len(value) > LONG_VALUE_CHARS else value
    if isinstance(value, dict):
        return {key: _walk(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item) for item in value]
    return value


def condensed_record(raw: bytes) -> bytes:
    """`raw` with its long string values condensed; as it was if it is not a JSON object this
    parser reads (the DuckDB parse then quarantines it with its own reason)."""
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        return raw
    if not isinstance(record, dict):
        return raw
    return json.dumps(_walk(record), ensure_ascii=True, allow_nan=True).encode("ascii") + b"\n"


def condense_long_records(table: pa.Table, max_line_bytes: int) -> pa.Table:
    """The batch (line, raw) with the long string values of its long records condensed; a record
    over `max_line_bytes` is left whole, for the parse to quarantine as too long."""
    raw = table.column("raw")
    if not len(raw) or pc.max(pc.binary_length(raw)).as_py() <= LONG_VALUE_CHARS:
        return table  # the usual case, decided without leaving Arrow
    shorter = [condensed_record(v) if LONG_VALUE_CHARS < len(v) <= max_line_bytes else v for v in raw.to_pylist()]
    return table.set_column(table.schema.get_field_index("raw"), "raw", pa.array(shorter, type=raw.type))
