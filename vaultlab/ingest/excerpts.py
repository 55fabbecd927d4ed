"""Quarantine excerpts: a refused record's first KB, its shape and field names kept, never a value."""

from __future__ import annotations

import json
import re

EXCERPT_BYTES = 1024

# A quarantined record's excerpt keeps its shape and field names, never its values: a
# log_raw device writes live tokens and secret values, audited headers carry bearer tokens,
# and a record that cannot be parsed cannot be redacted field by field. It is built from
# the decoded text (invalid UTF-8 replaced first), so escapes and bad bytes hide nothing; a
# string cut off by the end of the line is a value too. Only the values of these fields,
# which say why a record was refused, are kept (when short and plain).
EXCERPT_KEEPS = {"time", "type", "eventTime", "eventVersion", "eventSource", "eventName", "eventType",
                 "timestamp", "operationName", "category", "serviceName", "methodName", "@type"}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\\?$)', re.S)  # a JSON string, or one cut off at the end
_OUTSIDE = re.compile(r"[^\s{}\[\],:]+")  # anything between strings that is not structure
_PLAIN = re.compile(r"[\w@$.:+/ -]{0,64}")
_NAME = re.compile(r"[\w@$.-]{1,64}")


def redact_excerpt(raw: bytes) -> str:
    """A bad record's first KB with every value replaced by <cut>; field names and structure kept."""
    text = raw[: EXCERPT_BYTES * 4].decode("utf-8", "replace").rstrip("\t\r\n ")
    out, pos, key = [], 0, None
    for found in _STRING.finditer(text):
        out.append(_OUTSIDE.sub(_literal, text[pos:found.start()]))
        between, piece, pos = text[pos:found.start()], found[0], found.end()
        if text[pos:].lstrip().startswith(":") and len(piece) > 1 and piece.endswith('"'):
            key = _decoded(piece)
            out.append(f'"{key}"' if key and _NAME.fullmatch(key) else '"<key>"')
            continue
        value = _decoded(piece) if piece.endswith('"') and len(piece) > 1 else None
        keep = key in EXCERPT_KEEPS and between.strip() == ":" and value is not None and _PLAIN.fullmatch(value)
        out.append(f'"{value}"' if keep else '"<cut>"')
        key = None
    out.append(_OUTSIDE.sub(_literal, text[pos:]))
    return "".join(out)[:EXCERPT_BYTES]


def _literal(found: re.Match) -> str:
    return found[0] if found[0] in ("true", "false", "null") else "<cut>"


def _decoded(piece: str) -> str | None:
    try:
        return json.loads(piece)
    except ValueError:
        return None


def quarantine_staged(cur) -> None:
    """Move the staged records that failed a check into `quarantine`, their excerpts redacted here."""
    bad = cur.execute("select file_id, line, reason, excerpt from vl_stage where reason is not null").fetchall()
    if bad:
        cur.executemany("insert into quarantine values (?, ?, ?, ?)",
                        [(f, n, why, redact_excerpt(raw) if raw is not None else None) for f, n, why, raw in bad])
