"""A hybrid estate: Vault, CloudTrail, GCP and Azure logs in one warehouse, one evidence pack."""

import csv
import json

import pytest
from conftest import rows, run_cli

from vaultlab import Warehouse, ingest
from vaultlab.period import parse_period
from vaultlab.snapshots.inventory import canonical_secret_id, load_inventory
from vaultlab.synth.cloudtrail import synthesize_cloudtrail
from vaultlab.synth.vault import synthesize

GCP_SECRET = "projects/acme-prod/secrets/stripe-key"
AZURE_SECRET = "https://acme-kv.vault.azure.net/secrets/sql-password"


def _gcp_entry(day: int, method: str, who: str, code: int = 0) -> dict:
    return {"insertId": f"gcp-{day}-{method}-{who}", "logName":
            "projects/acme-prod/logs/cloudaudit.googleapis.com%2Fdata_access",
            "timestamp": f"2026-10-{day:02d}T10:15:30.123456789Z", "severity": "INFO",
            "resource": {"type": "audited_resource", "labels": {"project_id": "acme-prod",
                                                                "service": "secretmanager.googleapis.com"}},
            "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                             "status": {"code": code} if code else {},
                             "authenticationInfo": {"principalEmail": who},
                             "requestMetadata": {"callerIp": "192.0.2.10", "callerSuppliedUserAgent": "gcloud"},
                             "serviceName": "secretmanager.googleapis.com",
                             "methodName": f"google.cloud.secretmanager.v1.SecretManagerService.{method}",
                             "resourceName": GCP_SECRET + "/versions/3"}}


def _azure_record(day: int, operation: str, upn: str, status: int = 200) -> dict:
    return {"time": f"2026-10-{day:02d}T11:00:00.1234567Z", "category": "AuditEvent",
            "resourceId": "/SUBSCRIPTIONS/0000-1111/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/ACME-KV",
            "operationName": operation, "operationVersion": "7.4", "resultType": "Success",
            "resultSignature": "OK" if status == 200 else "Forbidden", "durationMs": "12",
            "callerIpAddress": "198.51.100.40", "correlationId": f"c-{day}-{operation}",
            "identity": {"claim": {"upn": upn, "oid": "11111111-2222-3333-4444-555555555555"}},
            "properties": {"id": AZURE_SECRET + "/0123456789abcdef", "httpStatusCode": status,
                           "clientInfo": "azsdk-python-keyvault-secrets/4.8"}}


