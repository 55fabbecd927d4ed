"""Issue 12 item 5: every event name of the secret, key, identity and audit-configuration services
vaultlab knows (vaultlab/ingest/sources/event_names.csv) gets the category listed there, on purpose; names seen
in the real captures of those services are all in the list; a KMS key is the resource of its calls."""

import csv
import json
from importlib.resources import files

import pytest
from conftest import rows

from vaultlab import ingest

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def known_names() -> list[dict]:
    text = (files("vaultlab.ingest.sources") / "event_names.csv").read_text()
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def cloudtrail(service: str, name: str, n: int) -> dict:
    return {"eventVersion": "1.09", "eventTime": "2026-10-05T10:00:00Z", "eventSource": service, "eventName": name,
            "awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.7", "eventID": f"e-{n}",
            "recipientAccountId": ACCOUNT, "requestParameters": {"keyId": KEY} if service.startswith("kms") else {},
            "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice", "accountId": ACCOUNT}}


def gcp(service: str, name: str, n: int) -> dict:
    return {"insertId": f"i-{n}", "timestamp": "2026-10-05T10:00:00Z",
            "logName": "projects/p/logs/cloudaudit.googleapis.com%2Factivity",
            "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "serviceName": service,
                             "methodName": f"google.example.v1.Service.{name}", "resourceName": "projects/p/x/y",
                             "authenticationInfo": {"principalEmail": "alice@example.com"}}}


def azure(_service: str, name: str, n: int) -> dict:
    return {"time": f"2026-10-05T10:00:{n % 60:02d}Z", "category": "AuditEvent", "operationName": name,
            "resultType": "Success", "callerIpAddress": "198.51.100.9", "correlationId": f"c-{n}",
            "identity": {"claim": {"upn": "dana@contoso.com"}}, "resultSignature": "OK",
            "resourceId": "/SUBSCRIPTIONS/S/RESOURCEGROUPS/R/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/KV",
            "properties": {"httpStatusCode": 200, "requestUri": "https://kv.vault.azure.net/secrets/x"}}


BUILD = {"cloudtrail": cloudtrail, "gcp": gcp, "azure": azure}


@pytest.mark.parametrize("source", sorted(BUILD))
def test_every_known_name_maps_on_purpose(warehouse, tmp_path, source):
    names = [r for r in known_names() if r["source"] == source]
    assert names
    log = tmp_path / f"{source}.json"
    log.write_text("".join(json.dumps(BUILD[source](r["service"], r["name"], n)) + "\n" for n, r in enumerate(names)))
    [result] = ingest(warehouse, [str(log)], progress=False, fmt=source)
    assert result.events_loaded == len(names) and result.quarantined == 0
    got = {r["line"]: r["category"] for r in rows(warehouse, "select line, category from events")}
    wrong = [f"{r['service']} {r['name']}: {got.get(n + 1)} (listed {r['category']})"
             for n, r in enumerate(names) if got.get(n + 1) != r["category"]]
    assert not wrong, "names mapped otherwise than listed:\n" + "\n".join(wrong)


SERVICES = {r["service"] for r in known_names()}


def test_real_captures_name_nothing_unknown(realdata):
    """Every event name of a known service in the real captures is in the list."""
    listed = {(r["service"], r["name"]) for r in known_names()}
    seen = set()
    for path in realdata.rglob("*.json*"):
        for record in _records(path):
            if "eventSource" in record and record.get("eventSource") in SERVICES:
                seen.add((record["eventSource"], record.get("eventName")))
            payload = record.get("protoPayload")
            if isinstance(payload, dict) and payload.get("serviceName") in SERVICES:
                seen.add((payload["serviceName"], str(payload.get("methodName")).split(".")[-1]))
    unlisted = sorted(seen - listed)
    assert not unlisted, f"unmapped names of known services: {unlisted}"


def _records(path):
    try:
        text = path.read_text()
    except (UnicodeDecodeError, OSError):
        return []
    try:
        doc = json.loads(text)
        if isinstance(doc, dict):
            doc = doc.get("Records") or doc.get("records") or doc.get("entries") or [doc]
        found = doc
    except ValueError:
        found = []
        for line in text.splitlines():
            try:
                found.append(json.loads(line))
            except ValueError:
                pass
    return [r for r in found if isinstance(r, dict)] if isinstance(found, list) else []


def test_kms_key_is_the_resource(warehouse, tmp_path):
    bare = cloudtrail("kms.amazonaws.com", "DisableKey", 1)
    bare["requestParameters"] = {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}
    listed = cloudtrail("kms.amazonaws.com", "ScheduleKeyDeletion", 2)
    listed["requestParameters"] = {"keyId": "alias/other", "pendingWindowInDays": 30}
    listed["resources"] = [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": KEY}]
    log = tmp_path / "kms.json"
    log.write_text(json.dumps({"Records": [bare, listed]}))
    ingest(warehouse, [str(log)], progress=False)
    got = {r["action"]: (r["category"], r["resource"]) for r in rows(warehouse, "select * from events")}
    assert got == {"DisableKey": ("secret.config", KEY), "ScheduleKeyDeletion": ("secret.delete", KEY)}
