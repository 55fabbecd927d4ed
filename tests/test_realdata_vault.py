"""The real Vault audit captures in ../shared/realdata/vault_audit, field by field."""

from datetime import datetime, timezone

from conftest import rows

from vaultlab import ingest

ELASTIC = "elastic-integrations__hashicorp_vault__test-audit.log"
DATADOG = "datadog-integrations-core__vault_tests__audit-sample.json"


def test_every_line_accounted_for(warehouse, realdata):
    results = ingest(warehouse, [str(realdata / "vault_audit")], progress=False)
    by_name = {r.path.rsplit("/", 1)[-1]: r for r in results}
    elastic, datadog = by_name[ELASTIC], by_name[DATADOG]
    # 13 lines: 4 request/response pairs, 1 lone help request, 4 KMIP records without ids
    assert (elastic.lines_read, elastic.events_loaded, elastic.duplicates, elastic.quarantined) == (13, 13, 0, 0)
    assert elastic.events_created == 9
    # one pretty-printed (Jackson style) request object spanning 26 lines
    assert (datadog.lines_read, datadog.events_loaded, datadog.quarantined) == (1, 1, 0)
    ledger = rows(warehouse, "select * from ingest_files order by file_id")
    for entry in ledger:
        assert entry["lines_read"] == entry["events_loaded"] + entry["duplicates"] + entry["quarantined"]
        assert len(entry["sha256"]) == 64 and entry["log_raw"] is False
    assert warehouse.query("select count(*) from quarantine")[1] == [(0,)]


def test_permission_denied_pair(warehouse, realdata):
    ingest(warehouse, [str(realdata / "vault_audit" / ELASTIC)], progress=False)
    [ev] = rows(warehouse, "select * from events where request_id = '24ac580b-805a-d9ee-4d0d-7046932f4e05'")
    assert ev["outcome"] == "denied"
    assert ev["error"] == "permission denied"  # the request's concise error, not the wrapped one
    assert (ev["line"], ev["response_line"]) == (3, 4)
    assert ev["has_request"] and ev["has_response"]
    assert ev["path"] == "internal-ca/issue/internal-server"
    assert ev["resource"] == "internal-ca/issue/internal-server"
    assert ev["mount"] == "internal-ca/"
    assert ev["src_ip"] == "10.6.8.34"
    assert ev["action"] == "update"
    assert ev["actor_type"] == "unknown" and ev["auth_method"] is None
    # no identity in the entry: the token's HMAC stands for the actor
    assert ev["actor"] == "hmac-sha256:db417023d954a03aea8f56a3daf35460aa51920337420c7c22bcbb6b10852f23"
    assert ev["request_keys"] == ["alt_names", "common_name", "ip_sans"]
    assert ev["ts"] == datetime(2021, 7, 19, 17, 19, 0, 673898, tzinfo=timezone.utc)


def test_oidc_actor_and_email_metadata(warehouse, realdata):
    ingest(warehouse, [str(realdata / "vault_audit" / ELASTIC)], progress=False)
    [ev] = rows(warehouse, "select * from events where request_id = 'cd09708b-11cc-2985-648b-cfe262cf7e50'")
    assert ev["actor"] == "e4f5c67a-6f7e-789d-ae56-a1fe3ae23046"  # the entity id
    assert ev["actor_name"] == "oidc-12349999999999999999"
    assert (ev["actor_type"], ev["auth_method"]) == ("human", "oidc")
    assert ev["policies"] == ["default", "group-admin"]
    assert ev["auth_token_ttl_s"] == 3600
    import json

    assert json.loads(ev["auth_metadata"])["email"] == "example@gmail.com"
    assert ev["category"] == "sys.other" and ev["outcome"] == "ok"
    assert ev["token_id"] == "hmac-sha256:eb605bd7f8a5ceb951b9ab42cae6d6c3f12f203cb2c2a78e33e899f77dceb931"
    assert ev["src_ip"] == "67.43.156.13"
    # the same identity's lone `help` request (no request id, no response) is its own event
    [help_ev] = rows(warehouse, "select * from events where action = 'help'")
    assert help_ev["actor"] == ev["actor"] and help_ev["category"] == "other"
    assert help_ev["request_id"] is None and help_ev["has_response"] is False and help_ev["line"] == 9


def test_kv2_reads_use_the_logical_path(warehouse, realdata):
    ingest(warehouse, [str(realdata / "vault_audit" / ELASTIC)], progress=False)
    reads = rows(warehouse, "select * from events where category = 'secret.read' order by line")
    assert [r["resource"] for r in reads] == [
        "secret/apps/continuous-delivery/aws-bucket-sse-c",
        "secret/apps/home-assistant/secrets_yaml",
    ]
    first = reads[0]
    assert first["path"] == "secret/data/apps/continuous-delivery/aws-bucket-sse-c"
    assert first["actor_name"] == "token-375f9cb3-4355-42c7-eab5-029f8a310ca7-runner"
    assert (first["actor_type"], first["auth_method"]) == ("unknown", "token")
    assert first["auth_token_ttl_s"] == 259200
    # field names and HMACs are kept, never values
    assert "data.customer_key" in first["response_keys"]
    assert "hmac-sha256:85d3c6e705ea04f49772b92cc7335e34c53f0264a6d75bba3ab95bad22ca5bd1" in first["data_hmacs"]
    assert first["raw_values"] == 0


def test_kmip_records_each_become_an_event(warehouse, realdata):
    ingest(warehouse, [str(realdata / "vault_audit" / ELASTIC)], progress=False)
    kmip = rows(warehouse, "select * from events where action like 'kmip%' order by line")
    assert [k["line"] for k in kmip] == [10, 11, 12, 13]
    assert [k["action"] for k in kmip] == ["kmip-request", "kmip-response", "kmip-response", "kmip-response"]
    # remote_address with a port, IPv4 and bracketed IPv6
    assert [k["src_ip"] for k in kmip] == ["192.168.0.10", "192.168.0.10", "192.168.0.10", "2001:db8::10"]
    assert all(k["category"] == "other" and k["request_id"] is None for k in kmip)
    assert len({k["event_id"] for k in kmip}) == 4
    # 2026-05-20T13:51:00.100000000Z: nine fraction digits
    assert kmip[3]["ts"] == datetime(2026, 5, 20, 13, 51, 0, 100000, tzinfo=timezone.utc)


def test_datadog_policy_write_is_a_policy_change(warehouse, realdata):
    ingest(warehouse, [str(realdata / "vault_audit" / DATADOG)], progress=False)
    [ev] = rows(warehouse, "select * from events")
    assert ev["category"] == "policy.change"
    assert ev["resource"] == "sys/policies/acl/admin"
    assert (ev["actor"], ev["actor_type"], ev["auth_method"]) == ("root", "root", "token")
    assert ev["line"] == 1 and ev["has_response"] is False  # request only
    assert ev["namespace"] == "root"
    assert ev["request_keys"] == ["policy"]
    assert ev["ts"] == datetime(2019, 11, 5, 0, 40, 27, 638711, tzinfo=timezone.utc)