def test_one_pack_for_vault_aws_gcp_and_azure(tmp_path):
    synthesize(tmp_path / "vault", lines=3000, seed=3)
    synthesize_cloudtrail(tmp_path / "aws", records=3000, seed=3)
    (tmp_path / "gcp.jsonl").write_text("".join(json.dumps(e) + "\n" for e in [
        _gcp_entry(3, "AccessSecretVersion", "billing@acme-prod.iam.gserviceaccount.com"),
        _gcp_entry(4, "AddSecretVersion", "dana@acme.example"),
        _gcp_entry(5, "AccessSecretVersion", "eve@acme.example", code=7)]))
    (tmp_path / "azure.json").write_text(json.dumps({"records": [
        _azure_record(6, "SecretGet", "frank@acme.example"),
        _azure_record(7, "SecretSet", "frank@acme.example"),
        _azure_record(8, "SecretGet", "mallory@acme.example", status=403)]}))
    (tmp_path / "cloud-inventory.json").write_text(json.dumps([
        {"name": GCP_SECRET, "store": "gcp", "kind": "api-key", "last_rotated_at": "2026-10-04"},
        {"name": "sql-password", "vault": "acme-kv", "store": "azure", "kind": "password",
         "last_rotated_at": "2026-10-07"}]))
    db = tmp_path / "w.duckdb"
    end = parse_period(as_of="2026-10-31").end
    with Warehouse(db) as wh:
        results = ingest(wh, [str(tmp_path / "vault" / "vault_audit.log"), str(tmp_path / "aws"),
                              str(tmp_path / "gcp.jsonl"), str(tmp_path / "azure.json")], progress=False)
        assert {r.format for r in results if not r.skipped} == {"vault", "cloudtrail", "gcp", "azure"}
        load_inventory(wh, [str(tmp_path / "vault" / "inventory.json")], as_of=end)
        load_inventory(wh, [str(tmp_path / "aws" / "inventory.json"), str(tmp_path / "cloud-inventory.json")],
                       as_of=end, default_store="aws")
        by_source = {r["source"]: r["n"] for r in rows(wh, "select source, count(*) as n from events group by 1")}
        assert set(by_source) == {"vault", "cloudtrail", "gcp", "azure"}
        assert (by_source["gcp"], by_source["azure"]) == (3, 3)
        status = {r["secret_id"]: r for r in rows(wh, "select * from rotation_status", period="2026-10")}
        assert status[GCP_SECRET]["last_rotated_at"].day == 4
        assert status[AZURE_SECRET]["last_rotated_at"].day == 7
        access = rows(wh, "select * from access_inventory where resource in (?, ?) order by resource, actor",
                      [GCP_SECRET, AZURE_SECRET], period="2026-10")
        assert [(a["actor_name"] or a["actor"], a["reads"], a["writes"], a["denied"]) for a in access] == [
            ("frank@acme.example", 1, 1, 0), ("mallory@acme.example", 0, 0, 1),  # the Azure secret first
            ("billing@acme-prod.iam.gserviceaccount.com", 1, 0, 0), ("dana@acme.example", 0, 1, 0),
            ("eve@acme.example", 0, 0, 1)]
    result = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(tmp_path / "packs"), db=db)
    assert result.returncode == 0, result.stderr[-3000:]
    pack = tmp_path / "packs" / "soc2-2026-10"
    assert run_cli("verify", str(pack)).returncode == 0
    with open(pack / "evidence" / "access_inventory.csv", newline="") as fh:
        resources = {row["resource"] for row in csv.DictReader(fh)}
    assert {GCP_SECRET, AZURE_SECRET, "secret/prod/payments/db"} <= resources
    assert any(r.startswith("arn:aws:secretsmanager:") for r in resources)
    manifest = json.loads((pack / "manifest.json").read_text())
    assert {i["format"] for i in manifest["inputs"]} == {"vault", "cloudtrail", "gcp", "azure"}


@pytest.mark.parametrize(("name", "store", "row", "key"), [
    ("arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-AbC123", "aws", {},
     "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db"),
    ("arn:aws:secretsmanager:eu-west-1:1:secret:prod/db", "aws", {},
     "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db"),
    ("prod/db", "aws", {"region": "eu-west-1", "account": "1"}, "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db"),
    ("prod/db", "aws", {"arn": "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-AbC123"},
     "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db"),
    ("prod/db", "aws", {}, "prod/db"),  # matched through the events' resource_alias
    ("arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-backup", "aws", {},  # a partial ARN: "backup" is a word
     "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-backup"),
    ("app/key", "aws", {"region": "cn-north-1", "account": "1"},
     "arn:aws-cn:secretsmanager:cn-north-1:1:secret:app/key"),
    ("projects/p/secrets/s/versions/3", "gcp", {}, "projects/p/secrets/s"),
    ("s", "gcp", {"project": "p"}, "projects/p/secrets/s"),
    ("https://KV.vault.azure.net/secrets/db/0123abcd", "azure", {}, "https://kv.vault.azure.net/secrets/db"),
    ("db", "azure", {"vault": "kv"}, "https://kv.vault.azure.net/secrets/db"),
    ("db", "azure", {"vault": "https://kv.vault.azure.net/"}, "https://kv.vault.azure.net/secrets/db"),
    ("secret/data/prod/db", "vault", {}, "secret/prod/db"),
])
def test_inventory_keys_match_the_keys_events_use(name, store, row, key):
    assert canonical_secret_id(name, store, row) == key
