"""`collect_vault` against a real HTTP Vault (tests/vault_server.py): what it collects from a known
estate, that it never touches secret material, how it retries, pages, reports gaps and is
configured, and that the collection lands in the warehouse as the views expect."""

import hashlib
import json
import socket
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest
from conftest import rows
from vault_server import VaultState, vault_server

from vaultlab import VaultlabError, Warehouse, ingest
from vaultlab.collect import vault as collector
from vaultlab.collect import vault_http
from vaultlab.collect.vault import READ_ONLY_POLICY, collect_vault
from vaultlab.snapshots.collected import store_collected
from vaultlab.snapshots.policies import parse_policy

PERIOD = "2026-10"  # as of 2026-10-31


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def known_state() -> VaultState:
    state = VaultState()
    ns = state.root
    ns.mount("secret/", "kv", version=2, config={"audit_non_hmac_request_keys": ["ttl"],
                                                  "audit_non_hmac_response_keys": ["version"]})
    ns.add_kv2("secret/", "prod/payments/db", versions=[utc(2026, 1, 10), utc(2026, 10, 20, 8, 30)],
               custom_metadata={"kind": "database", "owner": "payments", "environment": "prod"},
               delete_version_after="768h0m0s", max_versions=10)
    ns.add_kv2("secret/", "prod/payments/stripe-key", versions=["2026-03-01T12:00:00.123456789Z"],
               custom_metadata={"kind": "api_key", "owner": "payments"})
    ns.add_kv2("secret/", "dev/app/config", versions=[utc(2026, 9, 15)])
    ns.add_kv2("secret/", "prod/locked", versions=[utc(2026, 9, 1)])  # listed, but its metadata is refused
    ns.add_kv2("secret/", "team/deep/nested/secret", versions=[utc(2026, 2, 1), utc(2026, 5, 1), utc(2026, 8, 1)],
               custom_metadata={"kind": "password", "rotation_days": "60"}, deleted={3: "2026-08-02T00:00:00Z"})
    ns.add_kv2("secret/", "team/odd-kind", versions=[utc(2026, 4, 1)], custom_metadata={"kind": "magic"})
    for i in range(7):  # with LIST_PAGE = 3 this folder takes three pages
        ns.add_kv2("secret/", f"bulk/s{i:02d}", versions=[utc(2026, 10, 1)])
    ns.add_kv2("secret/", "bulk/sub/x", versions=[utc(2026, 10, 2)])
    ns.add_kv2("secret/", "restricted/a", versions=[utc(2026, 1, 1)])
    ns.add_kv2("secret/", "restricted/b", versions=[utc(2026, 1, 1)])
    ns.add_kv2("secret/", "throttled/one", versions=[utc(2026, 10, 5)], custom_metadata={"kind": "ssh-key"})
    ns.mount("kv1/", "kv", version=1)
    ns.add_kv1("kv1/", "legacy/app-token")
    ns.add_kv1("kv1/", "root-pass")
    ns.policies["app-read"] = 'path "secret/data/prod/*" {\n  capabilities = ["read"]\n}\n'
    ns.policies["ops-admin"] = 'path "sys/*" {\n  capabilities = ["read", "list", "sudo"]\n}\n'
    ns.add_auth("approle/", "approle", 3600, 86400)
    ns.add_auth("oidc/", "oidc", 28800, 86400)
    ns.add_audit("file/", file_path="/var/log/vault/audit.log")
    ns.add_audit("raw/", file_path="/var/log/vault/raw.log", log_raw="true", hmac_accessor="false")
    ns.add_token("acc-ci", display_name="approle-ci", policies=["default", "app-read"],
                 creation_time=utc(2026, 10, 30, 8), ttl=1800, creation_ttl=3600, path="auth/approle/login")
    ns.add_token("acc-root", display_name="root", policies=["root"], creation_time=utc(2026, 1, 2), ttl=0,
                 creation_ttl=0, orphan=True)
    ns.mount("database/", "database")
    ns.add_static_role("database/", "app-db", username="app", rotation_period=7 * 86400,
                       last_vault_rotation=utc(2026, 10, 1, 3))
    ns.add_static_role("database/", "reporting", username="report", rotation_period=90000,
                       last_vault_rotation=utc(2026, 10, 30, 12))
    ns.mount("pki/", "pki")
    state.notes["soon"] = ns.add_cert("pki/", "www.example.com", not_after=utc(2027, 1, 6, 12))
    state.notes["revoked"] = ns.add_cert("pki/", "old.example.com", not_after=utc(2027, 3, 1), revoked=True)
    ns.add_entity("e-alice", "alice", policies=["ops-admin"],
                  aliases=[{"name": "alice@example.com", "mount_type": "oidc", "mount_path": "auth/oidc/"}])
    ns.add_entity("e-ci", "ci-bot", aliases=[{"name": "ci", "mount_type": "approle", "mount_path": "auth/approle/"}])
    team = state.ns("team-a")
    team.mount("secret/", "kv", version=2)
    team.add_kv2("secret/", "app/token", versions=[utc(2026, 10, 10)], custom_metadata={"kind": "service-token"})
    state.forbidden = ["secret/metadata/restricted/", "secret/metadata/prod/locked"]
    state.throttle = {"secret/metadata/throttled/one": 2}
    state.fail_once = {"secret/metadata/dev/app/config"}
    return state


