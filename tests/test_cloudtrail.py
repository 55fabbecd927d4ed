"""CloudTrail end to end: a synthetic month with planted findings, every delivery layout,
damaged files, S3 through moto in server mode, and a SOC 2 pack from CloudTrail alone."""

import gzip
import json
import os
import random
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from aws_server import moto_server
from conftest import ROOT, rows, run_cli

from vaultlab import Warehouse, ingest
from vaultlab.period import parse_period
from vaultlab.snapshots.inventory import load_inventory
from vaultlab.synth.cloudtrail import ACCOUNT, canonical, inventory_key, synthesize_cloudtrail

OCTOBER = parse_period("2026-10")


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    out = tmp_path_factory.mktemp("cloudtrail")
    answers = synthesize_cloudtrail(out, records=6000, seed=5, records_per_file=1000)
    return out, answers


@pytest.fixture(scope="module")
def loaded(month, tmp_path_factory):
    out, answers = month
    db = tmp_path_factory.mktemp("ct-db") / "w.duckdb"
    with Warehouse(db) as wh:
        results = ingest(wh, [str(out)], progress=False)  # walked from the folder above AWSLogs/
        load_inventory(wh, [str(out / "inventory.json")], as_of=OCTOBER.end, default_store="aws")
    return db, results, answers


def month_dir(results):
    first = next(r.path for r in results if not r.skipped)
    return type(ROOT)(first.split("/AWSLogs/")[0])


def _planted(answers, finding):
    return [p for p in answers["planted"] if p["finding"] == finding]


def test_every_record_loads_once(loaded):
    db, results, answers = loaded
    files = [r for r in results if not r.skipped]
    assert len(files) == answers["files"] == 6
    assert all(r.format == "cloudtrail" for r in files)
    skipped = [r.path.rsplit("/", 1)[-1] for r in results if r.skipped]  # digests and their signatures too
    assert sorted(set(skipped) - {"answers.json", "inventory.json", "public-keys.json"}) == sorted(
        p.name for p in (month_dir(results) / "AWSLogs").rglob("*") if "CloudTrail-Digest" in str(p) and p.is_file())
    assert sum(r.lines_read for r in files) == sum(r.events_loaded for r in files) == answers["records"]
    assert sum(r.quarantined + r.duplicates for r in files) == 0
    with Warehouse(db, read_only=True) as wh:
        assert wh.query("select count(*) from events")[1] == [(answers["events"],)]


def test_the_planted_findings_and_nothing_else(loaded):
    db, _, answers = loaded
    with Warehouse(db, read_only=True) as wh:
        orphans = {r["secret_id"] for r in rows(wh, "select * from orphaned_secrets", period=OCTOBER)}
        assert orphans == {p["secret_id"] for p in _planted(answers, "orphaned_secret")}
        status = {r["secret_id"]: r for r in rows(wh, "select * from rotation_status", period=OCTOBER)}
        assert {k for k, r in status.items() if r["status"] == "overdue"} == {
            p["secret_id"] for p in _planted(answers, "rotation_overdue")}
        assert {k for k, r in status.items() if r["status"] == "due_soon"} == {
            p["secret_id"] for p in _planted(answers, "rotation_due_soon")}
        [rotated] = _planted(answers, "rotation_in_log")
        assert status[rotated["secret_id"]]["rotation_seen_in"] == "audit log"
        assert status[rotated["secret_id"]]["last_rotated_at"].isoformat() == rotated["ts"]
        signals = {(r["signal"], r["actor_name"]) for r in rows(wh, "select * from anomalies", period=OCTOBER)}
        assert signals == {("denied_requests", "mallory"), ("off_hours_human", "bob@example.com")}
        [denied] = _planted(answers, "denied_requests")
        [mallory] = rows(wh, "select * from access_inventory where actor = ?", [denied["actor"]], period=OCTOBER)
        assert (mallory["denied"], mallory["reads"], mallory["resource"]) == (12, 0, denied["resource"])
        [change] = rows(wh, "select * from policy_changes", period=OCTOBER)
        assert change["policy"] == _planted(answers, "policy_change")[0]["policy"]
        assert change["action"] == "PutResourcePolicy" and change["actor_name"] == "carol@example.com"
        batch = rows(wh, "select resource from events where action = 'BatchGetSecretValue' order by resource")
        assert [r["resource"] for r in batch] == _planted(answers, "batch_read")[0]["resources"]


