"""Inputs no one here wrote: damaged first lines, damaged .gz files, junk, bombs, odd paths."""

import ctypes
import gzip
import json
import os
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from conftest import ROOT, rows, run_cli

from vaultlab import Warehouse, ingest
from vaultlab.ingest import reader
from vaultlab.synth.vault import synthesize


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


# --- issue 11 item 4: junk at the start of a file found in a folder ------------------------

def test_a_log_behind_a_block_of_nuls_is_found_loaded_and_accounted(db_path, synth_small, tmp_path):
    lines = _vault_lines(synth_small, 150)
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "crashed.log").write_bytes(b"\0" * (1 << 20) + b"\n" + b"".join(lines[:100]))  # a crash's NUL block
    (folder / "glued.log").write_bytes(b"\0" * ((1 << 20) + 10) + b"".join(lines[100:]))  # no newline after it
    result = run_cli("ingest", "--quiet", str(folder), db=db_path)
    assert result.returncode == 0, result.stdout + result.stderr
    with Warehouse(db_path) as wh:
        ledger = {Path(r["path"]).name: r for r in rows(wh, "select * from ingest_files")}
    assert ledger["crashed.log"]["format"] == "vault"
    assert (ledger["crashed.log"]["lines_read"], ledger["crashed.log"]["events_loaded"],
            ledger["crashed.log"]["quarantined"]) == (101, 100, 1)  # the NUL block is one bad line
    glued = ledger["glued.log"]
    assert glued["lines_read"] == 50 and glued["events_loaded"] == 49 and glued["quarantined"] == 1


def test_a_skipped_file_is_listed_with_its_reason_and_the_exit_code_says_so(db_path, synth_small, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "audit.log").write_bytes(b"".join(_vault_lines(synth_small, 10)))
    (folder / "notes.txt").write_text("not an audit log\n" * 100_000)
    (folder / "empty.log").write_text("")
    result = run_cli("ingest", "--quiet", str(folder), db=db_path)
    assert result.returncode == 1, result.stderr
    table = {line.split()[0].rsplit("/", 1)[-1]: line for line in result.stdout.splitlines()[2:]}
    assert "skipped: not a known audit log format" in table["notes.txt"]
    assert "skipped: empty file" in table["empty.log"]  # nothing in it: not what the exit code is about
    assert table["audit.log"].split()[3] == "10"
    assert "1 file(s) skipped" in result.stderr


# --- issue 12 item 9: recursive globs over symlink cycles ----------------------------------