@pytest.fixture
def sleeps(monkeypatch):
    """Back-off delays are recorded, not waited."""
    recorded = []
    monkeypatch.setattr(vault_http, "_sleep", recorded.append)
    return recorded


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("VAULT_ADDR", "VAULT_TOKEN", "VAULT_NAMESPACE", "VAULT_CACERT", "VAULT_CAPATH", "VAULT_SKIP_VERIFY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.vault-token of the machine's


@pytest.fixture
def collected(sleeps, clean_env, monkeypatch):
    monkeypatch.setattr(collector, "LIST_PAGE", 3)
    with vault_server(known_state()) as server:
        result = collect_vault(server.url, server.token, progress=False)
        yield server, result


def row(name, kind="other", **values):
    return {"name": name, "store": "vault", "kind": kind, "owner": None, "environment": None, "created_at": None,
            "last_rotated_at": None, "last_accessed_at": None, "rotation_days": None, "expires_at": None, **values}


def test_inventory_rows_are_exactly_the_estate(collected):
    server, result = collected
    soon = server.state.notes["soon"]
    expected = [
        row("database/static-roles/app-db", "database", last_rotated_at=utc(2026, 10, 1, 3), rotation_days=7),
        row("database/static-roles/reporting", "database", last_rotated_at=utc(2026, 10, 30, 12), rotation_days=2),
        row("kv1/legacy/app-token"),
        row("kv1/root-pass"),
        row(f"pki/cert/{soon}", "tls-certificate", created_at=utc(2026, 10, 8, 12), expires_at=utc(2027, 1, 6, 12)),
        *[row(f"secret/bulk/s{i:02d}", created_at=utc(2026, 10, 1), last_rotated_at=utc(2026, 10, 1))
          for i in range(7)],
        row("secret/bulk/sub/x", created_at=utc(2026, 10, 2), last_rotated_at=utc(2026, 10, 2)),
        row("secret/dev/app/config", created_at=utc(2026, 9, 15), last_rotated_at=utc(2026, 9, 15)),
        row("secret/prod/locked"),  # it exists; what it is, the gap says nobody could read
        row("secret/prod/payments/db", "database", owner="payments", environment="prod",
            created_at=utc(2026, 1, 10), last_rotated_at=utc(2026, 10, 20, 8, 30)),
        row("secret/prod/payments/stripe-key", "api-key", owner="payments",
            created_at=datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc),
            last_rotated_at=datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=timezone.utc)),
        row("secret/team/deep/nested/secret", "password", created_at=utc(2026, 2, 1),
            last_rotated_at=utc(2026, 8, 1), rotation_days=60),
        row("secret/team/odd-kind", created_at=utc(2026, 4, 1), last_rotated_at=utc(2026, 4, 1)),
        row("secret/throttled/one", "ssh-key", created_at=utc(2026, 10, 5), last_rotated_at=utc(2026, 10, 5)),
    ]
    assert all(row["secret_id"] == row["name"] for row in result.secrets)  # the key, as events name it
    rows = [{k: v for k, v in row.items() if k != "secret_id"} for row in result.secrets]
    assert rows == expected  # no restricted/*, no revoked certificate, nothing of team-a
    assert result.store == "vault" and result.source == server.url