def test_an_inventory_by_bare_name_matches_reads_by_arn(loaded):
    db, _, _ = loaded
    with Warehouse(db, read_only=True) as wh:
        secrets = {r["secret_id"] for r in rows(wh, "select * from secrets")}
        bare = inventory_key("prod/legacy/ftp")
        assert bare == "prod/legacy/ftp" and bare in secrets
        assert inventory_key("staging/payments/db") == "staging/payments/db"  # named bare, and read by ARN
        [staging] = rows(wh, "select * from rotation_status where secret_id = 'staging/payments/db'", period=OCTOBER)
        assert staging["status"] == "ok"
        reads = rows(wh, "select count(*) as n from events where resource_alias = 'staging/payments/db' "
                         "and category = 'secret.read'")
        assert reads[0]["n"] > 0
        assert canonical("prod/ledger/db") in secrets  # named by its full ARN: the suffix is dropped


def _records(month) -> list[dict]:
    out, _ = month
    first = sorted(out.rglob("*.json.gz"))[0]
    return json.loads(gzip.decompress(first.read_bytes()))["Records"]


def test_every_layout_gives_the_same_events(month, tmp_path):
    records = _records(month)[:200]
    (tmp_path / "records.json").write_text(json.dumps({"Records": records}, indent=4))  # pretty, as the docs show
    (tmp_path / "array.json").write_text(json.dumps(records))
    (tmp_path / "lines.jsonl").write_text("".join(json.dumps(r, indent=None) + "\n" for r in records))
    (tmp_path / "delivery.json.gz").write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    with Warehouse(tmp_path / "w.duckdb") as wh:
        first, *others = [ingest(wh, [str(tmp_path / name)], progress=False)[0]
                          for name in ("records.json", "array.json", "lines.jsonl", "delivery.json.gz")]
        assert (first.lines_read, first.events_loaded, first.quarantined) == (200, 200, 0)
        for other in others:  # the same records, laid out otherwise: all known duplicates
            assert (other.lines_read, other.duplicates, other.events_created) == (200, 200, 0)
        # a record of a list document is numbered by its position in the file
        lines = [r["line"] for r in rows(wh, "select line from events where file_id = 1 order by line")]
        assert lines == list(range(1, 201))


