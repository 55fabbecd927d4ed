"""What a live collection tells the controls: audit device coverage and token lifetimes."""

import json
from datetime import datetime, timezone

from conftest import run_cli

from vaultlab import Warehouse
from vaultlab.snapshots.collected import Collected, store_collected

TAKEN = datetime(2026, 10, 30, 12, 0, tzinfo=timezone.utc)


def _check(db, framework="soc2") -> dict[str, set]:
    result = run_cli("check", "--framework", framework, "--period", "2026-10", "--format", "json", db=db)
    found: dict[str, set] = {}
    for req in json.loads(result.stdout)["requirements"]:
        for r in req["results"]:
            if r["check"] in ("audit_device_coverage", "token_lifetimes"):
                found.setdefault(r["check"], set()).add((r["status"], r["resource"]))
    return found


def test_audit_devices_tokens_and_gaps_become_findings(warehouse, db_path):
    store_collected(warehouse, Collected(
        store="vault", source="https://vault.example:8200", taken_at=TAKEN,
        facts={"audit_devices": [{"name": "file/", "type": "file", "file_path": "/var/log/vault.log",
                                  "log_raw": True, "hmac_accessor": True}],
               "mounts": [{"name": "secret/", "type": "kv", "audit_non_hmac_request_keys": ["username"]},
                          {"name": "kv1/", "type": "kv"}],
               "tokens": [{"name": "acc-1", "display_name": "root", "policies": ["root"], "creation_ttl": 0,
                           "expire_time": None},
                          {"name": "acc-2", "display_name": "approle-ci", "policies": ["ci"],
                           "creation_ttl": 3600, "expire_time": "2026-10-30T13:00:00Z"},
                          {"name": "acc-3", "display_name": "oidc-bob", "policies": ["dev"],
                           "creation_ttl": 90 * 24 * 3600, "expire_time": "2027-01-28T12:00:00Z"}]},
        gaps=[{"path": "secret/metadata/team-x/", "reason": "permission denied (403)"}]))
    warehouse.close()
    found = _check(db_path)
    source = "https://vault.example:8200"
    assert found["audit_device_coverage"] == {
        ("alarm", f"{source} audit devices"),  # only one
        ("alarm", f"{source} file/"),  # log_raw
        ("alarm", f"{source} secret/"),  # a field logged unhashed
        ("alarm", f"{source} secret/metadata/team-x/"),  # the collector's blind spot
    }
    assert found["token_lifetimes"] == {("alarm", f"{source} token root (acc-1)"),
                                        ("alarm", f"{source} token oidc-bob (acc-3)")}


def test_a_well_audited_vault_passes_and_no_collection_is_not_evaluated(warehouse, db_path, tmp_path):
    store_collected(warehouse, Collected(
        store="vault", source="https://vault.example:8200", taken_at=TAKEN,
        facts={"audit_devices": [{"name": "file/", "file_path": "/var/log/a.log", "log_raw": False,
                                  "hmac_accessor": True},
                                 {"name": "syslog/", "log_raw": False, "hmac_accessor": True}],
               "tokens": [{"name": "acc-2", "display_name": "approle-ci", "creation_ttl": 3600,
                           "expire_time": "2026-10-30T13:00:00Z"}]}))
    later = Collected(store="vault", source="https://vault.example:8200",
                      taken_at=datetime(2026, 11, 5, tzinfo=timezone.utc),  # after the period: not used
                      facts={"audit_devices": []})
    store_collected(warehouse, later)
    warehouse.close()
    found = _check(db_path)
    assert {s for s, _ in found["audit_device_coverage"]} == {"ok"}
    assert {s for s, _ in found["token_lifetimes"]} == {"ok"}
    Warehouse(tmp_path / "empty.duckdb").close()  # a warehouse with no live collection
    empty = _check(tmp_path / "empty.duckdb", "hipaa")
    assert empty == {"audit_device_coverage": {("not_evaluated", None)}, "token_lifetimes": {("not_evaluated", None)}}


def test_collected_rows_keep_their_key_and_a_bad_policy_is_a_gap(warehouse):
    from vaultlab.collect.vault import _row

    collected = Collected(store="vault", source="https://vault.example:8200", taken_at=TAKEN,
                          secrets=[_row("secret/data/x", "password")],  # a KV v2 secret named data/x
                          policies={"good": 'path "secret/data/*" {\n  capabilities = ["read"]\n}\n',
                                    "broken": 'path "secret/*" { capabilities = ['})
    store_collected(warehouse, collected, policies=True)
    assert warehouse.query("select secret_id from secrets")[1] == [("secret/data/x",)]
    assert warehouse.query("select policy from policy_texts order by policy")[1] == [("broken",), ("good",)]
    assert warehouse.query("select policy, path from policy_rules")[1] == [("good", "secret/data/*")]
    [(path,)] = warehouse.query("select path from collect_gaps")[1]
    assert path == "sys/policies/acl/broken"
