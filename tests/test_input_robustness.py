"""Inputs no one here wrote: damaged first lines, damaged .gz files, junk, bombs, odd paths."""

import gzip
import json
from pathlib import Path

import pytest

from vaultlab import ingest, reader
from conftest import rows


def _vault_lines(synth_small, n: int) -> list[bytes]:
    out, _ = synth_small
    with open(out / "vault_audit.log", "rb") as fh:
        return [fh.readline() for _ in range(n)]


def _accounted(r) -> bool:
    return r.lines_read == r.events_loaded + r.duplicates + r.quarantined


# --- issue 12 item 0: the layout is decided from more than the first record ---------------

def test_a_first_line_damaged_into_a_list_or_a_lone_brace_is_one_bad_line(warehouse, synth_small, tmp_path):
    lines = _vault_lines(synth_small, 40)
    (tmp_path / "array.log").write_bytes(b"[" + lines[0].rstrip(b"\n") + b"]\n" + b"".join(lines[1:]))
    (tmp_path / "brace.log").write_bytes(b"{\n" + b"".join(lines[1:]))
    results = {Path(r.path).name: r for r in ingest(warehouse, [str(tmp_path / "array.log"),
                                                                str(tmp_path / "brace.log")], progress=False)}
    for name, r in results.items():
        assert (r.lines_read, r.quarantined) == (40, 1), name
        assert _accounted(r)
    bad = rows(warehouse, "select line from quarantine order by file_id")
    assert [b["line"] for b in bad] == [1, 1]


def test_genuine_documents_keep_their_layout():
    record = json.dumps({"eventTime": "2026-10-01T00:00:00Z", "eventSource": "s"}).encode()
    assert reader.layout(b'{"Records":[\n' + b",\n".join([record] * 5) + b"\n]}\n") == ("container", 2)
    assert reader.layout(b"\n".join([b'{"records":[' + record + b"]}"] * 5) + b"\n") == ("container", 2)
    assert reader.layout(b"[" + record + b"]\n[" + record + b"]\n") == ("container", 1)
    pretty = json.dumps({"a": 1, "b": {"c": [1, 2]}}, indent=2).encode() + b"\n"
    assert reader.layout(pretty * 5) == ("pretty", None)
    assert reader.layout(record + b"\n" + record + b"\n") == ("lines", None)
