"""The real cloud audit captures in ../shared/realdata, file by file and field by field."""

from collections import Counter
from datetime import UTC, datetime

import pytest
from conftest import rows

from vaultlab import ingest

# --- GCP Cloud Audit Logs (gcp_audit/) --------------------------------------------------------

# (category, outcome) counts of every JSON file, read by eye: one LogEntry per file.
GCP_EXPECTED = {
    "security_analytics_fixtures/google.admin.AdminService.addGroupMember.json": {("other", "ok"): 1},
    "security_analytics_fixtures/google.cloud.aiplatform.v1.PredictionService.Predict.json": {("other", "ok"): 1},
    "security_analytics_fixtures/google.cloud.aiplatform.v1beta1.PredictionService.GenerateContent.json":
        {("other", "ok"): 1},
    "security_analytics_fixtures/google.cloud.audit.AuditLog.GetProject.json": {("other", "ok"): 1},
    # a project SetIamPolicy whose delta adds a binding (its auditConfigs are unchanged)
    "security_analytics_fixtures/google.cloud.audit.AuditLog.setIamPolicy.json": {("policy.change", "ok"): 1},
    # a BigQuery sink export row (protopayload_auditlog), in a JSON array
    "security_analytics_fixtures/google.cloud.bigquery.v2.JobService.InsertJob-dataRead.json": {("other", "ok"): 1},
    "security_analytics_fixtures/google.cloud.iap.v1.IdentityAwareProxyAdminService.SetIamPolicy.json":
        {("policy.change", "ok"): 1},
    "security_analytics_fixtures/google.iam.admin.v1.CreateServiceAccountRequest.json": {("sys.other", "ok"): 1},
    "security_analytics_fixtures/google.iam.admin.v1.SetIamPolicy-keyAdmin.json": {("policy.change", "ok"): 1},
    "security_analytics_fixtures/google.iam.admin.v1.SetIamPolicy-tokenCreator.json": {("policy.change", "ok"): 1},
    "security_analytics_fixtures/google.login.LoginService.loginFailure.json": {("auth.login", "denied"): 1},
    "security_analytics_fixtures/google.login.LoginService.loginSuccess-isSuspicious.json": {("auth.login", "ok"): 1},
    "security_analytics_fixtures/google.login.LoginService.loginSuccess.json": {("auth.login", "ok"): 1},
    # status.code 7 from a VPC Service Controls perimeter (a Policy Denied audit log)
    "security_analytics_fixtures/google.storage.objects.get-notInSameVPC.json": {("other", "denied"): 1},
    "security_analytics_fixtures/google.v1.compute.subnetworks.patch-disableFlowLogs.json": {("other", "ok"): 1},
    # Stratus Red Team's trimmed AccessSecretVersion: no timestamp, insertId or principal
    "stratus_red_team/accesssecretversion_sample.jsonl": {("secret.read", "ok"): 1},
}
# LogEntries that are not audit logs (jsonPayload): not recognised, so skipped in a folder
GCP_NOT_AUDIT = {
    "security_analytics_fixtures/google.cloud.loadbalancing.type.LoadBalancerLogEntry-Spring4Shell.json",
    "security_analytics_fixtures/google.cloud.loadbalancing.type.LoadBalancerLogEntry-handledbyIAP.json",
    "security_analytics_fixtures/google.compute.googleapis.com.vpc_flows.json",
}
FIXTURES = "security_analytics_fixtures/"


def _relative(results, root):
    return {str(r.path)[len(str(root)) + 1:]: r for r in results}


def _categories(warehouse, file_id):
    found = rows(warehouse, "select category, outcome from events where file_id = ?", [file_id])
    return dict(Counter((r["category"], r["outcome"]) for r in found))


@pytest.fixture
def gcp_folder(warehouse, realdata):
    root = (realdata / "gcp_audit").resolve()
    return _relative(ingest(warehouse, [str(root)], progress=False), root)


def _event(warehouse, results, name):
    [ev] = rows(warehouse, "select * from events where file_id = ?", [results[name].file_id])
    return ev


def test_gcp_every_file_accounted_for(warehouse, realdata, gcp_folder):
    root = realdata / "gcp_audit"
    json_files = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and p.suffix != ".md"}
    assert json_files == set(GCP_EXPECTED) | GCP_NOT_AUDIT  # a new capture needs its expectations here
    for name, expected in GCP_EXPECTED.items():
        result = gcp_folder[name]
        assert result.format == "gcp", name
        assert result.lines_read == result.events_loaded + result.duplicates + result.quarantined, name
        assert (result.lines_read, result.events_loaded, result.quarantined) == (1, 1, 0), name
        assert _categories(warehouse, result.file_id) == expected, name
    for name in GCP_NOT_AUDIT | {"stratus_red_team/gcp.credential-access.secretmanager-retrieve-secrets.md"}:
        assert gcp_folder[name].skipped == "not a known audit log format", name
    assert warehouse.query("select count(*) from quarantine")[1] == [(0,)]