def test_gaps_policies_and_request_count(collected):
    server, result = collected
    assert result.gaps == [{"path": "secret/metadata/prod/locked", "reason": "permission denied (HTTP 403)"},
                           {"path": "secret/metadata/restricted/", "reason": "permission denied (HTTP 403)"}]
    assert set(result.policies) == {"default", "app-read", "ops-admin"}  # root has no text
    assert result.policies["app-read"] == server.state.root.policies["app-read"]
    assert result.requests == len(server.requests)  # every attempt counted, retries included


def test_facts(collected):
    server, result = collected
    facts = result.facts
    mounts = {m["name"]: m for m in facts["mounts"]}
    assert set(mounts) == {"cubbyhole", "database", "identity", "kv1", "pki", "secret", "sys"}
    assert mounts["secret"]["kv_version"] == 2 and mounts["kv1"]["kv_version"] == 1
    assert mounts["secret"]["audit_non_hmac_request_keys"] == ["ttl"]
    assert mounts["secret"]["audit_non_hmac_response_keys"] == ["version"]
    assert "no creation or update times" in mounts["kv1"]["note"] and "note" not in mounts["secret"]

    assert [(a["name"], a["type"], a["default_lease_ttl"], a["max_lease_ttl"]) for a in facts["auth_methods"]] == [
        ("approle", "approle", 3600, 86400), ("oidc", "oidc", 28800, 86400), ("token", "token", 0, 0)]
    assert [{k: d[k] for k in ("name", "type", "file_path", "log_raw", "hmac_accessor")}
            for d in facts["audit_devices"]] == [
        {"name": "file", "type": "file", "file_path": "/var/log/vault/audit.log", "log_raw": False,
         "hmac_accessor": True},
        {"name": "raw", "type": "file", "file_path": "/var/log/vault/raw.log", "log_raw": True,
         "hmac_accessor": False}]

    ns = server.state.root
    ci = ns.audit_hmac("file/", "acc-ci")
    tokens = {t["display_name"]: t for t in facts["tokens"]}
    assert tokens["approle-ci"] == {
        "name": ci, "accessor_sha256": hashlib.sha256(b"acc-ci").hexdigest(),
        "accessor_hmac": {"file/": ci, "raw/": ns.audit_hmac("raw/", "acc-ci")},
        "display_name": "approle-ci", "policies": ["default", "app-read"],
        "creation_time": "2026-10-30T08:00:00+00:00", "creation_ttl": 3600, "ttl": 1800,
        "expire_time": "2026-10-30T09:00:00.000000000Z", "never_expires": False, "orphan": False,
        "type": "service", "path": "auth/approle/login", "entity_id": None}
    root = tokens["root"]
    assert root["never_expires"] and root["expire_time"] is None and root["ttl"] == 0 and root["orphan"]
    assert "acc-ci" not in json.dumps(facts) and "acc-root" not in json.dumps(facts)  # accessors only hashed

    roles = {r["role"]: r for r in facts["static_roles"]}
    assert roles["app-db"]["rotation_period"] == 604800 and roles["app-db"]["username"] == "app"
    assert roles["app-db"]["last_vault_rotation"].startswith("2026-10-01T03:00:00")
    certs = {c["serial"]: c for c in facts["certificates"]}
    soon, revoked = server.state.notes["soon"], server.state.notes["revoked"]
    assert certs[soon]["subject"] == "CN=www.example.com" and certs[soon]["dns_names"] == ["www.example.com"]
    assert certs[soon]["not_after"] == "2027-01-06T12:00:00+00:00" and not certs[soon]["revoked"]
    assert certs[revoked]["revoked"]
    assert [(e["name"], e["policies"], [a["mount_type"] for a in e["aliases"]]) for e in facts["entities"]] == [
        ("alice", ["ops-admin"], ["oidc"]), ("ci-bot", [], ["approle"])]

    kv = {k["name"]: k for k in facts["kv_secrets"]}
    db = kv["secret/prod/payments/db"]
    assert (db["current_version"], db["versions"], db["delete_version_after"], db["max_versions"]) == \
        (2, 2, "768h0m0s", 10)
    nested = kv["secret/team/deep/nested/secret"]
    assert nested["current_deletion_time"] == "2026-08-02T00:00:00Z" and nested["versions"] == 3
    assert kv["kv1/root-pass"] == {"name": "kv1/root-pass", "mount": "kv1/", "kv_version": 1,
                                   "note": collector.KV1_NOTE}
    assert kv["secret/team/odd-kind"]["custom_metadata"] == {"kind": "magic"}  # the row says "other"


