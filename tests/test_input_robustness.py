"""Inputs no one here wrote: damaged first lines, damaged .gz files, junk, bombs, odd paths."""

import gzip
import json
import zlib
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


# --- issue 11 item 3: a damaged .gz keeps every line before the damage ---------------------

def _inflate_until_damage(blob: bytes) -> bytes:
    """What inflating up to the damage recovers (as `gzip -dc` does): the reference."""
    unzip, out = zlib.decompressobj(47), bytearray()
    for i in range(0, len(blob), 4096):
        saved = unzip.copy()
        try:
            out += unzip.decompress(blob[i:i + 4096])
        except zlib.error:
            for j in range(i, min(i + 4096, len(blob))):
                try:
                    out += saved.decompress(blob[j:j + 1])
                except zlib.error:
                    return bytes(out)
    return bytes(out)


def test_a_gzip_with_a_bad_crc_loads_every_line(warehouse, synth_small, tmp_path):
    out, _ = synth_small
    text = (out / "vault_audit.log").read_bytes()
    blob = bytearray(gzip.compress(text, mtime=0))
    blob[-8] ^= 0xFF  # the CRC of the trailer, nothing else
    (tmp_path / "crc.log.gz").write_bytes(bytes(blob))
    [r] = ingest(warehouse, [str(tmp_path / "crc.log.gz")], progress=False)
    lines = text.count(b"\n")
    assert r.events_loaded == lines
    assert r.lines_read == lines + 1 and r.quarantined == 1 and _accounted(r)
    [damage] = rows(warehouse, "select line, reason from quarantine")
    assert damage["line"] == lines + 1 and "damaged" in damage["reason"] and "byte" in damage["reason"]
    [ledger] = rows(warehouse, "select lines_read, events_loaded, quarantined from ingest_files")
    assert ledger == {"lines_read": lines + 1, "events_loaded": lines, "quarantined": 1}


def test_a_flipped_byte_mid_gzip_keeps_the_lines_before_it(warehouse, synth_small, tmp_path):
    out, _ = synth_small
    text = (out / "vault_audit.log").read_bytes()
    blob = bytearray(gzip.compress(text, mtime=0))
    blob[len(blob) // 2] ^= 0xFF
    (tmp_path / "flip.log.gz").write_bytes(bytes(blob))
    recoverable = _inflate_until_damage(bytes(blob))
    intact = 0  # leading lines recovered unchanged (after the flip, inflate may write garbage)
    for got, want in zip(recoverable.splitlines(True), text.splitlines(True)):
        if got != want:
            break
        intact += 1
    [r] = ingest(warehouse, [str(tmp_path / "flip.log.gz")], progress=False)
    assert r.events_loaded >= intact > len(text.splitlines()) // 3
    assert r.quarantined >= 1 and _accounted(r)  # the damage at least
    assert r.lines_read >= recoverable.count(b"\n") + 1  # every line read, and the damage, counted