def test_gcp_non_audit_entries_forced_in_are_quarantined(warehouse, realdata):
    path = realdata / "gcp_audit" / FIXTURES / "google.compute.googleapis.com.vpc_flows.json"
    [result] = ingest(warehouse, [str(path)], fmt="gcp", progress=False)
    assert (result.lines_read, result.events_loaded, result.quarantined) == (1, 0, 1)
    [q] = rows(warehouse, "select * from quarantine")
    assert (q["line"], q["reason"]) == (1, 'not a Cloud Audit Log entry (no AuditLog "protoPayload")')


def test_gcp_secret_read_without_timestamp_or_principal(warehouse, gcp_folder):
    ev = _event(warehouse, gcp_folder, "stratus_red_team/accesssecretversion_sample.jsonl")
    assert ev["resource"] == "projects/victim-project/secrets/stratus-red-team-retrieve-secret-8"
    assert ev["path"] == "projects/victim-project/secrets/stratus-red-team-retrieve-secret-8/versions/latest"
    assert (ev["action"], ev["mount"], ev["account"]) == ("AccessSecretVersion", "secretmanager.googleapis.com",
                                                          "victim-project")
    # no `timestamp`: the request's own time (nine fraction digits) stands in
    assert ev["ts"] == datetime(2025, 2, 2, 22, 56, 34, 343726, tzinfo=UTC)
    assert (ev["actor"], ev["actor_type"], ev["auth_method"]) == (None, "unknown", None)
    assert ev["src_ip"] == "7.7.7.7"
    assert ev["user_agent"].startswith("stratus-red-team_4fbc5d44")
    assert len(ev["event_id"]) == 32  # no insertId: the md5 of the entry


@pytest.mark.parametrize("name, ts", [
    # 3, 6 and 9 fraction digits
    ("google.admin.AdminService.addGroupMember.json", datetime(2022, 3, 22, 22, 12, 58, 916000, tzinfo=UTC)),
    ("google.cloud.audit.AuditLog.GetProject.json", datetime(2023, 4, 3, 20, 17, 41, 985083, tzinfo=UTC)),
    ("google.cloud.aiplatform.v1.PredictionService.Predict.json",
     datetime(2024, 2, 22, 14, 33, 29, 284416, tzinfo=UTC)),
])
def test_gcp_fraction_digits(warehouse, gcp_folder, name, ts):
    assert _event(warehouse, gcp_folder, FIXTURES + name)["ts"] == ts


def test_gcp_org_level_log_name_is_decoded(warehouse, gcp_folder):
    # logName organizations/123/logs/cloudaudit.googleapis.com%2Factivity and no project label
    ev = _event(warehouse, gcp_folder, FIXTURES + "google.admin.AdminService.addGroupMember.json")
    assert ev["account"] == "organizations/123"
    assert (ev["action"], ev["resource"], ev["mount"]) == ("addGroupMember", "organizations/123/groupSettings",
                                                           "admin.googleapis.com")
    assert ev["event_id"] == "285djodxlmu"
    assert ev["user_agent"] is None


def test_gcp_login_failure(warehouse, gcp_folder):
    ev = _event(warehouse, gcp_folder, FIXTURES + "google.login.LoginService.loginFailure.json")
    assert (ev["category"], ev["outcome"], ev["action"]) == ("auth.login", "denied", "loginFailure")
    assert (ev["actor"], ev["actor_type"], ev["auth_method"]) == ("test-user@example.com", "human", "google")
    assert ev["error"] is None  # the entry has no status; the method says it failed


def test_gcp_vpc_sc_denial(warehouse, gcp_folder):
    ev = _event(warehouse, gcp_folder, FIXTURES + "google.storage.objects.get-notInSameVPC.json")
    assert (ev["outcome"], ev["error"]) == ("denied", "PERMISSION_DENIED")
    assert (ev["actor"], ev["actor_type"]) == (None, "unknown")  # authenticationInfo is {}
    assert (ev["action"], ev["resource"], ev["account"]) == ("objects.get", "projects/1234", "1234")