def _cli(db: Path, *args: str, cwd: Path, stdin: bytes | None = None, drop_root_reads: bool = False):
    """The real command, bounded in time (a hang fails the test instead of stalling it)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(db), "ingest", "--quiet", *args],
                          cwd=cwd, env=env, input=stdin, capture_output=True, timeout=60,
                          preexec_fn=_without_root_reads if drop_root_reads else None)


def _without_root_reads() -> None:
    """As root, give up reading what file permissions forbid (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (1, 2):
            if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _table(stdout: bytes) -> dict[str, str]:
    return {line.split()[0]: line for line in stdout.decode().splitlines()[2:]}


def test_a_recursive_glob_over_symlink_cycles_ends_with_each_real_file_once(synth_small, tmp_path):
    lines = _vault_lines(synth_small, 40)
    (tmp_path / "logs" / "sub").mkdir(parents=True)
    (tmp_path / "logs" / "a.log").write_bytes(b"".join(lines[:20]))
    (tmp_path / "logs" / "sub" / "b.log").write_bytes(b"".join(lines[20:]))
    (tmp_path / "logs" / "loop").symlink_to(".")
    (tmp_path / "logs" / "sub" / "up").symlink_to("..")
    for pattern in ("logs/**", "logs/**/*.log"):
        result = _cli(tmp_path / f"{pattern.count('*')}.duckdb", pattern, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        table = _table(result.stdout)
        assert sorted(Path(p).name for p in table) == ["a.log", "b.log"], pattern
        assert all(line.split()[3] == "20" for line in table.values())


# --- issue 12 item 11: unreadable and special inputs ---------------------------------------

def test_unreadable_and_special_paths_are_skipped_with_a_reason_and_the_rest_loads(synth_small, tmp_path):
    lines = _vault_lines(synth_small, 60)
    logs = tmp_path / "logs"
    (logs / "locked").mkdir(parents=True)
    (logs / "good.log").write_bytes(b"".join(lines[:20]))
    (logs / "locked" / "hidden.log").write_bytes(b"".join(lines[20:40]))
    (logs / "secret.log").write_bytes(b"".join(lines[40:]))
    (logs / "dangling.log").symlink_to(tmp_path / "gone.log")
    os.mkfifo(logs / "pipe.log")
    (logs / "secret.log").chmod(0)
    (logs / "locked").chmod(0)
    try:
        cases = ([str(logs)], ["logs/*.log", "logs/**"], [str(logs / "good.log"), str(logs / "secret.log")])
        for number, paths in enumerate(cases):
            db = tmp_path / f"{number}.duckdb"
            result = _cli(db, *paths, cwd=tmp_path, drop_root_reads=True)
            assert result.returncode == 1, result.stderr
            assert b"Traceback" not in result.stderr
            table = {Path(p).name: line for p, line in _table(result.stdout).items()}
            assert table["good.log"].split()[3] == "20", paths
            assert "skipped: not readable: Permission denied" in table["secret.log"]
            if len(paths) == 1 or paths[1] == "logs/**":  # a walk: the folder it cannot list is a row too
                assert "skipped: folder not readable: Permission denied" in table["locked"]
    finally:
        (logs / "locked").chmod(0o755)
    result = _cli(tmp_path / "globs.duckdb", "logs/*.log", cwd=tmp_path)
    table = {Path(p).name: line for p, line in _table(result.stdout).items()}
    assert "skipped: a named pipe (FIFO), not a regular file" in table["pipe.log"]
    assert "skipped: a symlink to a file that does not exist (dangling)" in table["dangling.log"]


@pytest.mark.parametrize("name", ["-", "/dev/stdin"])
def test_standard_input_is_read(synth_small, tmp_path, name):
    result = _cli(tmp_path / "w.duckdb", name, cwd=tmp_path, stdin=b"".join(_vault_lines(synth_small, 12)))
    assert result.returncode == 0, result.stderr
    [(path, line)] = _table(result.stdout).items()
    assert path == "<stdin>" and line.split()[3] == "12"


# --- issue 11 item 16, issue 12 item 10: bombs and huge documents in bounded memory --------

_MEASURE = """
import resource, sys
from vaultlab import Warehouse, ingest
with Warehouse(sys.argv[1]) as wh:
    [r] = ingest(wh, [sys.argv[2]], fmt=sys.argv[3], progress=False)
print(r.lines_read, r.events_loaded, r.quarantined, r.skipped or "", sep="|")
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _members(unit: bytes, count: int) -> bytes:
    """`count` gzip members of `unit`: a file a thousand times smaller than what it inflates to."""
    return gzip.compress(unit, mtime=0) * count


_RECORD = json.dumps({"time": "2026-10-01T00:00:00Z", "type": "request",
                      "request": {"id": "r-1", "path": "secret/data/a", "operation": "read"}}).encode()
_MIB = 1 << 20


@pytest.mark.slow
@pytest.mark.parametrize("name, blob, expected", [
    # 400 MiB on one line: read past in bounded steps, quarantined as too long
    ("line", _members(b"a" * _MIB, 400) + gzip.compress(b"\n" + _RECORD + b"\n"), "2|1|1|"),
    # 64 MiB of newlines: blank lines are no records, and become no rows
    ("newlines", gzip.compress(_RECORD + b"\n") + _members(b"\n" * _MIB, 64), "1|1|0|"),
    # a list document of 200 MiB: refused as soon as it passes the limit
    ("document", gzip.compress(b"[", mtime=0) + _members((_RECORD + b",") * (_MIB // (len(_RECORD) + 1)), 200),
     "0|0|0|JSON documents over 64 MiB are not read whole"),
])
def test_a_bomb_is_read_in_bounded_memory(tmp_path, name, blob, expected):
    (tmp_path / f"{name}.gz").write_bytes(blob)
    result = subprocess.run([sys.executable, "-c", _MEASURE, str(tmp_path / "w.duckdb"), str(tmp_path / f"{name}.gz"),
                             "vault"], capture_output=True, text=True, timeout=300, env={**os.environ,
                                                                                         "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-2000:]
    counts, peak_mib = result.stdout.splitlines()[-2:]
    assert counts.startswith(expected)
    assert int(peak_mib) < 1000, f"{name}: peak RSS {peak_mib} MiB"  # the bound: under 1 GB for any input


# --- issue 12 item 8: records up to the documented 16 MiB at the default memory limit ------

def _big_record(number: int, value_bytes: int) -> bytes:
    return json.dumps({"time": f"2026-10-01T00:00:{number:02d}Z", "type": "request",
                       "auth": {"client_token": "hmac-sha256:" + "ab" * 32},
                       "request": {"id": f"big-{number}", "operation": "update", "path": "secret/data/big",
                                   "data": {"blob": "hmac-sha256:" + "a" * value_bytes}}}).encode() + b"\n"


@pytest.mark.slow
@pytest.mark.parametrize("sizes", [[4 << 20] * 10, [1536 << 10] * 12, [12 << 20], [15 << 20]],
                         ids=["ten-4MiB", "twelve-1.5MiB", "one-12MiB", "one-15MiB"])
def test_records_up_to_16_mib_load_at_the_default_memory_limit(tmp_path, sizes, monkeypatch):
    monkeypatch.delenv("VAULTLAB_MEMORY_LIMIT", raising=False)
    (tmp_path / "big.log").write_bytes(b"".join(_big_record(n, size) for n, size in enumerate(sizes)))
    with Warehouse(tmp_path / "w.duckdb") as wh:
        [r] = ingest(wh, [str(tmp_path / "big.log")], progress=False)
    assert (r.lines_read, r.events_loaded, r.quarantined) == (len(sizes), len(sizes), 0)


def test_a_condensed_record_keeps_what_the_normalisation_reads(tmp_path):
    """A record with a value over 64 KiB is condensed before DuckDB parses it: its identity still
    ignores layout and key order, and a plain value still counts as raw while an HMAC does not."""
    big = "s3cr3t-" * (300 << 10)  # 2.1 MB of a plain value where an HMAC belongs (log_raw=true)
    record = {"time": "2026-10-01T00:00:01Z", "type": "request", "auth": {"client_token": "hmac-sha256:" + "ab" * 32},
              "request": {"id": "big-1", "operation": "update", "path": "secret/data/big",
                          "data": {"blob": big, "note": "hmac-sha256:" + "cd" * 32}}}
    compact = json.dumps(record).encode() + b"\n"
    reshipped = json.dumps(record, sort_keys=True, separators=(",", ":")).encode() + b"\n"  # as `jq -cS .` would
    other = json.dumps({**record, "request": {**record["request"], "id": "big-2"}})
    (tmp_path / "a.log").write_bytes(compact)
    (tmp_path / "b.log").write_bytes(reshipped)
    (tmp_path / "c.log").write_bytes(other.encode() + b"\n")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        a, b, c = (ingest(wh, [str(tmp_path / name)], source="vault", progress=False)[0] for name in ("a.log", "b.log", "c.log"))
        stored = wh.query("select count(*) from event_store where list_contains(policies, 's3cr3t') "
                          "or coalesce(resource, '') like '%s3cr3t%' or coalesce(error, '') like '%s3cr3t%'")[1]
    assert (a.events_loaded, a.raw_values) == (1, 1)  # the plain value counted, the HMAC not
    assert (b.events_loaded, b.duplicates) == (0, 1)  # the same record re-shipped: nothing new
    assert (c.events_loaded, c.duplicates) == (1, 0)  # another request: a record of its own
    assert stored == [(0,)]


@pytest.mark.slow
def test_a_lower_memory_limit_loads_in_smaller_segments_instead_of_failing(tmp_path):
    synthesize(tmp_path, lines=120_000, seed=3)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VAULTLAB_MEMORY_LIMIT": "160MB"}
    result = subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(tmp_path / "w.duckdb"), "ingest", "--quiet",
                             str(tmp_path / "vault_audit.log")], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()[2:]
    assert line.split()[2:4] == ["120000", "120000"]
