"""Issue 11 item 5: a duplicate is found whatever its layout (key order, blanks, escaping: a log
re-shipped through `jq -cS .`) and however long after its request a response comes again."""

import json

import pytest
from conftest import rows
from test_event_names import azure, cloudtrail, gcp

from vaultlab import ingest


def reshipped(record: dict) -> str:
    """As `jq -cS .` would write it (keys sorted at every depth), with ASCII escapes and `\\/`."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/") + "\n"


def vault(kind: str, rid: str, ts: str, path="secret/data/app/é") -> dict:
    h = "hmac-sha256:" + rid.encode().hex().ljust(64, "0")
    record = {"time": ts, "type": kind,
              "auth": {"client_token": h, "accessor": h, "display_name": "approle", "policies": ["app"],
                       "metadata": {"role_name": "ci", "team": "x"}, "entity_id": "ent-1"},
              "request": {"id": rid, "operation": "read", "mount_type": "kv", "mount_point": "secret/",
                          "path": path, "remote_address": "10.0.0.5", "client_token": h, "client_token_accessor": h,
                          "headers": {"user-agent": ["vault/1.17 (+https://x)"]}}}
    if kind == "response":
        record["response"] = {"mount_type": "kv", "data": {"data": {"password": h, "user": h}, "metadata": {"v": 1}}}
    return record


def test_a_reshipped_vault_log_adds_nothing(warehouse, tmp_path):
    records = [vault(kind, f"r-{n}", f"2026-10-05T10:{n:02d}:0{k}Z") for n in range(20)
               for k, kind in enumerate(("request", "response"))]
    original, copy = tmp_path / "audit.log", tmp_path / "audit.sorted.log"
    original.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    copy.write_text("".join(reshipped(r) for r in records))
    ingest(warehouse, [str(original)], progress=False)
    [again] = ingest(warehouse, [str(copy)], progress=False)
    assert (again.lines_read, again.duplicates, again.events_created) == (40, 40, 0)
    assert rows(warehouse, "select count(*) as n from events")[0]["n"] == 20


@pytest.mark.parametrize("source", ["cloudtrail", "gcp", "azure"])
def test_a_reshipped_cloud_log_adds_nothing(warehouse, tmp_path, source):
    build = {"cloudtrail": cloudtrail, "gcp": gcp, "azure": azure}[source]
    service = {"cloudtrail": "secretsmanager.amazonaws.com", "gcp": "secretmanager.googleapis.com"}.get(source, "")
    records = [build(service, "GetSecretValue" if source == "cloudtrail" else "SecretGet", n) for n in range(10)]
    original, copy = tmp_path / "a.json", tmp_path / "b.json"
    original.write_text("".join(json.dumps(r, indent=None) + "\n" for r in records))
    copy.write_text("".join(reshipped(r) for r in records))
    ingest(warehouse, [str(original)], progress=False, fmt=source)
    [again] = ingest(warehouse, [str(copy)], progress=False, fmt=source)
    assert (again.lines_read, again.duplicates, again.events_created) == (10, 10, 0)


def test_a_late_response_pairs_and_its_copy_adds_nothing(warehouse, tmp_path):
    request = vault("request", "late-1", "2026-10-05T10:00:00Z")
    response = vault("response", "late-1", "2026-10-07T11:00:00Z")  # two days later: skew, a late file
    first, second, third = tmp_path / "1.log", tmp_path / "2.log", tmp_path / "3.log"
    first.write_text(json.dumps(request) + "\n")
    second.write_text(json.dumps(response) + "\n")
    third.write_text(reshipped(response))  # the same response again, in another layout
    for path in (first, second, third):
        ingest(warehouse, [str(path)], progress=False)
    events = rows(warehouse, "select has_request, has_response from events")
    assert events == [{"has_request": True, "has_response": True}]
    assert rows(warehouse, "select duplicates from ingest_files order by file_id")[-1]["duplicates"] == 1


def test_records_differing_in_one_value_of_equal_length_both_load(warehouse, tmp_path):
    """As in the Secrets Manager guide: one eventID, two DeleteSecret records whose ARNs differ only
    in their random suffix (a field vaultlab does not read)."""
    first, second = cloudtrail("secretsmanager.amazonaws.com", "DeleteSecret", 1), None
    first["responseElements"] = {"aRN": "arn:aws:secretsmanager:us-west-2:1:secret:db-a1b2c3", "name": "db"}
    second = json.loads(json.dumps(first))
    second["responseElements"]["aRN"] = "arn:aws:secretsmanager:us-west-2:1:secret:db-p5mycT"
    log = tmp_path / "two.json"
    log.write_text(json.dumps({"Records": [first, second]}))
    [result] = ingest(warehouse, [str(log)], progress=False)
    assert (result.events_loaded, result.duplicates) == (2, 0)
