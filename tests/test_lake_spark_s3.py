"""`vaultlab lake ingest --engine spark` from s3://, against moto in server mode on 127.0.0.1.

A CloudTrail trail in its S3 layout (several .json.gz deliveries, a CloudTrail-Digest object and
its signature, one bad record) and a Vault audit log object (one malformed line) are loaded by
`vaultlab ingest` (DuckDB) and by `lake ingest --engine spark`: the same events, ledger and
quarantine, into a local lake and into a lake on s3:// itself. The Spark session (local[2]) is
the test session's, started before the moto server: its Python workers do not inherit the
server's address or credentials, so these tests pass only when the ingest hands them over.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import boto3
import duckdb
import pytest
from aws_server import moto_endpoint
from conftest import run_cli
from test_lake_spark_ingest import lake_ingest_cli, same

from vaultlab.cli import main as vaultlab_main
from vaultlab.lake import file_records
from vaultlab.lake import s3 as lake_s3
from vaultlab.lake.spark_session import spark_available
from vaultlab.synth.cloudtrail import ACCOUNT, synthesize_cloudtrail
from vaultlab.synth.vault import synthesize

MISSING = spark_available()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"Spark tests skipped: {MISSING}")

BUCKET = "audit-logs"
TRAIL = f"s3://{BUCKET}/AWSLogs/"
VAULT = f"s3://{BUCKET}/vault/audit.log"
LOGS = (TRAIL, VAULT)
CT_PREFIX = f"AWSLogs/{ACCOUNT}/CloudTrail/"
CUT_LINE = b'{"type": "request", "time": "2026-10-20T10:00:00Z", "request": {"id": "cut-off"\n'


@pytest.fixture(scope="module")
def aws(spark):  # `spark` first: its JVM (and its Python workers) never see the server's environment
    with moto_endpoint() as url:
        yield url


@pytest.fixture(scope="module")
def bucket(aws, tmp_path_factory):
    """The bucket as CloudTrail and a Vault log shipper fill it; the keys of the logs in it."""
    root = tmp_path_factory.mktemp("s3-estate")
    synthesize_cloudtrail(root / "ct", records=600, seed=5, records_per_file=150)
    trail = sorted((root / "ct" / "AWSLogs").rglob("*"))
    deliveries = [p for p in trail if p.is_file() and "/CloudTrail/" in p.as_posix()]
    assert len(deliveries) == 4 and any("CloudTrail-Digest" in p.as_posix() for p in trail)
    document = json.loads(gzip.decompress(deliveries[1].read_bytes()))
    bad = {**document["Records"][3], "eventTime": "yesterday", "eventID": "bad-time"}
    document["Records"].insert(4, bad)  # the delivery's 5th record
    deliveries[1].write_bytes(gzip.compress(json.dumps(document).encode()))
    synthesize(root / "vault", lines=2000, seed=11)
    lines = (root / "vault" / "vault_audit.log").read_bytes().splitlines(keepends=True)
    (root / "audit.log").write_bytes(b"".join(lines[:700] + [CUT_LINE] + lines[700:]))
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for path in (p for p in trail if p.is_file()):  # the digest and its .sig too
        s3.upload_file(str(path), BUCKET, path.relative_to(root / "ct").as_posix())
    s3.upload_file(str(root / "audit.log"), BUCKET, "vault/audit.log")
    keys = [f"s3://{BUCKET}/{p.relative_to(root / 'ct').as_posix()}" for p in deliveries]
    return {"deliveries": keys, "bad_delivery": keys[1], "vault": VAULT}


@pytest.fixture(scope="module")
def warehouse_db(bucket, tmp_path_factory) -> Path:
    """The logs loaded from s3:// by `vaultlab ingest` (the DuckDB path)."""
    db = tmp_path_factory.mktemp("s3-wh") / "wh.duckdb"
    done = run_cli("ingest", "--quiet", *LOGS, db=db)
    assert done.returncode == 0, done.stderr
    return db


def lake_rows(lake: Path, sql: str) -> list[tuple]:
    """`sql` over the lake's ledger (`files`) and quarantine (`quarantine`), read by DuckDB."""
    con = duckdb.connect()
    con.execute(f"create view files as select * from read_parquet('{lake}/ingest_files/**/*.parquet')")
    con.execute(f"create view quarantine as select * from read_parquet('{lake}/quarantine/**/*.parquet')")
    return con.execute(sql).fetchall()


def parquet_files(lake: Path) -> list[str]:
    return sorted(p.relative_to(lake).as_posix() for p in lake.rglob("part-*.parquet"))


