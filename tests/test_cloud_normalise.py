"""Known answers for the GCP and Azure normalisation: one hand-written record per rule."""

import json
from datetime import UTC, datetime

import pytest
from conftest import rows

from vaultlab import ingest
from vaultlab.ingest.load import sniff
from vaultlab.ingest.sources import azure, gcp

# --- GCP Cloud Audit Logs ---------------------------------------------------------------------

AUDIT_LOG = "type.googleapis.com/google.cloud.audit.AuditLog"
SM = "google.cloud.secretmanager.v1.SecretManagerService."
SECRET = "projects/demo-proj/secrets/db-pass"
DATA_ACCESS = "projects/demo-proj/logs/cloudaudit.googleapis.com%2Fdata_access"


def gcp_entry(method, resource, *, service="secretmanager.googleapis.com", email="alice@example.com",
              status=None, ts="2026-10-05T10:00:00.123456Z", caller_ip="198.51.100.7", log=DATA_ACCESS,
              labels=None, auth=None, **payload):
    proto = {"@type": AUDIT_LOG, "serviceName": service, "methodName": method, "resourceName": resource,
             "authenticationInfo": auth if auth is not None else {"principalEmail": email},
             "requestMetadata": {"callerIp": caller_ip, "callerSuppliedUserAgent": "grpc-python/1.60"}, **payload}
    if status is not None:
        proto["status"] = status
    return {"protoPayload": proto, "insertId": f"ins-{method}-{resource}-{ts}", "timestamp": ts, "logName": log,
            "resource": {"type": "audited_resource", "labels": labels if labels is not None else {
                "project_id": "demo-proj", "service": service, "method": method}},
            "severity": "INFO", "receiveTimestamp": ts}


