"""No secret values: a log_raw=true device is flagged, and its plain values are never stored."""

import json

from conftest import rows

from vaultlab import Warehouse, ingest

SECRET = "hunter2-correct-horse-battery"


def _raw_log(path):
    base = {"auth": {"client_token": "hmac-sha256:" + "a" * 64, "accessor": "hmac-sha256:" + "b" * 64,
                     "display_name": "approle", "entity_id": "ent-1", "policies": ["default", "app"]},
            "request": {"id": "r-1", "operation": "read", "mount_type": "kv", "path": "secret/data/prod/db",
                        "namespace": {"id": "root"}, "remote_address": "10.0.0.5"}}
    request = {"time": "2026-10-02T10:00:00.1Z", "type": "request", **base}
    response = {"time": "2026-10-02T10:00:00.2Z", "type": "response", **base,
                "response": {"mount_type": "kv", "data": {
                    "data": {"password": SECRET, "port": 5432, "api": "hmac-sha256:" + "c" * 64},
                    "metadata": {"created_time": "2026-09-01T00:00:00Z", "version": 3}}}}
    truncated = json.dumps({**response, "request": {**base["request"], "id": "r-2"}})[:-40]
    path.write_text("\n".join([json.dumps(request), json.dumps(response), truncated]) + "\n")


def test_log_raw_is_flagged_and_values_are_not_stored(tmp_path):
    log = tmp_path / "raw_audit.log"
    _raw_log(log)
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        [result] = ingest(wh, [str(log)], progress=False)
        assert result.raw_values == 1  # the password; not the number, not the RFC 3339 time
        [ledger] = rows(wh, "select * from ingest_files")
        assert ledger["log_raw"] is True and ledger["raw_values"] == 1
        [event] = rows(wh, "select * from events")
        assert event["raw_values"] == 1
        assert event["response_keys"] == ["data", "metadata", "data.password", "data.port", "data.api"]
        assert event["data_hmacs"] == ["hmac-sha256:" + "c" * 64]
        [q] = rows(wh, "select * from quarantine")
        assert q["line"] == 3 and '"data":' in q["excerpt"] and SECRET not in q["excerpt"]
        wh.query("checkpoint")
    for f in tmp_path.glob("w.duckdb*"):
        assert SECRET.encode() not in f.read_bytes(), f"{f.name} holds the secret value"


def test_hmac_only_log_is_not_flagged(warehouse, synth_small):
    out, _ = synth_small
    [result] = ingest(warehouse, [str(out / "vault_audit.log")], progress=False)
    assert result.raw_values == 0
    assert warehouse.query("select bool_or(log_raw) from ingest_files")[1] == [(False,)]
