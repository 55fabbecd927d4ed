"""Done means: `inventory collect vault` and `inventory collect aws`, then `vaultlab report`, give a
pack whose rotation, orphan, drift and coverage sections reflect exactly what the test servers
hold, and the servers' request logs show that no secret value was ever requested."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import boto3
from aws_server import moto_server
from conftest import ROOT
from vault_server import VaultState, vault_server

END = datetime(2026, 10, 31, 12, tzinfo=timezone.utc)  # the collections are taken in the period
APP_POLICY = 'path "secret/data/app/*" {\n  capabilities = ["read"]\n}\n'


def _vault_state() -> VaultState:
    state = VaultState()
    ns = state.root
    ns.mount("secret/", "kv", version=2)
    ns.add_kv2("secret/", "app/db", versions=[END - timedelta(days=200), END - timedelta(days=120)],
               custom_metadata={"owner": "payments", "kind": "database"})  # last changed 120 days ago
    ns.add_kv2("secret/", "app/api-key", versions=[END - timedelta(days=20)],
               custom_metadata={"owner": "web", "kind": "api-key"})
    ns.mount("database/", "database")
    ns.add_static_role("database/", "reporting", username="report", rotation_period=86400,
                       last_vault_rotation=END - timedelta(days=3))  # rotated daily: 2 days overdue
    ns.add_audit("file/", "file", file_path="/var/log/vault/audit.log", log_raw="true")
    ns.policies["app"] = APP_POLICY
    ns.add_token("acc-root", display_name="root", policies=["root"], creation_time=END - timedelta(days=400),
                 ttl=0)
    return state


def _run(*args, env, db):
    result = subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(db), *args], capture_output=True,
                            text=True, env=env, timeout=600)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    return result


def test_collected_state_reaches_the_evidence_pack_and_no_value_is_read(tmp_path):
    db = tmp_path / "w.duckdb"
    state = _vault_state()
    with vault_server(state) as vault, moto_server() as aws_url:
        sm = boto3.client("secretsmanager", endpoint_url=aws_url, region_name="eu-west-1")
        sm.create_secret(Name="prod/orders/db", SecretString="v1", Tags=[{"Key": "kind", "Value": "database"}])
        sm.put_resource_policy(SecretId="prod/orders/db", ResourcePolicy=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*",
                                                     "Action": "secretsmanager:DeleteSecret", "Resource": "*"}]}))
        env = {**os.environ, "PYTHONPATH": str(ROOT), "VAULT_ADDR": vault.url, "VAULT_TOKEN": vault.token,
               "AWS_ENDPOINT_URL": aws_url}
        _run("policies", "collect", "vault", "--baseline", env=env, db=db)
        state.root.policies["app"] = APP_POLICY.replace('["read"]', '["read", "update"]')  # drift
        _run("inventory", "collect", "vault", "--quiet", env=env, db=db)
        _run("policies", "collect", "vault", env=env, db=db)
        try:
            _run("inventory", "collect", "aws", "--region", "eu-west-1", "--quiet", env=env, db=db)
        finally:  # moto's state is process-wide: leave nothing for other tests
            sm.delete_secret(SecretId="prod/orders/db", ForceDeleteWithoutRecovery=True)
        assert vault.material_requests() == []
        assert not any("/data/" in r.path or "/creds/" in r.path for r in vault.requests)
    # the collections are dated now; the report is for the current month so that they count, rendered
    # on the 1st of the next month (VAULTLAB_TODAY): a month not ended yet would need --partial
    now = datetime.now(timezone.utc)
    period = now.strftime("%Y-%m")
    next_month = (now.replace(day=28) + timedelta(days=4)).strftime("%Y-%m-01")
    _run("report", "--framework", "soc2", "--period", period, "--out", str(tmp_path / "packs"),
         env={**os.environ, "PYTHONPATH": str(ROOT), "VAULTLAB_TODAY": next_month}, db=db)
    pack = tmp_path / "packs" / f"soc2-{period}"
    controls = json.loads((pack / "controls.json").read_text())
    results = [r for req in controls["requirements"] for r in req["results"]]
    alarms = {(r["check"], r["resource"]) for r in results if r["status"] == "alarm"}
    source = vault.url
    assert ("rotation_overdue", "secret/app/db") in alarms
    assert ("rotation_overdue", "database/static-roles/reporting") in alarms
    assert ("rotation_overdue", "secret/app/api-key") not in alarms
    assert ("policy_drift", "policy app") in alarms
    assert {r for c, r in alarms if c == "audit_device_coverage"} == {f"{source} audit devices", f"{source} file"}
    [token] = [r for c, r in alarms if c == "token_lifetimes"]  # named by a hash of its accessor, not the accessor
    assert token.startswith(f"{source} token root (") and "acc-root" not in token
    orphans = {r for c, r in alarms if c == "orphaned_secrets"}  # no audit log loaded: nothing was read
    assert "secret/app/db" in orphans  # created 200 days ago
    assert "secret/app/api-key" not in orphans  # created 20 days ago, within orphan_days
    assert not any("prod/orders/db" in r for r in orphans)  # created just now
    page = (pack / "report.html").read_text()
    assert "secret/app/db" in page and "database/static-roles/reporting" in page and "prod/orders/db" in page
    verify = subprocess.run([sys.executable, "-m", "vaultlab", "verify", str(pack)], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert verify.returncode == 0