def check_ledger_and_quarantine(lake: Path, bucket: dict) -> None:
    """Every delivery and the Vault log once, no digest; each file's lines accounted for; the two bad records."""
    ledger = lake_rows(lake, "select path, format, lines_read, events_loaded + duplicates + quarantined, "
                             "quarantined from files order by file_id")
    assert [row[0] for row in ledger] == [*bucket["deliveries"], VAULT]
    assert all(row[2] == row[3] for row in ledger)
    assert [row[1:] for row in ledger] == [("cloudtrail", 150, 150, 0), ("cloudtrail", 151, 151, 1),
                                           ("cloudtrail", 150, 150, 0), ("cloudtrail", 150, 150, 0),
                                           ("vault", 2001, 2001, 1)]
    assert lake_rows(lake, "select path, line, reason from quarantine join files using (file_id) "
                           "order by file_id") == [
        (bucket["bad_delivery"], 5, 'no valid "eventTime" field'),
        (VAULT, 701, "not valid JSON (truncated or malformed)")]


def downloads(caplog) -> Counter:
    """(s3:// object, HTTP status) of each GET of an object the moto server answered while `caplog` listened."""
    found: Counter = Counter()
    for record in caplog.records:
        message = re.sub(r"\x1b\[[0-9;]*m", "", record.getMessage())  # werkzeug colours a 206
        get = re.search(r'"GET /([^?\s]+) HTTP/[0-9.]+" ([0-9]{3})', message)
        if record.name == "werkzeug" and get:
            found[("s3://" + get[1], get[2])] += 1
    return found


def test_s3_logs_into_a_local_lake_same_as_duckdb(spark, bucket, warehouse_db, tmp_path, capsys, caplog, monkeypatch):
    lake = tmp_path / "lake"
    monkeypatch.setattr(file_records, "SPLIT_BYTES", 256 << 10)  # the Vault object read by several tasks
    assert boto3.client("s3").head_object(Bucket=BUCKET, Key="vault/audit.log")["ContentLength"] > 4 * (256 << 10)
    caplog.set_level("INFO", logger="werkzeug")
    assert lake_ingest_cli(lake, *LOGS) == 0
    # the executors downloaded every log from the moto server (the driver only lists), no digest:
    # each object whole once to survey it, a delivery whole again to load it, the Vault log by
    # ranges (HTTP 206), one a split
    got = downloads(caplog)
    assert {uri for uri, _ in got} == {*bucket["deliveries"], VAULT}
    assert all(got[(uri, "200")] == 2 for uri in bucket["deliveries"])
    assert got[(VAULT, "200")] == 1 and got[(VAULT, "206")] >= 4
    counts = same(warehouse_db, lake)  # every event column, ledger counts, quarantine rows
    assert counts["ingest_files"] == 5 and counts["quarantine"] == 2 and counts["event_store"] > 1000
    check_ledger_and_quarantine(lake, bucket)
    before = parquet_files(lake)
    capsys.readouterr()
    assert lake_ingest_cli(lake, *LOGS) == 0  # a re-run: every object already in the ledger
    assert "already loaded" in capsys.readouterr().out
    assert parquet_files(lake) == before and same(warehouse_db, lake) == counts


def test_an_overlapping_object_adds_only_duplicates(spark, bucket, warehouse_db, tmp_path):
    """A rotation holding the Vault log's first 1,000 lines again (its cut-off line 701 too), in a later
    run: every record a duplicate, on both engines; the objects already loaded are not loaded again."""
    db, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    db.write_bytes(warehouse_db.read_bytes())
    assert lake_ingest_cli(lake, *LOGS) == 0
    s3 = boto3.client("s3")
    head = b"".join(s3.get_object(Bucket=BUCKET, Key="vault/audit.log")["Body"].read().splitlines(True)[:1000])
    s3.put_object(Bucket=BUCKET, Key="rotated/audit.log.1", Body=head)
    try:
        again = [*LOGS, f"s3://{BUCKET}/rotated/"]
        done = run_cli("ingest", "--quiet", *again, db=db)
        assert done.returncode == 0, done.stderr
        assert lake_ingest_cli(lake, *again) == 0
    finally:
        s3.delete_object(Bucket=BUCKET, Key="rotated/audit.log.1")
    assert same(db, lake)["ingest_files"] == 6
    assert lake_rows(lake, "select path, lines_read, events_loaded, duplicates, quarantined from files "
                           "where file_id = 6") == [(f"s3://{BUCKET}/rotated/audit.log.1", 1000, 0, 999, 1)]


def s3_lake_ingest(lake: str, *paths: str) -> int:
    return vaultlab_main(["lake", "ingest", lake, *paths, "--engine", "spark", "--master", "local[2]"])


def lake_objects(uri: str) -> dict[str, str]:
    """Key -> ETag of every object under an s3:// prefix."""
    bucket, prefix = uri.removeprefix("s3://").split("/", 1)
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"]: o["ETag"] for page in pages for o in page.get("Contents", [])}


