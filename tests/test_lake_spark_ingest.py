"""`vaultlab lake ingest --engine spark` gives what `vaultlab ingest` gives: the same events, ledger
and quarantine, on the synthetic month, on damaged files, across runs; a re-run adds nothing.

Spark runs in local mode (local[2], no UI, 2 shuffle partitions), one session for the whole
test session; without Java or pyspark these tests are skipped with the reason shown.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import run_cli

from vaultlab.cli import main as vaultlab_main
from vaultlab.ingest.pairing import EVENT_COLUMNS
from vaultlab.lake import file_records
from vaultlab.lake.spark_session import spark_available
from vaultlab.synth.cloudtrail import synthesize_cloudtrail
from vaultlab.synth.vault import synthesize

MISSING = spark_available()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"Spark tests skipped: {MISSING}")

# compared as text: the lake keeps the 128-bit record hashes as decimal text, JSON as text
_AS_TEXT = {"request_hash", "response_hash", "auth_metadata"}
EVENTS = ", ".join(f"{c}::varchar as {c}" if c in _AS_TEXT else c for c in EVENT_COLUMNS)
LEDGER = ("file_id, path, sha256, bytes, format, lines_read, events_loaded, duplicates, quarantined, "
          "events_created, raw_values, log_raw, plain_accessors")  # started_at/finished_at: each engine's own
QUARANTINE = "file_id, line, reason, excerpt"
CANARY = b"canary-s3cr3t-9f2e"


@pytest.fixture
def small_splits(monkeypatch):
    """Splits of ~256 KB, so that one synthetic log is read by several tasks."""
    monkeypatch.setattr(file_records, "SPLIT_BYTES", 256 << 10)


def lake_ingest_cli(lake: Path, *paths: Path) -> int:
    return vaultlab_main(["lake", "ingest", str(lake), *map(str, paths), "--engine", "spark", "--master", "local[2]"])


def _lake(lake: Path, table: str) -> str:
    hive = ", hive_partitioning = true" if table == "event_store" else ""
    return f"read_parquet('{lake}/{table}/**/*.parquet'{hive})"


def differences(db: Path, lake: Path) -> dict[str, tuple[int, int, int]]:
    """Per table: (rows in the warehouse, rows only there, rows only in the lake), as multisets."""
    con = duckdb.connect()
    con.execute(f"attach '{db}' as wh (read_only)")
    out = {}
    for table, columns in (("event_store", EVENTS), ("ingest_files", LEDGER), ("quarantine", QUARANTINE)):
        if not list(lake.glob(f"{table}/**/*.parquet")):
            [(n,)] = con.execute(f"select count(*) from wh.{table}").fetchall()
            out[table] = (n, n, 0)
            continue
        here, there = f"select {columns} from wh.{table}", f"select {columns} from {_lake(lake, table)}"
        [(n,)] = con.execute(f"select count(*) from wh.{table}").fetchall()
        [(only_wh,)] = con.execute(f"select count(*) from ({here} except all {there})").fetchall()
        [(only_lake,)] = con.execute(f"select count(*) from ({there} except all {here})").fetchall()
        out[table] = (n, only_wh, only_lake)
    return out


def same(db: Path, lake: Path) -> dict[str, int]:
    found = differences(db, lake)
    assert {t: d[1:] for t, d in found.items()} == {t: (0, 0) for t in found}, found
    return {t: d[0] for t, d in found.items()}


@pytest.fixture(scope="session")
def estate(tmp_path_factory):
    """Raw logs as they arrive: a rotated Vault log (gzip, overlapping rotations, pairs split
    across files), a log with bad lines, and a CloudTrail trail in its S3 layout."""
    root = tmp_path_factory.mktemp("estate")
    synthesize(root / "synth", lines=6000, seed=11)
    lines = (root / "synth" / "vault_audit.log").read_bytes().splitlines(keepends=True)
    vault = root / "vault"
    vault.mkdir()
    (vault / "audit.log.2.gz").write_bytes(gzip.compress(b"".join(lines[:2001])))
    (vault / "audit.log.1").write_bytes(b"".join(lines[1990:4001]))  # 11 lines again, pairs split
    bad = [b'{"type": "request", "time": "2026-10-20T10:00:00Z", "request": {"id": "x", "data": {"p": "' + CANARY
           + b'"\n',  # cut off
           # a log_raw=true device: a plain value where an HMAC belongs; counted, never stored
           b'{"type": "request", "time": "2026-10-20T10:00:03Z", "auth": {"client_token": "hmac-sha256:aa", '
           b'"accessor": "hmac-sha256:bb", "display_name": "token"}, "request": {"id": "raw-1", '
           b'"operation": "update", "path": "secret/data/app", "data": {"password": "' + CANARY + b'"}}}\n',
           b'{"time": "2026-10-20T10:00:01Z", "request": {"id": "no-type"}}\n',
           b'{"type": "request", "time": "2026-10-20T10:00:02+99:00", "request": {"id": "bad-offset"}}\n',
           b"\n", b"\xff\xfe not utf-8\n"]
    (vault / "audit.log").write_bytes(b"".join(lines[4001:5000] + bad + lines[5000:]))
    synthesize_cloudtrail(root / "ct", records=400, seed=5)
    return root


def test_synthetic_estate_same_as_duckdb(spark, estate, tmp_path, small_splits):
    db, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    logs = [estate / "vault", estate / "ct" / "AWSLogs"]
    done = run_cli("ingest", "--quiet", *map(str, logs), db=db)
    assert done.returncode == 0, done.stderr
    assert lake_ingest_cli(lake, *logs) == 0
    counts = same(db, lake)
    assert counts["event_store"] > 3000 and counts["quarantine"] == 4  # the blank line is no record
    con = duckdb.connect()
    [(files, lines, accounted, off_day)] = con.execute(
        f"select count(*), sum(lines_read), sum(events_loaded + duplicates + quarantined), "
        f"(select count(*) from {_lake(lake, 'event_store')} where event_date <> (ts at time zone 'UTC')::date) "
        f"from {_lake(lake, 'ingest_files')}").fetchall()
    assert lines == accounted and off_day == 0 and files > 3
    [(dupes,)] = con.execute(f"select sum(duplicates) from {_lake(lake, 'ingest_files')}").fetchall()
    assert dupes == 11
    before = sorted(p.name for p in lake.rglob("part-*.parquet"))
    assert lake_ingest_cli(lake, *logs) == 0  # a re-run adds nothing
    assert sorted(p.name for p in lake.rglob("part-*.parquet")) == before
    assert same(db, lake) == counts
    assert not list(lake.glob("_staging/*"))


def test_damaged_files_accounted_alike(spark, tmp_path, estate):
    """Truncated gzip, bad lines, an oversized line: the same accounting and quarantine on both engines."""
    logs = tmp_path / "logs"
    logs.mkdir()
    whole = gzip.compress((estate / "vault" / "audit.log.1").read_bytes())
    (logs / "cut.log.gz").write_bytes(whole[: len(whole) // 2])  # a rotation cut off mid-stream
    shutil.copy(estate / "vault" / "audit.log", logs / "bad.log")
    db, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    done = run_cli("ingest", "--quiet", str(logs), db=db)
    assert done.returncode == 0, done.stderr
    assert lake_ingest_cli(lake, logs) == 0
    counts = same(db, lake)
    con = duckdb.connect()
    reasons = con.execute(f"select reason from {_lake(lake, 'quarantine')} order by file_id, line").fetchall()
    # bad.log: its 4 bad lines; cut.log.gz: the line the cut goes through, and the damage itself
    assert len(reasons) == counts["quarantine"] == 6
    assert sum("damaged" in r for (r,) in reasons) == 1
    [(lines, accounted)] = con.execute(f"select sum(lines_read), sum(events_loaded + duplicates + quarantined) "
                                       f"from {_lake(lake, 'ingest_files')}").fetchall()
    assert lines == accounted == 2004 + 915
    [(raw, log_raw)] = con.execute(f"select sum(raw_values), count(*) filter (where log_raw) "
                                   f"from {_lake(lake, 'ingest_files')}").fetchall()
    assert (raw, log_raw) == (1, 1)
    for table in ("event_store", "ingest_files", "quarantine"):  # no secret value in any table
        assert CANARY.decode() not in str(con.execute(f"select * from {_lake(lake, table)}").fetchall())


def test_pairs_across_runs(spark, tmp_path, estate, small_splits):
    """A response arriving in a later run completes the request already in the lake (its partition rewritten)."""
    db, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    first, second = estate / "vault" / "audit.log.2.gz", estate / "vault" / "audit.log.1"
    for log in (first, second):
        done = run_cli("ingest", "--quiet", str(log), db=db)
        assert done.returncode == 0, done.stderr
        assert lake_ingest_cli(lake, log) == 0
        same(db, lake)
    con = duckdb.connect()
    [(lone,)] = con.execute(f"select count(*) from {_lake(lake, 'event_store')} "
                            "where not (has_request and has_response)").fetchall()
    assert lone == 1  # the last request of audit.log.1 waits for its response in audit.log


def test_impossible_requests_are_one_line(spark, tmp_path, capsys):
    assert vaultlab_main(["lake", "ingest", str(tmp_path / "lake"), str(tmp_path / "nothing.log")]) == 2
    assert "does not exist" in capsys.readouterr().err
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello\n")
    assert vaultlab_main(["lake", "ingest", str(tmp_path / "lake"), str(unknown)]) == 2
    assert "cannot tell the source" in capsys.readouterr().err
    assert not list((tmp_path / "lake").rglob("*.parquet"))
