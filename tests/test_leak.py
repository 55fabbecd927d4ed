"""`vaultlab leak`: a leaked token's blast radius, via a real HTTP sys/audit-hash (test Vault)."""

import json
import os
import subprocess
import sys

from conftest import ROOT
from vault_server import VaultState, vault_server

LEAKED = "hvs.CAESIleaked-token-value"
OTHER = "hvs.CAESIsomeone-else"


def _record(state, kind, rid, ts, token, path, *, data_value=None, ip="10.1.1.1"):
    hmac = state.root.audit_hmac
    record = {"time": ts, "type": kind,
              "auth": {"client_token": hmac("file/", token), "accessor": hmac("file/", "acc-" + token),
                       "display_name": "approle", "policies": ["app"], "entity_id": "ent-" + token[-4:],
                       "metadata": {"role_name": "ci"}},
              "request": {"id": rid, "operation": "read", "path": path, "mount_type": "kv",
                          "client_token": hmac("file/", token), "remote_address": ip}}
    if data_value is not None:
        record["response"] = {"data": {"data": {"password": hmac("file/", data_value)}}}
    return json.dumps(record)


def test_a_leaked_token_is_found_by_its_hmac_and_never_printed(tmp_path):
    state = VaultState()
    state.root.add_audit("file/", "file", file_path="/var/log/vault.log")
    lines = [
        _record(state, "request", "r1", "2026-10-03T10:00:00Z", LEAKED, "secret/data/prod/db"),
        _record(state, "response", "r1", "2026-10-03T10:00:00.1Z", LEAKED, "secret/data/prod/db",
                data_value="s3cr3t"),
        _record(state, "request", "r2", "2026-10-04T11:00:00Z", LEAKED, "secret/data/prod/api", ip="203.0.113.5"),
        _record(state, "request", "r3", "2026-10-05T12:00:00Z", OTHER, "secret/data/prod/db"),
        # another token whose response returned the leaked value (a secret, not a token, leaked)
        _record(state, "response", "r3", "2026-10-05T12:00:00.2Z", OTHER, "secret/data/prod/db",
                data_value=LEAKED),
    ]
    (tmp_path / "audit.log").write_text("\n".join(lines) + "\n")
    db = tmp_path / "w.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(db), "ingest", "--quiet",
                    str(tmp_path / "audit.log")], check=True, env=env, capture_output=True)
    with vault_server(state) as vault:
        env.update(VAULT_ADDR=vault.url, VAULT_TOKEN=vault.token)
        result = subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(db), "leak", "--audit-device",
                                 "file/", "--format", "csv"], input=LEAKED + "\n", capture_output=True,
                                text=True, env=env, timeout=120)
        assert result.returncode == 0, result.stderr
        assert LEAKED not in result.stdout + result.stderr
        digest = state.root.audit_hmac("file/", LEAKED)
        assert f"HMAC under file/: {digest}" in result.stdout
        events = result.stdout.split("events carrying it", 1)[1].split("identities and tokens to revoke")[0]
        assert sorted(line.split(",")[0] for line in events.strip().splitlines()[1:]) == [
            "2026-10-03T10:00:00+00:00", "2026-10-04T11:00:00+00:00", "2026-10-05T12:00:00+00:00"]
        assert "203.0.113.5" in events
        assert [(r.method, r.path) for r in vault.requests] == [("POST", "/v1/sys/audit-hash/file")]
        wrong = subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(db), "leak", "--audit-device",
                                "nope/"], input=LEAKED, capture_output=True, text=True, env=env, timeout=120)
        assert wrong.returncode != 0 and len(wrong.stderr.strip().splitlines()) == 1
        assert LEAKED not in wrong.stderr