def test_a_lake_on_s3(spark, bucket, tmp_path):
    """The lake itself on s3:// (Spark in local mode: staged in a local copy, uploaded with boto3): a
    run, then a later run whose responses complete requests already in the lake (their partition
    rewritten, the replaced object deleted), then a re-run that changes no object; the same as DuckDB."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="lake-bucket")
    lines = s3.get_object(Bucket=BUCKET, Key="vault/audit.log")["Body"].read().splitlines(keepends=True)
    cut = next(n for n in range(1200, 1400) if b'"type":"request"' in lines[n - 1].replace(b" ", b""))
    s3.put_object(Bucket=BUCKET, Key="parts/a/audit.log", Body=b"".join(lines[:cut]))
    s3.put_object(Bucket=BUCKET, Key="parts/b/audit.log", Body=b"".join(lines[cut:]))
    first, second = (TRAIL, f"s3://{BUCKET}/parts/a/audit.log"), (f"s3://{BUCKET}/parts/b/audit.log",)
    db, lake = tmp_path / "wh.duckdb", "s3://lake-bucket/audit/lake"
    try:
        after = []
        for run in (first, second):
            done = run_cli("ingest", "--quiet", *run, db=db)
            assert done.returncode == 0, done.stderr
            assert s3_lake_ingest(lake, *run) == 0
            after.append(lake_objects(lake))
        written = after[-1]
        assert s3_lake_ingest(lake, *first, *second) == 0  # a re-run: every object already loaded
    finally:
        s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [{"Key": "parts/a/audit.log"},
                                                             {"Key": "parts/b/audit.log"}]})
    assert lake_objects(lake) == written
    assert "audit/lake/_lake.json" in written and not [k for k in written if "_staging" in k]
    [replaced] = set(after[0]) - set(written)  # the day of the request the second run completed
    assert replaced.startswith("audit/lake/event_store/source=vault/event_date=2026-10-")
    copy = lake_s3.mirror(lake, tmp_path / "copy")
    counts = same(db, copy)
    assert counts["ingest_files"] == 6 and counts["quarantine"] == 2
    assert lake_rows(copy, "select count(*) from files where lines_read <> events_loaded + duplicates + "
                           "quarantined") == [(0,)]
    events = f"read_parquet('{copy}/event_store/**/*.parquet', hive_partitioning = true)"
    [(lone,)] = duckdb.connect().execute(f"select count(*) from {events} where source = 'vault' "
                                         "and not (has_request and has_response)").fetchall()
    assert lone == 0  # the request before the cut found its response in the second run: one event


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


def test_a_missing_bucket_is_one_line_and_writes_nothing(spark, bucket, tmp_path, capsys):
    lake = tmp_path / "lake"
    assert s3_lake_ingest(str(lake), "s3://no-such-bucket/AWSLogs/") == 2
    assert "cannot list s3://no-such-bucket/AWSLogs/" in one_line(capsys)
    assert s3_lake_ingest("s3://no-such-bucket/lake", VAULT) == 2  # the lake's bucket
    assert "cannot read s3://no-such-bucket/lake/_lake.json" in one_line(capsys)
    assert s3_lake_ingest(str(lake), f"s3://{BUCKET}/no/such/prefix/") == 2
    assert f"no object under s3://{BUCKET}/no/such/prefix/" in one_line(capsys)
    assert not lake.exists()


def test_no_credentials_is_one_line_and_writes_nothing(spark, bucket, tmp_path, capsys, monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    # boto3's default session keeps the credentials it first resolved in this process (an earlier test's)
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    lake = tmp_path / "lake"
    assert s3_lake_ingest(str(lake), VAULT) == 2
    assert "Unable to locate credentials" in one_line(capsys)
    assert not lake.exists()


def test_an_object_a_task_cannot_download_stops_the_run(bucket):
    """What an executor does when its download fails (gone since the listing, credentials refused):
    the survey stops the run in one line; a normalising task reports the file as failed."""
    gone = f"s3://{BUCKET}/vault/rotated-away.log"
    with pytest.raises(file_records.DownloadError, match=f"^cannot read {gone}: .*Not Found.*; check the bucket"):
        file_records.survey(gone, None, False)
    [row] = [b.to_pylist()[0] for b in file_records.normalise(
        {"uri": gone, "format": "vault", "file_id": 1, "offset": 0, "line": 1, "stop": None})]
    assert row["row_type"] == "failed" and row["reason"].startswith(f"cannot read {gone}: ")


def test_the_workers_get_where_always_and_who_only_in_local_mode(monkeypatch):
    """On a cluster the executors use their own credentials: the driver's keys never go with the tasks."""
    from types import SimpleNamespace

    from vaultlab.lake.spark_session import aws_environment

    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://s3.internal:9000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "driver-secret")
    for master, handed in (("yarn", {"AWS_ENDPOINT_URL"}), ("local[2]", {"AWS_ENDPOINT_URL", "AWS_SECRET_ACCESS_KEY"})):
        context = SimpleNamespace(master=master, environment={"PYTHONHASHSEED": "0"})
        with aws_environment(SimpleNamespace(sparkContext=context)):
            assert set(context.environment) & {"AWS_ENDPOINT_URL", "AWS_SECRET_ACCESS_KEY"} == handed
            assert context.environment["AWS_ENDPOINT_URL"] == "http://s3.internal:9000"
        assert context.environment == {"PYTHONHASHSEED": "0"}  # as it was, after the block
