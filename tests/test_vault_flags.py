"""Issue 12 items 3-4: hmac_accessor=false is its own finding (not log_raw); the user agent is the
request's audited header, never an HMAC."""

import json

from conftest import rows

from vaultlab import ingest
from vaultlab.controls.run import run_checks
from vaultlab.period import parse_period

H = "hmac-sha256:" + "ab" * 32


def vault_pair(*, accessor: str, token: str, data: str, request_ua: str, response_ua: str, rid="r-1") -> str:
    auth = {"client_token": token, "accessor": accessor, "display_name": "approle", "policies": ["app"],
            "metadata": {"role_name": "ci"}, "entity_id": "ent-1", "token_type": "service"}
    req = {"id": rid, "operation": "read", "mount_type": "kv", "mount_point": "secret/", "path": "secret/data/db",
           "client_token": token, "client_token_accessor": accessor, "remote_address": "10.0.0.5"}
    request = {"time": "2026-10-05T10:00:00Z", "type": "request", "auth": auth,
               "request": {**req, "headers": {"user-agent": [request_ua]}}}
    response = {"time": "2026-10-05T10:00:00.010Z", "type": "response", "auth": auth,
                "request": {**req, "headers": {"user-agent": [response_ua]}},
                "response": {"mount_type": "kv", "data": {"data": {"password": data}}}}
    return json.dumps(request) + "\n" + json.dumps(response) + "\n"


def test_plain_accessors_are_hmac_accessor_false_not_log_raw(warehouse, tmp_path):
    log = tmp_path / "accessors.log"
    log.write_text(vault_pair(accessor="hVs9mTUUo4O2oC2D0hQ6g3ZZ", token=H, data=H,
                              request_ua="vault-cli", response_ua="vault-cli"))
    [result] = ingest(warehouse, [str(log)], progress=False)
    [ledger] = rows(warehouse, "select log_raw, raw_values, plain_accessors from ingest_files")
    assert ledger == {"log_raw": False, "raw_values": 0, "plain_accessors": 4}  # two fields in each record
    assert result.raw_values == 0 and result.plain_accessors == 4
    [event] = rows(warehouse, "select raw_values, token_id from events")
    assert event["raw_values"] == 0 and event["token_id"] == H  # the token's HMAC; a plain accessor is never stored
    run = run_checks(warehouse, "soc2", parse_period("2026-10"), record=False)
    reasons = list({r["reason"] for r in run.results if r["check"] == "audit_log_continuity" and r["status"] == "alarm"
                    and "in clear" in r["reason"]})  # (the one-event log also leaves the period uncovered)
    assert len(reasons) == 1 and "hmac_accessor=false" in reasons[0] and "log_raw" not in reasons[0]


def test_plain_tokens_and_data_stay_log_raw(warehouse, tmp_path):
    log = tmp_path / "raw.log"
    log.write_text(vault_pair(accessor="hVs9mTUUo4O2oC2D0hQ6g3ZZ", token="hvs.CAESIPlainToken",
                              data="hunter2", request_ua="vault-cli", response_ua="vault-cli"))
    ingest(warehouse, [str(log)], progress=False)
    [ledger] = rows(warehouse, "select log_raw, raw_values > 0 as some from ingest_files")
    assert ledger == {"log_raw": True, "some": True}
    run = run_checks(warehouse, "soc2", parse_period("2026-10"), record=False)
    reasons = [r["reason"] for r in run.results if r["check"] == "audit_log_continuity" and r["status"] == "alarm"]
    assert any("log_raw=true" in r for r in reasons)


def test_user_agent_comes_from_the_request_never_an_hmac(warehouse, tmp_path):
    log = tmp_path / "ua.log"
    log.write_text(vault_pair(accessor=H, token=H, data=H, request_ua="terraform/1.9", response_ua=H)
                   + vault_pair(accessor=H, token=H, data=H, request_ua=H, response_ua=H, rid="r-2"))
    ingest(warehouse, [str(log)], progress=False)
    got = {r["request_id"]: r["user_agent"] for r in rows(warehouse, "select request_id, user_agent from events")}
    assert got == {"r-1": "terraform/1.9", "r-2": None}
