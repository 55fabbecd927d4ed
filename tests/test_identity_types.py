"""Issue 12 items 1-2: every CloudTrail userIdentity type names its actor; "" is NULL in events."""

import json

import pytest
from conftest import rows

from vaultlab import ingest
from vaultlab.period import parse_period

ACCOUNT = "111122223333"
SECRET = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:prod/db-AbCdEf"
STORE = f"arn:aws:identitystore::{ACCOUNT}:identitystore/d-1234567890"

# one userIdentity per type AWS documents (shapes from the CloudTrail userIdentity reference)
IDENTITIES = {
    "Root": {"type": "Root", "principalId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT},
    "IAMUser": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
                "accountId": ACCOUNT, "accessKeyId": "AKIAEXAMPLE", "userName": "alice"},
    "AssumedRole": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:ci",
                    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/ci", "accountId": ACCOUNT,
                    "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "deployer"}}},
    "Role": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": f"arn:aws:iam::{ACCOUNT}:role/deployer",
             "accountId": ACCOUNT},
    "FederatedUser": {"type": "FederatedUser", "principalId": f"{ACCOUNT}:bob",
                      "arn": f"arn:aws:sts::{ACCOUNT}:federated-user/bob", "accountId": ACCOUNT},
    "Directory": {"type": "Directory", "principalId": "d-926700ef43:carol", "accountId": ACCOUNT,
                  "userName": "carol"},
    "AWSAccount": {"type": "AWSAccount", "principalId": "AIDAOTHER", "accountId": "444455556666"},
    "AWSService": {"type": "AWSService", "invokedBy": "secretsmanager.amazonaws.com"},
    "IdentityCenterUser": {"type": "IdentityCenterUser", "accountId": ACCOUNT,
                           "onBehalfOf": {"userId": "544894e8-80c1-707f-60e3-3ba6510dfac1",
                                          "identityStoreArn": STORE},
                           "credentialId": "EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE"},
    # as the issue saw it: "" where AWS has nothing to say
    "IdentityCenterUser-empty": {"type": "IdentityCenterUser", "arn": "", "accessKeyId": "", "accountId": ACCOUNT,
                                 "onBehalfOf": {"userId": "9a67b5cc-1011-70c5-b3d0-2df5bc1e1ba3",
                                                "identityStoreArn": STORE}},
    "SAMLUser": {"type": "SAMLUser", "principalId": "SampleUkh1i4+ExamplexL/jEvs=:SamlExample",
                 "userName": "SamlExample", "identityProvider": "bdGOnTesti4+ExampleGvKrY="},
    "WebIdentityUser": {"type": "WebIdentityUser", "principalId": "accounts.google.com:app-id:user-id",
                        "userName": "user-id", "identityProvider": "accounts.google.com"},
    "Unknown": {"type": "Unknown", "principalId": "", "accountId": ACCOUNT},
    "Unknown-bare": {"type": "Unknown"},
}


def record(name: str, identity: dict) -> dict:
    rec = {"eventVersion": "1.09", "eventTime": "2026-10-05T10:00:00Z", "eventSource": "secretsmanager.amazonaws.com",
           "eventName": "GetSecretValue", "awsRegion": "eu-west-1", "sourceIPAddress": "198.51.100.7",
           "userAgent": "aws-cli/2", "requestParameters": {"secretId": SECRET}, "responseElements": None,
           "eventID": f"evt-{name}", "eventType": "AwsApiCall", "recipientAccountId": ACCOUNT,
           "userIdentity": identity}
    if name.startswith("IdentityCenterUser"):
        rec["additionalEventData"] = {"UserName": "dana"}
    return rec


@pytest.fixture
def loaded(warehouse, tmp_path):
    log = tmp_path / "identities.json"
    log.write_text(json.dumps({"Records": [record(n, i) for n, i in IDENTITIES.items()]}))
    [result] = ingest(warehouse, [str(log)], progress=False)
    assert result.events_loaded == len(IDENTITIES) and result.quarantined == 0
    return warehouse


def test_every_identity_type_names_an_actor(loaded):
    got = {r["event_id"].removeprefix("evt-"): r for r in rows(loaded, "select * from events")}
    assert set(got) == set(IDENTITIES)
    empty = {n: (r["actor"], r["actor_name"]) for n, r in got.items() if not r["actor"]}
    assert not empty, f"identity types without an actor: {empty}"
    assert got["IdentityCenterUser"]["actor"] == STORE + "/user/544894e8-80c1-707f-60e3-3ba6510dfac1"
    assert got["IdentityCenterUser"]["actor_name"] == "dana"
    assert got["IdentityCenterUser-empty"]["actor"] == STORE + "/user/9a67b5cc-1011-70c5-b3d0-2df5bc1e1ba3"
    assert got["IdentityCenterUser"]["actor_type"] == "human"
    assert got["AWSAccount"]["actor"] == "arn:aws:iam::444455556666:root"
    assert got["SAMLUser"]["actor"] == IDENTITIES["SAMLUser"]["principalId"]
    assert got["Unknown"]["actor"] == f"unidentified Unknown in account {ACCOUNT}"


def test_no_read_vanishes_from_access_inventory(loaded):
    readers = rows(loaded, "select actor, reads from access_inventory", period=parse_period("2026-10"))
    assert sum(r["reads"] for r in readers) == len(IDENTITIES)


def test_empty_strings_are_null_in_events(loaded, tmp_path):
    log = tmp_path / "vault.log"
    log.write_text(json.dumps({
        "time": "2026-10-05T10:00:00Z", "type": "request", "error": "",
        "auth": {"client_token": "hmac-sha256:aa", "accessor": "hmac-sha256:bb", "display_name": "",
                 "entity_id": "", "token_type": "", "policies": ["default"]},
        "request": {"id": "", "operation": "read", "path": "secret/data/x", "remote_address": "",
                    "mount_type": "", "namespace": {"id": ""}, "headers": {"user-agent": [""]}}}) + "\n")
    ingest(loaded, [str(log)], progress=False)
    columns = [c for c, t in loaded.query("select column_name, column_type from (describe events)")[1]
               if t == "VARCHAR"]
    blanks = loaded.query("select " + ", ".join(f"count(*) filter (where {c} = '') as {c}" for c in columns)
                          + " from events")
    found = {c: n for c, n in zip(blanks[0], blanks[1][0]) if n}
    assert not found, f"columns holding empty strings: {found}"
    [ic] = rows(loaded, "select token_id from events where event_id = 'evt-IdentityCenterUser-empty'")
    assert ic["token_id"] is None