def test_no_request_touched_secret_material(collected):
    server, _ = collected
    assert server.material_requests() == []
    assert not any("/data/" in r.path or "/creds/" in r.path or "/issue/" in r.path for r in server.requests)
    assert not any(r.method == "GET" and r.path.startswith("/v1/kv1/") for r in server.requests)
    assert all(r.method in ("GET", "LIST", "POST") for r in server.requests)
    posts = {r.path for r in server.requests if r.method == "POST"}
    assert posts == {"/v1/auth/token/lookup-accessor", "/v1/sys/audit-hash/file", "/v1/sys/audit-hash/raw"}

    # the check above can fail: the server does serve values there, and flags the request
    for path in ("/v1/secret/data/prod/payments/db", "/v1/kv1/root-pass"):
        request = urllib.request.Request(server.url + path, headers={"X-Vault-Token": server.token})
        with urllib.request.urlopen(request) as response:
            assert "value-of-" in response.read().decode()
    assert [r.path for r in server.material_requests()] == ["/v1/secret/data/prod/payments/db", "/v1/kv1/root-pass"]


def test_the_test_server_speaks_vaults_api():
    """What the collector's tests rely on: tokens are checked, GET ?list=true lists, namespaces
    are separate, a LIST of a missing folder is a 404."""
    with vault_server(known_state()) as server:
        def call(path, token=server.token, namespace=None):
            headers = {"X-Vault-Token": token, **({"X-Vault-Namespace": namespace} if namespace else {})}
            try:
                with urllib.request.urlopen(urllib.request.Request(server.url + path, headers=headers)) as answer:
                    return answer.status, json.loads(answer.read())
            except urllib.error.HTTPError as err:
                return err.code, json.loads(err.read())
        status, answer = call("/v1/secret/metadata/prod?list=true")
        assert status == 200 and answer["data"]["keys"] == ["locked", "payments/"]
        assert call("/v1/sys/mounts", token="wrong") == (403, {"errors": ["permission denied"]})
        assert call("/v1/secret/metadata/app?list=true", namespace="team-a")[1]["data"]["keys"] == ["token"]
        assert call("/v1/secret/metadata/nothing?list=true")[0] == 404


def test_retries_429_and_500_then_succeed(collected, sleeps):
    server, result = collected
    tries = [r for r in server.requests if r.path == "/v1/secret/metadata/throttled/one"]
    assert len(tries) == 3  # 429, 429, then the answer
    assert sleeps.count(1.0) == 2  # the server's Retry-After: 1, honoured
    assert len([r for r in server.requests if r.path == "/v1/secret/metadata/dev/app/config"]) == 2
    backoff = [s for s in sleeps if s != 1.0]
    assert len(backoff) == 1 and vault_http.BACKOFF_BASE / 2 <= backoff[0] <= vault_http.BACKOFF_BASE  # jittered
    assert "secret/throttled/one" in {r["name"] for r in result.secrets}


