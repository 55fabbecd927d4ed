"""Known answers for the Vault normalisation: one hand-written record per rule."""

import json

import pytest
from conftest import rows

from vaultlab import ingest

TOKEN = {"client_token": "hmac-sha256:" + "1" * 64, "accessor": "hmac-sha256:" + "2" * 64,
         "display_name": "ldap-carol", "entity_id": "ent-carol", "policies": ["default", "ops"]}


def record(path, op="read", *, type_="request", rid=None, auth=TOKEN, error=None, **request):
    entry = {"time": "2026-10-05T10:00:00.5Z", "type": type_, "auth": auth,
             "request": {"id": rid or f"id-{path}-{op}", "operation": op, "path": path,
                         "namespace": {"id": "root"}, "remote_address": "10.0.0.9", **request}}
    if error is not None:
        entry["error"] = error
    return entry


CASES = [  # (record, category, resource, extra expectations)
    (record("sys/audit/file", "update"), "audit.change", "sys/audit/file", {}),
    (record("sys/audit-hash/file", "update"), "sys.other", "sys/audit-hash/file", {}),
    (record("sys/policy/ops", "delete"), "policy.change", "sys/policy/ops", {}),
    (record("sys/policies/acl/ops", "read"), "sys.other", "sys/policies/acl/ops", {}),
    (record("auth/token/revoke-accessor", "update"), "token.revoke", "auth/token/revoke-accessor", {}),
    (record("auth/token/lookup-self"), "token.other", "auth/token/lookup-self", {}),
    (record("kv/team/api", mount_type="kv"), "secret.read", "kv/team/api", {"mount": "kv/"}),
    (record("secret/metadata/prod/", "list", mount_type="kv"), "secret.list", "secret/prod/", {}),
    (record("secret/metadata/prod/db", mount_type="kv"), "secret.list", "secret/prod/db", {}),
    (record("secret/metadata/prod/db", "delete", mount_type="kv"), "secret.delete", "secret/prod/db", {}),
    (record("secret/destroy/prod/db", "update", mount_type="kv"), "secret.delete", "secret/prod/db", {}),
    (record("secret/undelete/prod/db", "update", mount_type="kv"), "secret.write", "secret/prod/db", {}),
    (record("secret/data/prod/db", "patch", mount_type="kv"), "secret.write", "secret/prod/db", {}),
    (record("team-kv/data/app/x", mount_type="kv", mount_point="team-kv/"), "secret.read", "team-kv/app/x", {}),
    (record("database/creds/ro", mount_type="database"), "secret.read", "database/creds/ro", {}),
    (record("identity/entity/id", "list"), "sys.other", "identity/entity/id", {}),
    (record("secret/data/app", mount_type="kv", namespace={"id": "ns1", "path": "team-a/"}),
     "secret.read", "team-a/secret/app", {"namespace": "team-a"}),
    # older Vault wrote empty strings and an empty error for every field
    (record("secret/data/old", error="", auth={**TOKEN, "entity_id": "", "display_name": "approle"}),
     "secret.read", "secret/old", {"outcome": "ok", "actor": "approle", "actor_type": "service"}),
    (record("secret/data/ua", mount_type="kv", headers={"user-agent": ["vault-cli/1.15"]}),
     "secret.read", "secret/ua", {"user_agent": "vault-cli/1.15"}),
    (record("secret/data/x", error="internal error: boom"), "secret.read", "secret/x", {"outcome": "error"}),
    (record("auth/okta/login/dan", "update", auth={}, error="invalid credentials"),
     "auth.login", "auth/okta/login/dan",
     {"actor": "claimed:dan", "actor_name": "dan", "actor_type": "claimed", "auth_method": "okta"}),
    (record("sys/mounts", auth={**TOKEN, "display_name": "github-erin"}),
     "sys.other", "sys/mounts", {"auth_method": "github", "actor_type": "human"}),
    (record("sys/mounts", auth={**TOKEN, "display_name": "kubernetes-ns-app"}),
     "sys.other", "sys/mounts", {"auth_method": "kubernetes", "actor_type": "service"}),
    (record("secret/data/app", auth={**TOKEN, "display_name": "approle", "metadata": {"role_name": "billing"}}),
     "secret.read", "secret/app", {"actor_name": "approle-billing", "auth_method": "approle", "actor_type": "service"}),
    (record("sys/mounts", auth={**TOKEN, "display_name": "corp-sso-frank"}),
     "sys.other", "sys/mounts", {"auth_method": "unknown", "actor_type": "unknown"}),
]


@pytest.fixture
def loaded(warehouse, tmp_path):
    log = tmp_path / "rules.log"
    log.write_text("".join(json.dumps(c[0]) + "\n" for c in CASES))
    [result] = ingest(warehouse, [str(log)], progress=False)
    assert result.events_loaded == len(CASES) and result.quarantined == 0
    return {r["line"]: r for r in rows(warehouse, "select * from events")}


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0]["request"]["path"] for c in CASES])
def test_rule(loaded, index):
    _, category, resource, extra = CASES[index]
    event = loaded[index + 1]
    assert (event["category"], event["resource"]) == (category, resource)
    for column, value in extra.items():
        assert event[column] == value, column


def test_login_actor_comes_from_the_issued_token(warehouse, tmp_path):
    issued = {"client_token": "hmac-sha256:" + "5" * 64, "accessor": "hmac-sha256:" + "6" * 64,
              "display_name": "oidc-alice@example.com", "entity_id": "ent-alice", "policies": ["default"],
              "token_ttl": 28800, "metadata": {"email": "alice@example.com"}}
    request = record("auth/oidc/oidc/callback", "update", rid="login-1", auth={}, mount_type="oidc")
    response = {**record("auth/oidc/oidc/callback", "update", rid="login-1", auth={}, mount_type="oidc"),
                "type": "response", "time": "2026-10-05T10:00:00.6Z", "response": {"auth": issued}}
    log = tmp_path / "login.log"
    log.write_text(json.dumps(request) + "\n" + json.dumps(response) + "\n")
    ingest(warehouse, [str(log)], progress=False)
    [ev] = rows(warehouse, "select * from events")
    assert (ev["category"], ev["actor"], ev["actor_name"]) == ("auth.login", "ent-alice", "oidc-alice@example.com")
    assert (ev["actor_type"], ev["auth_method"], ev["token_ttl_s"]) == ("human", "oidc", 28800)
    assert ev["token_id"] == ev["issued_token_id"] == "hmac-sha256:" + "6" * 64
    assert json.loads(ev["auth_metadata"]) == {"email": "alice@example.com"}
