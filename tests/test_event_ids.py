"""Issue 12 item 6: event_id names one event, even when a source reuses an id for other content."""

import json

from conftest import rows

from vaultlab import Warehouse, ingest


def ct(event_id: str, name: str, minute: int) -> dict:
    return {"eventVersion": "1.09", "eventTime": f"2026-10-05T10:{minute:02d}:00Z",
            "eventSource": "secretsmanager.amazonaws.com", "eventName": name, "awsRegion": "eu-west-1",
            "sourceIPAddress": "198.51.100.7", "eventID": event_id, "recipientAccountId": "111122223333",
            "requestParameters": {"secretId": "prod/db"},
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"}}


def vault(kind: str, rid: str, path: str, second: int) -> dict:
    return {"time": f"2026-10-05T10:00:{second:02d}Z", "type": kind,
            "auth": {"client_token": "hmac-sha256:aa", "accessor": "hmac-sha256:bb", "display_name": "token"},
            "request": {"id": rid, "operation": "read", "path": path, "remote_address": "10.0.0.1"}}


def load(db, tmp_path):
    first, second, forwarded = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "vault.log"
    first.write_text(json.dumps({"Records": [ct("same-id", "GetSecretValue", 1), ct("same-id", "DescribeSecret", 2)]}))
    second.write_text(json.dumps({"Records": [ct("same-id", "PutSecretValue", 3)]}))
    # a request id that Vault repeats for two different requests (forwarded between nodes)
    forwarded.write_text("".join(json.dumps(r) + "\n" for r in [
        vault("request", "r-1", "secret/a", 1), vault("response", "r-1", "secret/a", 2),
        vault("request", "r-1", "secret/b", 3), vault("response", "r-1", "secret/b", 4)]))
    with Warehouse(db) as wh:
        for path in (first, second, forwarded):
            ingest(wh, [str(path)], progress=False)
        return rows(wh, "select event_id, source, action, path from events order by ts")


def test_event_ids_are_unique_and_deterministic(tmp_path):
    got = load(tmp_path / "one.duckdb", tmp_path)
    ids = [r["event_id"] for r in got]
    assert len(got) == 5 and len(set(ids)) == len(ids), ids
    cloud = [r["event_id"] for r in got if r["source"] == "cloudtrail"]
    assert cloud[0] == "same-id" and all(i.startswith("same-id~") for i in cloud[1:])  # the first keeps it
    assert [r["event_id"] for r in got if r["source"] == "vault"][0] == "r-1"
    again = load(tmp_path / "two.duckdb", tmp_path)
    assert [r["event_id"] for r in again] == ids