def test_lists_page_with_after_and_limit(collected):
    server, _ = collected
    pages = [r.query for r in server.requests if r.method == "LIST" and r.path == "/v1/secret/metadata/bulk"]
    assert pages == ["limit=3", "limit=3&after=s02", "limit=3&after=s05"]


def test_a_vault_that_ignores_paging_gives_the_same_rows(sleeps, clean_env, monkeypatch, collected):
    _, paged = collected
    monkeypatch.setattr(collector, "LIST_PAGE", 8)  # the bulk folder holds exactly 8 keys: one repeat
    state = known_state()
    state.paginate = False
    with vault_server(state) as server:
        whole = collect_vault(server.url, server.token, progress=False)
    assert _names(whole) == _names(paged)
    bulk = [r.query for r in server.requests if r.method == "LIST" and r.path == "/v1/secret/metadata/bulk"]
    assert bulk == ["limit=8", "limit=8&after=sub%2F"]  # the repeat is recognised, and the walk stops


def _names(result) -> list[str]:
    """Secret names but the certificates' (each state issues new serials)."""
    return [r["name"] for r in result.secrets if not r["name"].startswith("pki/")]


def test_namespace_has_its_own_estate(sleeps, clean_env):
    with vault_server(known_state()) as server:
        result = collect_vault(server.url, server.token, namespace="team-a", progress=False)
    assert [r["name"] for r in result.secrets] == ["team-a/secret/app/token"]  # as events.resource names it
    assert result.secrets[0]["kind"] == "service-token"
    assert result.source == f"{server.url} namespace team-a" and result.gaps == []
    assert {r.namespace for r in server.requests} == {"team-a"}


def test_configured_from_the_environment_like_the_vault_command(sleeps, clean_env, monkeypatch, tmp_path):
    with vault_server(known_state()) as server:
        monkeypatch.setenv("VAULT_ADDR", server.url)
        monkeypatch.setenv("VAULT_TOKEN", server.token)
        monkeypatch.setenv("VAULT_NAMESPACE", "team-a")
        assert [r["name"] for r in collect_vault(progress=False).secrets] == ["team-a/secret/app/token"]
        # arguments override the environment
        assert len(collect_vault(namespace="", progress=False).secrets) > 1

        monkeypatch.delenv("VAULT_TOKEN")
        monkeypatch.delenv("VAULT_NAMESPACE")
        (tmp_path / ".vault-token").write_text(server.token + "\n")  # what `vault login` leaves
        assert collect_vault(progress=False).source == server.url  # the token came from the file

        (tmp_path / ".vault-token").unlink()
        with pytest.raises(VaultlabError, match="no Vault token: set VAULT_TOKEN"):
            collect_vault(progress=False)


def test_a_bad_token_is_one_clear_line(sleeps, clean_env):
    with vault_server(known_state()) as server:
        with pytest.raises(VaultlabError) as caught:
            collect_vault(server.url, "hvs.not-a-token", progress=False)
        assert len(server.requests) == 1  # refused at the first request; nothing retried
    message = str(caught.value)
    assert "\n" not in message and "refused the token" in message and "VAULT_TOKEN" in message
    assert "hvs.not-a-token" not in message


def test_an_unreachable_server_is_one_clear_line(sleeps, clean_env):
    with socket.socket() as sock:  # a port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(VaultlabError) as caught:
        collect_vault(f"http://127.0.0.1:{port}", "t", progress=False)
    assert "cannot be reached" in str(caught.value) and "VAULT_ADDR" in str(caught.value)
    assert "\n" not in str(caught.value) and sleeps == []  # failed at once, no back-off