def test_bad_records_are_quarantined_and_the_rest_loads(month, tmp_path):
    records = _records(month)[:50]
    bad_time = {**records[10], "eventTime": "yesterday", "eventID": "bad-time"}
    elements = [json.dumps(r) for r in records[:10]] + ['"not an object"', json.dumps(bad_time)] + \
        [json.dumps(r) for r in records[10:]]
    (tmp_path / "mixed.json").write_text('{"Records": [\n' + ",\n".join(elements) + "\n]}\n")
    body = json.dumps({"Records": records}).encode()
    (tmp_path / "cut.json.gz").write_bytes(gzip.compress(body)[: len(gzip.compress(body)) // 2])
    with Warehouse(tmp_path / "w.duckdb") as wh:
        mixed = ingest(wh, [str(tmp_path / "mixed.json")], progress=False)[0]
        assert (mixed.lines_read, mixed.events_loaded, mixed.quarantined) == (52, 50, 2)
        assert rows(wh, "select line, reason from quarantine order by line") == [
            {"line": 11, "reason": "not a JSON object"}, {"line": 12, "reason": 'no valid "eventTime" field'}]
        cut = ingest(wh, [str(tmp_path / "cut.json.gz")], progress=False)[0]
        assert cut.lines_read == cut.events_loaded + cut.duplicates + cut.quarantined
        assert 0 < cut.duplicates < 50  # the records before the damage, loaded already from mixed.json
        reasons = [r["reason"] for r in rows(wh, "select reason from quarantine where file_id = 2 order by line")]
        assert reasons == ["not valid JSON (truncated or malformed)",
                           reasons[-1]] and "damaged" in reasons[-1]


@pytest.fixture(scope="module")
def aws(month):
    with moto_server() as url:
        yield url


def test_s3_delivery_bucket(month, aws, tmp_path):
    out, answers = month
    s3 = boto3.client("s3", endpoint_url=aws, region_name="us-east-1")
    s3.create_bucket(Bucket="org-trail")
    for path in sorted((out / "AWSLogs").rglob("*.json.gz")):
        s3.upload_file(str(path), "org-trail", "trail/" + str(path.relative_to(out)))
    s3.put_object(Bucket="org-trail", Key=f"trail/AWSLogs/{ACCOUNT}/CloudTrail-Digest/eu-west-1/x.json.gz",
                  Body=gzip.compress(b'{"awsAccountId": "1", "logFiles": []}'))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_ENDPOINT_URL": aws}
    cmd = [sys.executable, "-m", "vaultlab", "--db", str(tmp_path / "w.duckdb"), "ingest", "--quiet",
           "s3://org-trail/trail/"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    with Warehouse(tmp_path / "w.duckdb", read_only=True) as wh:
        paths = [r["path"] for r in rows(wh, "select path from ingest_files order by file_id")]
        assert len(paths) == 6 and all(p.startswith(f"s3://org-trail/trail/AWSLogs/{ACCOUNT}/CloudTrail/")
                                       for p in paths)
        assert wh.query("select count(*) from events")[1] == [(answers["events"],)]
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0 and again.stdout.count("already loaded") == 6
    missing = subprocess.run(cmd[:-1] + ["s3://no-such-bucket/x"], capture_output=True, text=True, env=env,
                             timeout=300)
    assert missing.returncode != 0 and len(missing.stderr.strip().splitlines()) == 1


def test_cloudtrail_alone_gives_a_complete_soc2_pack(month, loaded, tmp_path):
    out, _ = month
    db, _, answers = loaded
    verified = run_cli("verify-cloudtrail", str(out), "--public-keys", str(out / "public-keys.json"), db=db)
    assert verified.returncode == 0 and "no findings" in verified.stdout, verified.stdout + verified.stderr
    result = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(tmp_path), db=db)
    assert result.returncode == 0, result.stderr[-3000:]
    pack = tmp_path / "soc2-2026-10"
    assert run_cli("verify", str(pack)).returncode == 0
    controls = json.loads((pack / "controls.json").read_text())
    results = [r for req in controls["requirements"] for r in req["results"]]
    alarms = {(r["check"], r["resource"]) for r in results if r["status"] == "alarm"}
    orphan = _planted(answers, "orphaned_secret")[0]["secret_id"]
    assert {(c, r) for c, r in alarms if c in ("orphaned_secrets", "rotation_overdue")} == {
        ("orphaned_secrets", orphan), ("rotation_overdue", orphan)}
    assert {c for c, _ in alarms} == {"orphaned_secrets", "rotation_overdue", "anomalous_access", "failed_access",
                                      "audit_log_continuity"}
    # the synthetic trail stops on 30 October at 20:22: the end of the month is not covered
    assert {r for c, r in alarms if c == "audit_log_continuity"} == {"cloudtrail end of period"}
    assert {r["status"] for r in results if r["check"] == "audit_log_integrity"} == {"ok"}
    assert {r["status"] for r in results} >= {"ok", "alarm", "manual"}
    page = (pack / "report.html").read_text()
    assert orphan in page and "mallory" in page
    manifest = json.loads((pack / "manifest.json").read_text())
    assert len(manifest["inputs"]) == 6 and all(i["format"] == "cloudtrail" for i in manifest["inputs"])


def test_a_tampered_delivery_file_is_caught_and_alarms(month, tmp_path):
    out, _ = month
    copy = tmp_path / "trail"
    shutil.copytree(out, copy)
    victim = sorted((copy / "AWSLogs").rglob("*_CloudTrail_*.json.gz"))[2]
    records = json.loads(gzip.decompress(victim.read_bytes()))
    records["Records"][7]["sourceIPAddress"] = "10.9.9.9"  # one field of one record, re-zipped
    victim.write_bytes(gzip.compress(json.dumps(records, separators=(",", ":")).encode()))
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        ingest(wh, [str(copy)], progress=False)
    checked = run_cli("verify-cloudtrail", str(copy), "--public-keys", str(copy / "public-keys.json"),
                      "--format", "json", db=db)
    assert checked.returncode == 1
    report = json.loads(checked.stdout)
    assert [(f["kind"], f["path"].rsplit("/", 1)[-1]) for f in report["findings"]] == [("changed", victim.name)]
    result = run_cli("check", "--framework", "soc2", "--period", "2026-10", "--format", "json", db=db)
    integrity = [r for req in json.loads(result.stdout)["requirements"] for r in req["results"]
                 if r["check"] == "audit_log_integrity"]
    assert {(r["status"], r["resource"].rsplit("/", 1)[-1]) for r in integrity} == {("alarm", victim.name)}


def test_cloudtrail_never_verified_is_an_alarm_not_a_pass(loaded, tmp_path):
    db, _, _ = loaded
    fresh = tmp_path / "w.duckdb"
    shutil.copy(db, fresh)
    with Warehouse(fresh) as wh, wh.transaction() as cur:  # forget any verification run
        cur.execute("delete from integrity_findings; delete from integrity_runs")
    result = run_cli("check", "--framework", "soc2", "--period", "2026-10", "--format", "json", db=fresh)
    integrity = [r for req in json.loads(result.stdout)["requirements"] for r in req["results"]
                 if r["check"] == "audit_log_integrity"]
    assert integrity and {(r["status"], r["resource"]) for r in integrity} == {("alarm", "cloudtrail")}


def test_duplicates_are_found_record_by_record_in_one_line_files(month, tmp_path):
    records = _records(month)[:4]

    def delivery(name, chunk):
        (tmp_path / name).write_bytes(gzip.compress(json.dumps({"Records": chunk}, separators=(",", ":")).encode()))
        return str(tmp_path / name)

    with Warehouse(tmp_path / "w.duckdb") as wh:
        [one] = ingest(wh, [delivery("one.json.gz", records[:1])], progress=False)
        [four] = ingest(wh, [delivery("four.json.gz", records)], progress=False)  # one already loaded
        [twice] = ingest(wh, [delivery("twice.json.gz", [records[0], records[0], records[1]])], progress=False)
        assert (one.events_loaded, one.duplicates) == (1, 0)
        assert (four.lines_read, four.events_loaded, four.duplicates) == (4, 3, 1)
        assert (twice.lines_read, twice.events_loaded, twice.duplicates) == (3, 0, 3)
        [inside] = ingest(wh, [delivery("inside.json.gz", [records[2]] * 2 + [_records(month)[9]])],
                          progress=False)
        assert (inside.lines_read, inside.events_loaded, inside.duplicates, inside.events_created) == (3, 1, 2, 1)
        assert wh.query("select count(*) from events")[1] == [(5,)]


def test_many_small_documents_load_and_a_broken_line_spoils_no_other(tmp_path):
    from vaultlab.synth.cloudtrail import _Trail  # one record per document, one document per line

    trail = _Trail(random.Random(3))
    for second in range(3000):
        trail.call(datetime(2026, 10, 1, tzinfo=timezone.utc) + timedelta(seconds=second),
                   trail.role("payments-api"), "secretsmanager.amazonaws.com", "ListSecrets", ip="10.0.0.1")
    lines = [json.dumps({"Records": [r]}) for r in trail.records]
    lines[1500] = lines[1500].replace('"eventName": "ListSecrets"', '"eventName": "List\\"')  # an unclosed string
    (tmp_path / "capture.json").write_text("\n".join(lines) + "\n")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        [result] = ingest(wh, [str(tmp_path / "capture.json")], progress=False)
        assert (result.lines_read, result.events_loaded, result.quarantined) == (3000, 2999, 1)
        assert rows(wh, "select line from quarantine") == [{"line": 1501}]


def test_partial_arns_and_other_partitions(tmp_path):
    from vaultlab.synth.cloudtrail import _Trail

    trail = _Trail(random.Random(4))
    who = trail.role("payments-api")
    at = datetime(2026, 10, 2, tzinfo=timezone.utc)
    for ref in ("arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-backup",  # partial: a word
                "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-Ab12Cd",  # full: the suffix
                "arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:app/key-x9YzQ1"):
        trail.call(at, who, "secretsmanager.amazonaws.com", "GetSecretValue", ip="10.0.0.1", params={"secretId": ref})
    trail.records[-1]["awsRegion"] = "cn-north-1"
    trail.call(at, who, "secretsmanager.amazonaws.com", "GetSecretValue", ip="10.0.0.1",
               params={"secretId": "app/other"})
    trail.records[-1]["awsRegion"] = "cn-north-1"
    (tmp_path / "t.json").write_text(json.dumps({"Records": trail.records}))
    with Warehouse(tmp_path / "w.duckdb") as wh:
        ingest(wh, [str(tmp_path / "t.json")], progress=False)
        assert [r["resource"] for r in rows(wh, "select resource from events order by line")] == [
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db-backup",
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:prod/db",
            "arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:app/key",
            "arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:app/other"]


def test_a_verification_of_another_folder_vouches_for_nothing(month, loaded, tmp_path):
    out, _ = month
    db, _, _ = loaded
    copy = tmp_path / "w.duckdb"
    shutil.copy(db, copy)
    with Warehouse(copy) as wh, wh.transaction() as cur:
        cur.execute("delete from integrity_findings; delete from integrity_runs")
    other = tmp_path / "other-trail"
    synthesize_cloudtrail(other, records=500, seed=9)
    assert run_cli("verify-cloudtrail", str(other), "--public-keys", str(other / "public-keys.json"),
                   db=copy).returncode == 0
    result = run_cli("check", "--framework", "soc2", "--period", "2026-10", "--format", "json", db=copy)
    integrity = {(r["status"], r["resource"]) for req in json.loads(result.stdout)["requirements"]
                 for r in req["results"] if r["check"] == "audit_log_integrity"}
    assert integrity == {("alarm", "cloudtrail")}