def test_gcp_policy_changes(warehouse, gcp_folder):
    project = _event(warehouse, gcp_folder, FIXTURES + "google.cloud.audit.AuditLog.setIamPolicy.json")
    assert (project["resource"], project["mount"]) == ("projects/1234", "cloudresourcemanager.googleapis.com")
    assert project["user_agent"].startswith("google-cloud-sdk gcloud/373.0.0")
    assert project["request_keys"] == ["policy", "@type", "resource"]
    sa_policy = _event(warehouse, gcp_folder, FIXTURES + "google.iam.admin.v1.SetIamPolicy-keyAdmin.json")
    assert (sa_policy["action"], sa_policy["resource"]) == ("SetIAMPolicy", "projects/-/serviceAccounts/123456789")
    assert sa_policy["account"] == "my-project"  # resource.labels.project_id
    iap = _event(warehouse, gcp_folder, FIXTURES + "google.cloud.iap.v1.IdentityAwareProxyAdminService.SetIamPolicy.json")
    assert (iap["action"], iap["actor"]) == ("SetIamPolicy", "admin@example.com")


def test_gcp_bigquery_export_row(warehouse, gcp_folder):
    ev = _event(warehouse, gcp_folder, FIXTURES + "google.cloud.bigquery.v2.JobService.InsertJob-dataRead.json")
    assert ev["line"] == 1  # `[{` opens the array and its only element
    assert (ev["action"], ev["mount"]) == ("InsertJob", "bigquery.googleapis.com")
    assert ev["resource"] == "projects/1234/datasets/my_dataset/tables/my_table"
    assert (ev["actor"], ev["actor_type"], ev["src_ip"]) == ("test-user@example.com", "human", "203.0.113.255")
    assert (ev["outcome"], ev["error"], ev["region"]) == ("ok", None, None)  # status and resourceLocation null
    assert ev["ts"] == datetime(2022, 8, 22, 2, 12, 57, 630000, tzinfo=UTC)


def test_gcp_region_from_resource_location(warehouse, gcp_folder):
    ev = _event(warehouse, gcp_folder, FIXTURES + "google.v1.compute.subnetworks.patch-disableFlowLogs.json")
    assert (ev["region"], ev["action"], ev["account"]) == ("us-central1", "subnetworks.patch", "1234")
    assert ev["response_keys"] is not None and "targetLink" in ev["response_keys"]


# --- Azure Key Vault AuditEvent (azure_keyvault/) ---------------------------------------------

MSDOCS = "msdocs__key-vault-general-logging__example-records.json"
AZURE_EXPECTED = {MSDOCS: {("secret.list", "ok"): 1}}  # one VaultGet


def test_azure_every_file_accounted_for(warehouse, realdata):
    root = (realdata / "azure_keyvault").resolve()
    json_files = {p.name for p in root.iterdir() if p.is_file() and p.suffix != ".md"}
    assert json_files == set(AZURE_EXPECTED)
    results = _relative(ingest(warehouse, [str(root)], progress=False), root)
    for name, expected in AZURE_EXPECTED.items():
        result = results[name]
        assert result.format == "azure", name
        assert result.lines_read == result.events_loaded + result.duplicates + result.quarantined, name
        assert (result.lines_read, result.events_loaded, result.quarantined) == (1, 1, 0), name
        assert _categories(warehouse, result.file_id) == expected, name


def test_azure_doc_example_fields(warehouse, realdata):
    ingest(warehouse, [str(realdata / "azure_keyvault" / MSDOCS)], progress=False)
    [ev] = rows(warehouse, "select * from events")
    assert ev["line"] == 1  # the first record of the blob
    # seven fraction digits
    assert ev["ts"] == datetime(2016, 1, 5, 1, 32, 1, 269122, tzinfo=UTC)
    assert (ev["action"], ev["category"], ev["outcome"]) == ("VaultGet", "secret.list", "ok")
    assert ev["resource"] == "https://contosokeyvault.vault.azure.net"  # properties.id, trailing / dropped
    # the resourceId is upper-cased in the log; the subscription is stored lower-case
    assert ev["account"] == "361da5d4-a47a-4c79-afdd-xxxxxxxxxxxx"
    # old claim-URI identity: the upn names a person, the appid is the client (Azure PowerShell)
    assert (ev["actor"], ev["actor_type"], ev["auth_method"]) == ("live.com#username@outlook.com", "human", "entra-id")
    assert (ev["src_ip"], ev["user_agent"]) == ("104.40.82.76", "azure-resource-manager/2.0")
    assert ev["error"] is None and len(ev["event_id"]) == 32