def test_a_sealed_vault_is_one_clear_line(sleeps, clean_env):
    state = known_state()
    state.sealed = True
    sealed = r"HTTP 503 after 6 attempts: Vault is sealed"
    with vault_server(state) as server, pytest.raises(VaultlabError, match=sealed):
        collect_vault(server.url, server.token, progress=False)
    assert len(sleeps) == vault_http.ATTEMPTS - 1


def test_tls_verifies_against_vault_cacert_or_is_skipped_on_request(sleeps, clean_env, monkeypatch, tmp_path):
    state = VaultState()
    state.root.mount("secret/", "kv", version=2)
    state.root.add_kv2("secret/", "a", versions=[utc(2026, 1, 1)])
    with vault_server(state, tls_dir=tmp_path / "tls") as server:
        assert server.url.startswith("https://")
        assert len(collect_vault(server.url, server.token, cacert=server.ca_file, progress=False).secrets) == 1
        monkeypatch.setenv("VAULT_CACERT", server.ca_file)
        assert len(collect_vault(server.url, server.token, progress=False).secrets) == 1
        monkeypatch.delenv("VAULT_CACERT")
        with pytest.raises(VaultlabError, match=r"^TLS to Vault at https://127\.0\.0\.1:\d+ failed .*VAULT_CACERT"):
            collect_vault(server.url, server.token, progress=False)  # the test CA is no system root
        monkeypatch.setenv("VAULT_SKIP_VERIFY", "true")
        assert len(collect_vault(server.url, server.token, progress=False).secrets) == 1
    with pytest.raises(VaultlabError, match="CA certificate .*missing.pem does not exist"):
        collect_vault("https://127.0.0.1:1", "t", cacert=str(tmp_path / "missing.pem"), skip_verify=False)


def test_the_guard_refuses_material_paths():
    """Defence in depth: the adapter refuses a material request before sending it."""
    link = collector.Link("http://127.0.0.1:1")
    link.mounts, link.kv1 = {"secret/", "kv1/", "database/", "pki/"}, {"kv1/"}
    for method, url in [("GET", "/v1/secret/data/a"), ("GET", "/v1/kv1/a"), ("GET", "/v1/database/creds/r"),
                        ("GET", "/v1/database/static-creds/r"), ("POST", "/v1/pki/issue/web"),
                        ("GET", "/v1/secret/data/a%2Fb")]:
        with pytest.raises(VaultlabError, match="refused to send"):
            link.refuse_material(method, url)
    for method, url in [("LIST", "/v1/kv1/data"), ("GET", "/v1/secret/metadata/data"), ("LIST", "/v1/kv1"),
                        ("GET", "/v1/pki/cert/01:02"), ("GET", "/v1/database/static-roles/r")]:
        link.refuse_material(method, url)


def test_vault_client_is_configured_like_the_collector(sleeps, clean_env, monkeypatch):
    state = VaultState()
    state.root.add_audit("file/", file_path="/var/log/vault/audit.log")
    with vault_server(state) as server:
        monkeypatch.setenv("VAULT_ADDR", server.url)
        monkeypatch.setenv("VAULT_TOKEN", server.token)
        client = collector.vault_client()
        assert client.sys.calculate_hash("file", "acc-1")["hash"] == state.root.audit_hmac("file/", "acc-1")
    with pytest.raises(VaultlabError, match="cannot be reached"):
        collector.vault_client().sys.list_mounted_secrets_engines()  # the server is gone: one line, no traceback