def delta(audit=False):
    key = "auditConfigDeltas" if audit else "bindingDeltas"
    change = {"action": "ADD", "service": "allServices", "logType": "DATA_READ"} if audit else {
        "action": "ADD", "role": "roles/owner", "member": "user:mallory@example.com"}
    return {"serviceData": {"@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                            "policyDelta": {key: [change]}}}


SA = "ci-deployer@demo-proj.iam.gserviceaccount.com"
KEY = "//iam.googleapis.com/projects/demo-proj/serviceAccounts/" + SA + "/keys/0123abcd"
WORKFORCE = "principal://iam.googleapis.com/locations/global/workforcePools/corp/subject/bob"

GCP_CASES = [  # (record, category, outcome, resource, extra expectations)
    (gcp_entry(SM + "AccessSecretVersion", SECRET + "/versions/3"), "secret.read", "ok", SECRET,
     {"action": "AccessSecretVersion", "mount": "secretmanager.googleapis.com", "path": SECRET + "/versions/3",
      "account": "demo-proj", "actor": "alice@example.com", "actor_type": "human", "auth_method": "google",
      "src_ip": "198.51.100.7", "user_agent": "grpc-python/1.60", "error": None, "source": "gcp"}),
    (gcp_entry("google.cloud.secretmanager.v1beta1.SecretManagerService.AccessSecretVersion",
               SECRET + "/versions/latest"), "secret.read", "ok", SECRET, {}),
    (gcp_entry(SM + "GetSecret", SECRET), "secret.list", "ok", SECRET, {}),
    (gcp_entry(SM + "GetSecretVersion", SECRET + "/versions/1"), "secret.list", "ok", SECRET, {}),
    (gcp_entry(SM + "ListSecrets", "projects/demo-proj"), "secret.list", "ok", "projects/demo-proj", {}),
    (gcp_entry(SM + "ListSecretVersions", SECRET), "secret.list", "ok", SECRET, {}),
    (gcp_entry(SM + "GetIamPolicy", SECRET), "secret.list", "ok", SECRET, {}),
    (gcp_entry(SM + "AddSecretVersion", SECRET), "secret.write", "ok", SECRET, {}),
    # CreateSecret names the parent; the new secret's id is in the request
    (gcp_entry(SM + "CreateSecret", "projects/demo-proj",
               request={"@type": "type.googleapis.com/google.cloud.secretmanager.v1.CreateSecretRequest",
                        "parent": "projects/demo-proj", "secretId": "new-secret"}),
     "secret.write", "ok", "projects/demo-proj/secrets/new-secret", {"request_keys": ["@type", "parent", "secretId"]}),
    (gcp_entry(SM + "UpdateSecret", SECRET), "secret.config", "ok", SECRET, {}),
    (gcp_entry(SM + "EnableSecretVersion", SECRET + "/versions/2"), "secret.config", "ok", SECRET, {}),
    (gcp_entry("google.cloud.secretmanager.v1beta2.SecretManagerService.DisableSecretVersion",
               SECRET + "/versions/2"), "secret.config", "ok", SECRET, {}),
    (gcp_entry(SM + "DeleteSecret", SECRET), "secret.delete", "ok", SECRET, {}),
    (gcp_entry(SM + "DestroySecretVersion", SECRET + "/versions/1"), "secret.delete", "ok", SECRET, {}),
    (gcp_entry(SM + "SetIamPolicy", SECRET, **delta()), "policy.change", "ok", SECRET, {}),
    # a regional secret keeps its location; the region comes from resourceLocation
    (gcp_entry(SM + "AccessSecretVersion", "projects/demo-proj/locations/europe-west1/secrets/eu-key/versions/2",
               resourceLocation={"currentLocations": ["europe-west1"]}),
     "secret.read", "ok", "projects/demo-proj/locations/europe-west1/secrets/eu-key", {"region": "europe-west1"}),
    (gcp_entry(SM + "AccessSecretVersion", SECRET + "/versions/4",
               status={"code": 7, "message": "Permission 'secretmanager.versions.access' denied"}),
     "secret.read", "denied", SECRET, {"error": "Permission 'secretmanager.versions.access' denied"}),
    (gcp_entry(SM + "GetSecret", SECRET, status={"code": 16}), "secret.list", "denied", SECRET,
     {"error": "UNAUTHENTICATED"}),
    (gcp_entry(SM + "GetSecret", SECRET + "-gone", status={"code": 5}), "secret.list", "error", SECRET + "-gone",
     {"error": "NOT_FOUND"}),
    (gcp_entry(SM + "ListSecrets", "projects/demo-proj", status={}), "secret.list", "ok", "projects/demo-proj",
     {"error": None}),
    # identities
    (gcp_entry(SM + "AccessSecretVersion", SECRET + "/versions/5",
               auth={"principalEmail": SA, "serviceAccountKeyName": KEY}),
     "secret.read", "ok", SECRET,
     {"actor": SA, "actor_type": "service", "auth_method": "service-account-key", "token_id": KEY}),
    (gcp_entry(SM + "AccessSecretVersion", SECRET + "/versions/6",
               auth={"principalEmail": "service-9@gcp-sa-secretmanager.iam.gserviceaccount.com"}),
     "secret.read", "ok", SECRET, {"actor_type": "service", "auth_method": "service-account", "token_id": None}),
    (gcp_entry(SM + "GetSecret", SECRET, auth={"principalSubject": WORKFORCE}), "secret.list", "ok", SECRET,
     {"actor": WORKFORCE, "actor_type": "human", "auth_method": "workforce-identity"}),
    (gcp_entry(SM + "GetSecret", SECRET + "-anon", auth={}), "secret.list", "ok", SECRET + "-anon",
     {"actor": None, "actor_type": "unknown", "auth_method": None}),
    # callers without a public address
    (gcp_entry(SM + "ListSecrets", "projects/demo-proj", caller_ip="private"), "secret.list", "ok",
     "projects/demo-proj", {"src_ip": None, "source_host": "private"}),
    (gcp_entry(SM + "ListSecrets", "projects/demo-proj", caller_ip="gce-internal-ip"), "secret.list", "ok",
     "projects/demo-proj", {"src_ip": None, "source_host": "gce-internal-ip"}),
    (gcp_entry(SM + "ListSecrets", "projects/demo-proj", caller_ip="2001:db8::5"), "secret.list", "ok",
     "projects/demo-proj", {"src_ip": "2001:db8::5", "source_host": None}),
    # other services
    (gcp_entry("SetIamPolicy", "projects/demo-proj", service="cloudresourcemanager.googleapis.com", **delta()),
     "policy.change", "ok", "projects/demo-proj", {"mount": "cloudresourcemanager.googleapis.com"}),
    (gcp_entry("SetIamPolicy", "projects/demo-proj", service="cloudresourcemanager.googleapis.com",
               **delta(audit=True)), "audit.change", "ok", "projects/demo-proj", {}),
    (gcp_entry("google.iam.admin.v1.SetIAMPolicy", "projects/-/serviceAccounts/123", service="iam.googleapis.com"),
     "policy.change", "ok", "projects/-/serviceAccounts/123", {"action": "SetIAMPolicy"}),
    (gcp_entry("google.logging.v2.ConfigServiceV2.DeleteSink", "projects/demo-proj/sinks/audit-to-bq",
               service="logging.googleapis.com"), "audit.change", "ok", "projects/demo-proj/sinks/audit-to-bq", {}),
    (gcp_entry("google.logging.v2.ConfigServiceV2.UpdateExclusion", "projects/demo-proj/exclusions/noisy",
               service="logging.googleapis.com"), "audit.change", "ok", "projects/demo-proj/exclusions/noisy", {}),
    (gcp_entry("google.login.LoginService.loginFailure", "organizations/42", service="login.googleapis.com"),
     "auth.login", "denied", "organizations/42", {}),
    (gcp_entry("google.login.LoginService.loginSuccess", "organizations/42", service="login.googleapis.com"),
     "auth.login", "ok", "organizations/42", {}),
    (gcp_entry("v1.compute.instances.insert", "projects/demo-proj/zones/us-east1-b/instances/vm-1",
               service="compute.googleapis.com"), "other", "ok", "projects/demo-proj/zones/us-east1-b/instances/vm-1",
     {"action": "instances.insert"}),
    (gcp_entry("storage.buckets.delete", "projects/_/buckets/b", service="storage.googleapis.com",
               status={"code": 7, "message": "PERMISSION_DENIED"}), "other", "denied", "projects/_/buckets/b",
     {"action": "buckets.delete"}),
    # the project from the URL-encoded logName when resource.labels has none; an org-level log
    (gcp_entry(SM + "ListSecrets", "projects/from-log", labels={},
               log="projects/from-log/logs/cloudaudit.googleapis.com%2Factivity"),
     "secret.list", "ok", "projects/from-log", {"account": "from-log"}),
    (gcp_entry("google.login.LoginService.loginSuccess", "organizations/42", service="login.googleapis.com",
               labels={}, log="organizations/42/logs/cloudaudit.googleapis.com%2Fdata_access", email="carol@example.com"),
     "auth.login", "ok", "organizations/42", {"account": "organizations/42"}),
]


@pytest.fixture
def gcp_loaded(warehouse, tmp_path):
    log = tmp_path / "gcp-rules.jsonl"
    log.write_text("".join(json.dumps(c[0]) + "\n" for c in GCP_CASES))
    [result] = ingest(warehouse, [str(log)], progress=False)
    assert result.format == "gcp"
    assert (result.events_loaded, result.quarantined, result.duplicates) == (len(GCP_CASES), 0, 0)
    return {r["line"]: r for r in rows(warehouse, "select * from events")}


@pytest.mark.parametrize("index", range(len(GCP_CASES)),
                         ids=[f"{i + 1}-{c[0]['protoPayload']['methodName'].rsplit('.', 1)[-1]}"
                              for i, c in enumerate(GCP_CASES)])
def test_gcp_rule(gcp_loaded, index):
    record, category, outcome, resource, extra = GCP_CASES[index]
    event = gcp_loaded[index + 1]
    assert (event["category"], event["outcome"], event["resource"]) == (category, outcome, resource)
    # a case that reuses an earlier case's insertId keeps it unique with a suffix
    if record["insertId"] in [c[0]["insertId"] for c in GCP_CASES[:index]]:
        assert event["event_id"].startswith(record["insertId"] + "~")
    else:
        assert event["event_id"] == record["insertId"]
    for column, value in extra.items():
        assert event[column] == value, column


@pytest.mark.parametrize("stamp, expected", [
    ("2026-10-05T10:00:00.123Z", 123000),
    ("2026-10-05T10:00:00.123456Z", 123456),
    ("2026-10-05T10:00:00.123456789Z", 123456),
    ("2026-10-05T10:00:00Z", 0),
])
def test_gcp_fraction_digits(warehouse, tmp_path, stamp, expected):
    log = tmp_path / "ts.jsonl"
    log.write_text(json.dumps(gcp_entry(SM + "GetSecret", SECRET, ts=stamp)) + "\n")
    ingest(warehouse, [str(log)], progress=False)
    [event] = rows(warehouse, "select ts from events")
    assert event["ts"] == datetime(2026, 10, 5, 10, 0, 0, expected, tzinfo=UTC)


def test_gcp_request_time_stands_in_for_a_missing_timestamp(warehouse, tmp_path):
    entry = gcp_entry(SM + "AccessSecretVersion", SECRET + "/versions/1")
    del entry["timestamp"]
    entry["protoPayload"]["requestMetadata"]["requestAttributes"] = {"time": "2026-10-06T08:00:00.5Z"}
    log = tmp_path / "trimmed.jsonl"
    log.write_text(json.dumps(entry) + "\n")
    ingest(warehouse, [str(log)], progress=False)
    [event] = rows(warehouse, "select ts from events")
    assert event["ts"] == datetime(2026, 10, 6, 8, 0, 0, 500000, tzinfo=UTC)


def bigquery_row(method, resource, *, ts="2026-10-05 10:00:00.250000 UTC", status=None, email="bq-user@example.com",
                 service="secretmanager.googleapis.com", **payload):
    """A row of a BigQuery log sink table exported as JSON: protopayload_auditlog, nulls everywhere."""
    return {"logName": DATA_ACCESS, "resource": {"type": "audited_resource",
                                                "labels": {"project_id": "demo-proj", "method": None}},
            "protopayload_auditlog": {
                "serviceName": service, "methodName": method, "resourceName": resource,
                "resourceLocation": None, "numResponseItems": None, "status": status,
                "authenticationInfo": {"principalEmail": email, "authoritySelector": None,
                                       "serviceAccountKeyName": None, "serviceAccountDelegationInfo": [],
                                       "principalSubject": None},
                "authorizationInfo": [{"resource": resource, "permission": "secretmanager.versions.access",
                                       "granted": "true", "resourceAttributes": None}],
                "requestMetadata": {"callerIp": "203.0.113.9", "callerSuppliedUserAgent": "bq-export",
                                    "callerNetwork": None, "requestAttributes": None, "destinationAttributes": None},
                "requestJson": None, "metadataJson": None, "responseJson": None, "servicedata_v1_iam": None,
                **payload},
            "textPayload": None, "timestamp": ts, "receiveTimestamp": ts, "severity": "INFO",
            "insertId": f"bq-{method}-{ts}", "httpRequest": None, "operation": None, "trace": None}


def test_gcp_bigquery_export_shape(warehouse, tmp_path):
    export = [
        bigquery_row(SM + "AccessSecretVersion", SECRET + "/versions/7"),
        # BigQuery writes INT64 as a JSON string
        bigquery_row(SM + "AccessSecretVersion", SECRET + "/versions/7", ts="2026-10-05T10:05:00.5Z",
                     status={"code": "7", "message": "Permission denied", "details": []}),
        bigquery_row(SM + "CreateSecret", "projects/demo-proj", ts="2026-10-05T10:06:00Z",
                     requestJson=json.dumps({"parent": "projects/demo-proj", "secretId": "from-bq"})),
        bigquery_row("SetIamPolicy", "projects/demo-proj", ts="2026-10-05T10:07:00Z",
                     service="cloudresourcemanager.googleapis.com",
                     servicedata_v1_iam={"policyDelta": {"auditConfigDeltas": [{"action": "REMOVE",
                                                                                "service": "allServices"}]}}),
    ]
    path = tmp_path / "bq-export.json"
    text = json.dumps(export, indent=2)
    path.write_text(text)
    assert sniff(path) == "gcp"
    [result] = ingest(warehouse, [str(path)], progress=False)
    assert (result.lines_read, result.events_loaded, result.quarantined) == (4, 4, 0)
    events = rows(warehouse, "select * from events order by ts")
    assert [(e["category"], e["outcome"], e["resource"]) for e in events] == [
        ("secret.read", "ok", SECRET),
        ("secret.read", "denied", SECRET),
        ("secret.write", "ok", "projects/demo-proj/secrets/from-bq"),
        ("audit.change", "ok", "projects/demo-proj"),
    ]
    first = events[0]
    assert first["ts"] == datetime(2026, 10, 5, 10, 0, 0, 250000, tzinfo=UTC)
    assert (first["actor"], first["actor_type"], first["src_ip"], first["user_agent"]) == (
        "bq-user@example.com", "human", "203.0.113.9", "bq-export")
    assert first["account"] == "demo-proj" and first["event_id"] == export[0]["insertId"]
    assert events[1]["error"] == "Permission denied"
    # an element of a list document is numbered by its position in the list
    assert [e["line"] for e in events] == [1, 2, 3, 4]


def test_gcp_malformed_records_are_quarantined_with_their_line(warehouse, tmp_path):
    good = gcp_entry(SM + "GetSecret", SECRET)
    no_time = gcp_entry(SM + "GetSecret", SECRET + "-2")
    del no_time["timestamp"]
    not_audit = {"insertId": "lb-1", "timestamp": "2026-10-05T10:00:00Z", "logName": "projects/p/logs/requests",
                 "jsonPayload": {"statusDetails": "response_sent_by_backend"}}
    # a cut-off AddSecretVersion whose request (unlike a real audit log's) carries the value
    cut_off = '{"protoPayload": {"methodName": "AddSecretVersion", "request": {"payload": {"data": "c2VjcmV0"'
    lines = [json.dumps(good), cut_off, "[1, 2]",
             json.dumps(not_audit), json.dumps(no_time), json.dumps(gcp_entry(SM + "ListSecrets", "projects/demo-proj"))]
    log = tmp_path / "mixed.jsonl"
    log.write_text("\n".join(lines) + "\n")
    [result] = ingest(warehouse, [str(log)], progress=False)
    assert (result.lines_read, result.events_loaded, result.duplicates, result.quarantined) == (6, 2, 0, 4)
    quarantined = rows(warehouse, "select line, reason, excerpt from quarantine order by line")
    assert [(q["line"], q["reason"]) for q in quarantined] == [
        (2, "not valid JSON (truncated or malformed)"),
        (3, "not a JSON object"),
        (4, 'not a Cloud Audit Log entry (no AuditLog "protoPayload")'),
        (5, 'no valid "timestamp" field'),
    ]
    assert quarantined[0]["excerpt"] == ('{"protoPayload": {"methodName": "AddSecretVersion", '
                                         '"request": {"payload": {"data": "<cut>"')
    assert quarantined[1]["excerpt"] == "[<cut>, <cut>]"
    assert [e["line"] for e in rows(warehouse, "select line from events order by line")] == [1, 6]


def test_gcp_same_record_twice_is_a_duplicate(warehouse, tmp_path):
    entry = gcp_entry(SM + "AccessSecretVersion", SECRET + "/versions/9")
    first = tmp_path / "a.jsonl"
    first.write_text(json.dumps(entry) + "\n" + json.dumps(entry) + "\n")
    [result] = ingest(warehouse, [str(first)], progress=False)
    assert (result.lines_read, result.events_loaded, result.duplicates, result.quarantined) == (2, 1, 1, 0)
    # the same entry pretty-printed in another file: same canonical JSON, so a duplicate again
    second = tmp_path / "b.json"
    second.write_text(json.dumps(entry, indent=2) + "\n")
    [again] = ingest(warehouse, [str(second)], progress=False)
    assert (again.lines_read, again.events_loaded, again.duplicates) == (1, 0, 1)
    assert rows(warehouse, "select count(*) as n from events")[0]["n"] == 1


def test_gcp_pretty_printed_entries_keep_their_first_line(warehouse, tmp_path):
    entries = [gcp_entry(SM + "GetSecret", SECRET), gcp_entry(SM + "DeleteSecret", SECRET)]
    text = "".join(json.dumps(e, indent=2) + "\n" for e in entries)
    path = tmp_path / "jq.json"
    path.write_text(text)
    [result] = ingest(warehouse, [str(path)], progress=False)
    assert (result.format, result.events_loaded) == ("gcp", 2)
    second_start = text.splitlines().index("{", 1) + 1
    assert [e["line"] for e in rows(warehouse, "select line from events order by line")] == [1, second_start]


def test_gcp_recognition():
    assert gcp.recognises(gcp_entry(SM + "GetSecret", SECRET))
    assert gcp.recognises(bigquery_row(SM + "GetSecret", SECRET))
    assert not gcp.recognises({"insertId": "x", "jsonPayload": {}, "timestamp": "2026-10-05T10:00:00Z"})
    head = json.dumps(gcp_entry(SM + "GetSecret", SECRET)).encode()[:200]
    assert gcp.recognises_prefix(head) and gcp.recognises_prefix(b"[" + head)
    assert not gcp.recognises_prefix(b"# Sample event\n```json\n" + head)


# --- Azure Key Vault AuditEvent ---------------------------------------------------------------

VAULT_ID = "/SUBSCRIPTIONS/0F1E2D3C-AAAA-4BBB-8CCC-123456789ABC/RESOURCEGROUPS/RG-APP/PROVIDERS/MICROSOFT.KEYVAULT/VAULTS/TEAM-KV"
VAULT = "https://team-kv.vault.azure.net"
SUBSCRIPTION = "0f1e2d3c-aaaa-4bbb-8ccc-123456789abc"
USER = {"oid": "11111111-1111-1111-1111-111111111111", "appid": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
        "upn": "dana@contoso.com", "unique_name": "dana@contoso.com", "name": "Dana Smith", "amr": "pwd"}
APP = {"oid": "22222222-2222-2222-2222-222222222222", "appid": "33333333-3333-3333-3333-333333333333",
       "idtyp": "app"}
MANAGED = {**APP, "xms_mirid": "/subscriptions/x/resourcegroups/rg/providers/Microsoft.ManagedIdentity/"
                               "userAssignedIdentities/api"}
OLD_USER = {"http://schemas.microsoft.com/identity/claims/objectidentifier": "44444444-4444-4444-4444-444444444444",
            "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "erin@contoso.com",
            "appid": "1950a258-227b-4e31-a9cf-717495945fc2"}
OLD_APP = {"http://schemas.microsoft.com/identity/claims/objectidentifier": "55555555-5555-5555-5555-555555555555",
           "appid": "66666666-6666-6666-6666-666666666666"}


def az_record(op, obj=None, *, uri=None, status=200, signature="OK", claim=USER, ts="2026-10-05T10:00:00.1234567Z",
              ip="198.51.100.9", duration="12", description="", **properties):
    props = {"clientInfo": "azsdk-python-keyvault-secrets/4.7.0", "httpStatusCode": status,
             "requestUri": uri or (f"{VAULT}/{obj}?api-version=7.4" if obj else f"{VAULT}/?api-version=7.4"),
             "isAccessPolicyMatch": True, **properties}
    if obj:
        props["id"] = f"{VAULT}/{obj}"
    if status is None:
        del props["httpStatusCode"]
    record = {"time": ts, "category": "AuditEvent", "operationName": op, "resultType": "Success",
              "correlationId": "c0ffee", "callerIpAddress": ip, "identity": {"claim": claim} if claim else {},
              "properties": props, "resourceId": VAULT_ID, "operationVersion": "7.4",
              "resultSignature": signature, "resultDescription": description, "durationMs": duration}
    return record


V = "0123456789abcdef0123456789abcdef"  # an object version
AZURE_CASES = [  # (record, category, outcome, resource, extra expectations)
    (az_record("SecretGet", f"secrets/db-pass/{V}"), "secret.read", "ok", f"{VAULT}/secrets/db-pass",
     {"action": "SecretGet", "mount": VAULT, "path": f"{VAULT}/secrets/db-pass/{V}", "account": SUBSCRIPTION,
      "actor": "dana@contoso.com", "actor_name": "Dana Smith", "actor_type": "human", "auth_method": "entra-id",
      "src_ip": "198.51.100.9", "user_agent": "azsdk-python-keyvault-secrets/4.7.0", "error": None,
      "source": "azure"}),
    # the host is lower-cased, a port dropped; the object name keeps its case
    (az_record("SecretGet", uri=f"https://Team-KV.vault.azure.net:443/secrets/Db-Pass/{V}?api-version=7.4"),
     "secret.read", "ok", f"{VAULT}/secrets/Db-Pass", {}),
    (az_record("SecretList", uri=f"{VAULT}/secrets?api-version=7.4"), "secret.list", "ok", VAULT, {}),
    (az_record("SecretListVersions", uri=f"{VAULT}/secrets/db-pass/versions?api-version=7.4"), "secret.list", "ok",
     f"{VAULT}/secrets/db-pass", {}),
    (az_record("SecretGetDeleted", "deletedsecrets/db-pass"), "secret.list", "ok", f"{VAULT}/secrets/db-pass", {}),
    (az_record("KeyGet", f"keys/signing/{V}"), "secret.list", "ok", f"{VAULT}/keys/signing", {}),
    (az_record("KeyList", uri=f"{VAULT}/keys?api-version=7.4"), "secret.list", "ok", VAULT, {}),
    (az_record("CertificateGet", f"certificates/tls/{V}"), "secret.list", "ok", f"{VAULT}/certificates/tls", {}),
    (az_record("CertificateList", uri=f"{VAULT}/certificates?api-version=7.4"), "secret.list", "ok", VAULT, {}),
    (az_record("VaultGet", id=f"{VAULT}/", uri="https://control-prod-wus.vaultcore.azure.net/subscriptions/"
               f"{SUBSCRIPTION}/resourcegroups/rg-app/providers/Microsoft.KeyVault/vaults/team-kv?api-version=2023-07-01"),
     "secret.list", "ok", VAULT, {}),
    (az_record("SecretSet", f"secrets/db-pass/{V}"), "secret.write", "ok", f"{VAULT}/secrets/db-pass", {}),
    (az_record("SecretRestore", f"secrets/db-pass/{V}"), "secret.config", "ok", f"{VAULT}/secrets/db-pass", {}),
    (az_record("SecretRecover", "deletedsecrets/db-pass/recover"), "secret.config", "ok",
     f"{VAULT}/secrets/db-pass", {}),
    (az_record("SecretUpdate", f"secrets/db-pass/{V}"), "secret.config", "ok", f"{VAULT}/secrets/db-pass", {}),
    (az_record("SecretDelete", "secrets/db-pass"), "secret.delete", "ok", f"{VAULT}/secrets/db-pass", {}),
    (az_record("SecretPurge", "deletedsecrets/db-pass"), "secret.delete", "ok", f"{VAULT}/secrets/db-pass", {}),
    (az_record("SecretBackup", "secrets/db-pass/backup"), "secret.read", "ok", f"{VAULT}/secrets/db-pass", {}),
    (az_record("KeyDecrypt", f"keys/wrap/{V}/decrypt"), "key.use", "ok", f"{VAULT}/keys/wrap", {}),
    (az_record("KeyUnwrap", f"keys/wrap/{V}/unwrapkey"), "key.use", "ok", f"{VAULT}/keys/wrap", {}),
    (az_record("KeySign", f"keys/signing/{V}/sign"), "key.use", "ok", f"{VAULT}/keys/signing", {}),
    (az_record("KeyEncrypt", f"keys/wrap/{V}/encrypt"), "key.use", "ok", f"{VAULT}/keys/wrap", {}),
    (az_record("KeyWrap", f"keys/wrap/{V}/wrapkey"), "key.use", "ok", f"{VAULT}/keys/wrap", {}),
    (az_record("KeyVerify", f"keys/signing/{V}/verify"), "key.use", "ok", f"{VAULT}/keys/signing", {}),
    (az_record("KeyRotate", "keys/signing/rotate"), "secret.rotate", "ok", f"{VAULT}/keys/signing", {}),
    # management-plane calls with no data-plane URI are keyed by the vault's ARM id
    (az_record("VaultPut", uri="https://control-prod-wus.vaultcore.azure.net/subscriptions/"
               f"{SUBSCRIPTION}/resourcegroups/rg-app/providers/Microsoft.KeyVault/vaults/team-kv?api-version=2023-07-01"),
     "policy.change", "ok", VAULT_ID.lower(), {"mount": VAULT_ID.lower()}),
    (az_record("VaultPatch", id=f"{VAULT}/"), "policy.change", "ok", VAULT, {}),
    (az_record("VaultAccessPolicyChangedEventGridNotification", id=f"{VAULT}/"), "policy.change", "ok", VAULT, {}),
    (az_record("SecretNearExpiryEventGridNotification", "secrets/db-pass"), "other", "ok",
     f"{VAULT}/secrets/db-pass", {}),
    (az_record("Authentication", status=401, signature="Unauthorized", claim=None), "auth.login", "denied", VAULT,
     {"actor": None, "actor_type": "unknown", "auth_method": None, "error": "Unauthorized"}),
    # outcomes
    (az_record("SecretGet", uri=f"{VAULT}/secrets/db-pass/?api-version=7.4", status=403, signature="Forbidden",
               description="Caller is not authorized to perform action on resource."),
     "secret.read", "denied", f"{VAULT}/secrets/db-pass",
     {"error": "Forbidden: Caller is not authorized to perform action on resource."}),
    (az_record("SecretGet", uri=f"{VAULT}/secrets/missing/?api-version=7.4", status=404, signature="NotFound"),
     "secret.read", "error", f"{VAULT}/secrets/missing", {"error": "NotFound"}),
    (az_record("SecretGet", uri=f"{VAULT}/secrets/busy/?api-version=7.4", status=429, signature="TooManyRequests"),
     "secret.read", "error", f"{VAULT}/secrets/busy", {}),
    (az_record("SecretGet", uri=f"{VAULT}/secrets/sig/?api-version=7.4", status=None, signature="Forbidden"),
     "secret.read", "denied", f"{VAULT}/secrets/sig", {}),
    (az_record("SecretGet", uri=f"{VAULT}/secrets/sig-ok/?api-version=7.4", status=None, signature="OK"),
     "secret.read", "ok", f"{VAULT}/secrets/sig-ok", {}),
    # identities: new short claims and old claim URIs
    (az_record("SecretGet", f"secrets/app-key/{V}", claim=APP), "secret.read", "ok", f"{VAULT}/secrets/app-key",
     {"actor": APP["oid"], "actor_name": APP["appid"], "actor_type": "service", "auth_method": "service-principal"}),
    (az_record("SecretGet", f"secrets/mi-key/{V}", claim=MANAGED), "secret.read", "ok", f"{VAULT}/secrets/mi-key",
     {"actor_type": "service", "auth_method": "managed-identity"}),
    (az_record("SecretGet", f"secrets/old-user/{V}", claim=OLD_USER), "secret.read", "ok",
     f"{VAULT}/secrets/old-user", {"actor": "erin@contoso.com", "actor_type": "human", "auth_method": "entra-id"}),
    (az_record("SecretGet", f"secrets/old-app/{V}", claim=OLD_APP), "secret.read", "ok", f"{VAULT}/secrets/old-app",
     {"actor": "55555555-5555-5555-5555-555555555555", "actor_type": "service"}),
    # a guest (no upn) is named by unique_name; an app token that carries one is still an app
    (az_record("SecretGet", f"secrets/guest/{V}", claim={"oid": "77777777-7777-7777-7777-777777777777",
                                                          "unique_name": "live.com#gus@outlook.com"}),
     "secret.read", "ok", f"{VAULT}/secrets/guest", {"actor": "live.com#gus@outlook.com", "actor_type": "human"}),
    (az_record("SecretGet", f"secrets/app-un/{V}", claim={**APP, "unique_name": APP["oid"]}), "secret.read", "ok",
     f"{VAULT}/secrets/app-un", {"actor": APP["oid"], "actor_type": "service"}),
    # a caller address the service redacted; durationMs as a number rather than a string
    (az_record("SecretList", uri=f"{VAULT}/secrets?api-version=7.4", ip="<Redacted>", duration=7), "secret.list",
     "ok", VAULT, {"src_ip": None, "source_host": "<Redacted>"}),
]


@pytest.fixture
def azure_loaded(warehouse, tmp_path):
    log = tmp_path / "PT1H.json"
    log.write_text("".join(json.dumps(c[0]) + "\n" for c in AZURE_CASES))
    [result] = ingest(warehouse, [str(log)], progress=False)
    assert result.format == "azure"
    assert (result.events_loaded, result.quarantined, result.duplicates) == (len(AZURE_CASES), 0, 0)
    return {r["line"]: r for r in rows(warehouse, "select * from events")}


@pytest.mark.parametrize("index", range(len(AZURE_CASES)),
                         ids=[f"{i + 1}-{c[0]['operationName']}" for i, c in enumerate(AZURE_CASES)])
def test_azure_rule(azure_loaded, index):
    _, category, outcome, resource, extra = AZURE_CASES[index]
    event = azure_loaded[index + 1]
    assert (event["category"], event["outcome"], event["resource"]) == (category, outcome, resource)
    for column, value in extra.items():
        assert event[column] == value, column


def test_azure_seven_digit_time_and_stable_ids(azure_loaded):
    first = azure_loaded[1]
    assert first["ts"] == datetime(2026, 10, 5, 10, 0, 0, 123456, tzinfo=UTC)
    ids = [e["event_id"] for e in azure_loaded.values()]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 for i in ids)


def test_azure_records_blob(warehouse, tmp_path):
    blob = {"records": [az_record("SecretGet", f"secrets/a/{V}"), az_record("SecretSet", f"secrets/b/{V}"),
                        az_record("KeySign", f"keys/k/{V}/sign")]}
    path = tmp_path / "blob.json"
    path.write_text(json.dumps(blob, indent=4))
    assert sniff(path) == "azure"
    [result] = ingest(warehouse, [str(path)], progress=False)
    assert (result.lines_read, result.events_loaded, result.quarantined) == (3, 3, 0)
    events = rows(warehouse, "select line, category from events order by line")
    assert [e["category"] for e in events] == ["secret.read", "secret.write", "key.use"]
    assert events[0]["line"] == 1  # records of a blob are numbered by position


def test_azure_malformed_records_are_quarantined_with_their_line(warehouse, tmp_path):
    no_time = az_record("SecretGet", f"secrets/c/{V}")
    del no_time["time"]
    bad_time = az_record("SecretGet", f"secrets/d/{V}", ts="yesterday")
    lines = [json.dumps(az_record("SecretGet", f"secrets/a/{V}")), '{"time": "2026-10-05T10:00:00Z", "operat',
             json.dumps(no_time), json.dumps(bad_time), json.dumps(az_record("SecretList", f"secrets/b/{V}"))]
    log = tmp_path / "azure.jsonl"
    log.write_bytes("\n".join(lines).encode() + b"\n\xff\xfe{}\n")  # the last line is not UTF-8
    [result] = ingest(warehouse, [str(log)], progress=False)
    assert (result.lines_read, result.events_loaded, result.quarantined) == (6, 2, 4)
    quarantined = rows(warehouse, "select * from quarantine order by line")
    assert [(q["line"], q["reason"]) for q in quarantined] == [
        (2, "not valid JSON (truncated or malformed)"), (3, 'no "time" field'), (4, 'no valid "time" field'),
        (6, "invalid UTF-8")]
    assert quarantined[3]["excerpt"] == "<cut>{}"  # bytes that are not UTF-8 are no field name


def test_azure_same_record_twice_is_a_duplicate(warehouse, tmp_path):
    record = az_record("SecretGet", f"secrets/twice/{V}")
    log = tmp_path / "twice.jsonl"
    log.write_text(json.dumps(record) + "\n" + json.dumps(record, indent=None, separators=(",", ":")) + "\n")
    [result] = ingest(warehouse, [str(log)], progress=False)
    assert (result.lines_read, result.events_loaded, result.duplicates, result.quarantined) == (2, 1, 1, 0)


def test_azure_recognition():
    assert azure.recognises(az_record("SecretGet", f"secrets/a/{V}"))
    activity_log = {"time": "2026-10-05T10:00:00Z", "resourceId": VAULT_ID, "category": "Administrative",
                    "operationName": "MICROSOFT.KEYVAULT/VAULTS/WRITE"}
    assert not azure.recognises(activity_log)
    assert not azure.recognises(gcp_entry(SM + "GetSecret", SECRET))
    assert not gcp.recognises(az_record("SecretGet", f"secrets/a/{V}"))
    head = json.dumps({"records": [az_record("SecretGet", f"secrets/a/{V}")]}).encode()[:400]
    assert azure.recognises_prefix(head)
    assert not azure.recognises_prefix(b"## Key Vault logging\n" + head)


def test_azure_several_records_documents_in_one_file(warehouse, tmp_path):
    path = tmp_path / "concatenated.json"
    path.write_text(json.dumps({"records": [az_record("SecretGet", f"secrets/a/{V}")]}) + "\n"
                    + json.dumps({"records": [az_record("SecretSet", f"secrets/b/{V}")]}) + "\n")
    [result] = ingest(warehouse, [str(path)], progress=False)
    assert result.lines_read == 2 and result.events_loaded == 2