def _allowed(rules: list[tuple[str, list[str]]], path: str) -> list[str]:
    """The capabilities Vault grants on `path` under `rules`: the most specific matching rule wins
    (Vault's priority: an exact path; then the later first wildcard; no trailing *; fewer +;
    the longer path)."""
    def matches(pattern: str) -> bool:
        glob = pattern.endswith("*")
        parts, target = pattern.rstrip("*").split("/"), path.split("/")
        if not glob and len(parts) != len(target):
            return False
        if glob:  # the last part is a prefix of the target's part at that position
            if len(target) < len(parts):
                return False
            head = target[:len(parts) - 1] + ["/".join(target[len(parts) - 1:])]
            return all(p in ("+", t) for p, t in zip(parts[:-1], head[:-1], strict=True)) \
                and head[-1].startswith(parts[-1])
        return all(p in ("+", t) for p, t in zip(parts, target, strict=True))

    def priority(pattern: str):
        first = min([i for i, c in enumerate(pattern) if c in "+*"], default=10**6)
        return (first, not pattern.endswith("*"), -pattern.count("+"), len(pattern))

    found = [(priority(p), caps) for p, caps in rules if matches(p)]
    return max(found)[1] if found else []


def test_read_only_policy_parses_and_denies_material():
    rules = parse_policy(READ_ONLY_POLICY, "vaultlab-collector")
    paths = dict(rules)
    for material in ("+/data/*", "+/creds/*", "+/static-creds/*", "+/issue/*"):
        assert paths[material] == ["deny"]
    granted = {c for _, caps in rules for c in caps}
    assert granted <= {"read", "list", "sudo", "update", "deny"}
    assert {p for p, caps in rules if "update" in caps} == {"sys/audit-hash/*", "auth/token/lookup-accessor"}
    assert "deny" in collector.__doc__ or "READ_ONLY_POLICY" in collector.__doc__

    for path in ("secret/data/prod/db", "kv/data/x", "database/creds/app", "database/static-creds/app",
                 "pki/issue/web", "kv1/some-secret"):
        assert "read" not in _allowed(rules, path) and "update" not in _allowed(rules, path), path
    assert _allowed(rules, "secret/data/prod/db") == ["deny"]
    for path, capability in [("secret/metadata/prod/db", "read"), ("secret/metadata/prod/", "list"),
                             ("kv1/legacy/", "list"), ("database/static-roles/app", "read"),
                             ("pki/cert/01:02", "read"), ("sys/mounts", "read"), ("sys/audit", "sudo"),
                             ("auth/token/accessors", "sudo"), ("identity/entity/id/e1", "read")]:
        assert capability in _allowed(rules, path), path


def test_the_collection_lands_in_the_warehouse(collected, tmp_path):
    server, result = collected
    with Warehouse(tmp_path / "w.duckdb") as wh:
        run_id = store_collected(wh, result, policies=True)
        secrets = {r["secret_id"]: r for r in rows(wh, "select * from secrets", period=PERIOD)}
        assert set(secrets) == {r["name"] for r in result.secrets}
        assert secrets["secret/prod/payments/db"]["owner"] == "payments"
        status = {r["secret_id"]: r for r in rows(wh, "select * from rotation_status", period=PERIOD)}
        soon = "pki/cert/" + server.state.notes["soon"]
        assert status["database/static-roles/app-db"]["status"] == "overdue"  # rotated 10-01, every 7 days
        assert status["database/static-roles/app-db"]["days_overdue"] == 23
        assert status["database/static-roles/reporting"]["status"] == "due_soon"  # 25 h rounds up to 2 days
        assert status[soon]["status"] == "due_soon"  # expires 2027-01-06, renewal due 60 days before
        assert status["secret/prod/payments/stripe-key"]["status"] == "overdue"  # api-key, 90 days, March
        assert status["secret/prod/payments/db"]["status"] == "ok"
        assert status["kv1/root-pass"]["status"] == "never"  # KV v1: no timestamps to go by
        assert status["secret/team/deep/nested/secret"]["rotation_days"] == 60

        [run] = rows(wh, "select * from collect_runs")
        assert (run["run_id"], run["store"], run["secrets"], run["gaps"], run["requests"]) == \
            (run_id, "vault", len(result.secrets), 2, result.requests)
        kinds = {r["kind"]: r["n"] for r in rows(wh, "select kind, count(*) n from collected_facts group by kind")}
        assert kinds == {"mounts": 7, "auth_methods": 3, "audit_devices": 2, "tokens": 2, "static_roles": 2,
                         "certificates": 2, "entities": 2, "kv_secrets": len(result.secrets) - 4}
        assert rows(wh, "select path, reason from collect_gaps") == result.gaps
        policies = {r["policy"] for r in rows(wh, "select distinct policy from policy_rules")}
        assert {"app-read", "ops-admin"} <= policies


def test_tokens_join_audit_events_by_the_devices_hmac(collected, tmp_path):
    """The accessor HMAC collected through sys/audit-hash is the one the audit log carries."""
    server, result = collected
    hmac_ci = server.state.root.audit_hmac("file/", "acc-ci")
    base = {"auth": {"client_token": "hmac-sha256:" + "a" * 64, "accessor": hmac_ci, "display_name": "approle-ci",
                     "policies": ["default", "app-read"]},
            "request": {"id": "r-1", "operation": "read", "mount_type": "kv", "path": "secret/metadata/dev/app/config",
                        "namespace": {"id": "root"}, "remote_address": "10.0.0.5"}}
    log = tmp_path / "audit.log"
    log.write_text(json.dumps({"time": "2026-10-30T08:10:00Z", "type": "request", **base}) + "\n" +
                   json.dumps({"time": "2026-10-30T08:10:00.1Z", "type": "response", **base, "response": {}}) + "\n")
    with Warehouse(tmp_path / "w.duckdb") as wh:
        store_collected(wh, result)
        ingest(wh, [str(log)], progress=False)
        joined = rows(wh, """select f.data->>'display_name' as display_name, e.resource
                             from events e join collected_facts f on f.kind = 'tokens' and f.name = e.token_id""")
    assert joined == [{"display_name": "approle-ci", "resource": "secret/dev/app/config"}]


def test_progress_only_on_a_terminal_or_when_asked(sleeps, clean_env, capsys):
    state = VaultState()
    state.root.mount("secret/", "kv", version=2)
    state.root.add_kv2("secret/", "a", versions=[utc(2026, 1, 1)])
    with vault_server(state) as server:
        collect_vault(server.url, server.token)  # progress=None: only on a terminal; pytest's stderr is not
        assert capsys.readouterr().err == ""
        collect_vault(server.url, server.token, progress=True)
        assert "vault" in capsys.readouterr().err


def test_a_refused_audit_hash_is_one_gap_and_asked_once(sleeps, clean_env):
    state = VaultState()
    ns = state.root
    ns.add_audit("file/", file_path="/var/log/vault/audit.log")
    for i in range(5):
        ns.add_token(f"acc-{i}", display_name=f"svc-{i}", policies=["default"], creation_time=utc(2026, 10, 1),
                     ttl=3600)
    state.forbidden = ["sys/audit-hash/file"]
    with vault_server(state) as server:
        result = collect_vault(server.url, server.token, concurrency=1, progress=False)
    assert [r.path for r in server.requests].count("/v1/sys/audit-hash/file") == 1
    assert result.gaps == [{"path": "sys/audit-hash/file/", "reason": "permission denied (HTTP 403)"}]
    tokens = result.facts["tokens"]
    assert len(tokens) == 5 and all(t["name"] == "sha256:" + t["accessor_sha256"] and t["accessor_hmac"] == {}
                                    for t in tokens)


def test_timestamps_parse_as_vault_writes_them():
    assert collector._parse_time("2018-03-22T02:24:06.945319214Z") == \
        datetime(2018, 3, 22, 2, 24, 6, 945319, tzinfo=timezone.utc)
    assert collector._parse_time("2026-10-01T03:00:00Z") == utc(2026, 10, 1, 3)
    assert collector._parse_time("2026-10-01T03:00:00.5+02:00") == utc(2026, 10, 1, 1, 0, 0, 500000)
    assert collector._parse_time("0001-01-01T00:00:00Z") is None  # Go's zero time: never rotated
    assert collector._parse_time(1790000000) == utc(2026, 9, 21, 14, 13, 20)
    assert collector._parse_time("") is None and collector._parse_time(None) is None
