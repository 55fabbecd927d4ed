"""Synthetic GCP Cloud Audit Logs and Azure Key Vault AuditEvent logs, for ingest_gcp_azure.py.

Only for the benchmark (the package's `vaultlab synth` makes Vault and CloudTrail logs). The
record shapes are those of the real captures in ../shared/realdata (gcp_audit: the Stratus Red
Team AccessSecretVersion entry and the security-analytics fixtures; azure_keyvault: Microsoft's
example record, with the newer short claim names as well), with ids, times, principals, secret
and key names, addresses and user agents varied so that no two records are the same.

Layouts, as the real exports deliver them, one week from 2026-11-01 00:00 UTC:

* GCP: a Cloud Logging sink to Cloud Storage, JSON lines, one LogEntry a line, an hourly file
  per log: `gcs-audit-sink/cloudaudit.googleapis.com/{activity|data_access}/YYYY/MM/DD/
  HH:00:00_HH:59:59_S0.json` (168 hours x 2 logs = 336 files).
* Azure: diagnostic settings to a storage account, an hourly append blob per vault:
  `insights-logs-auditevent/resourceId=/SUBSCRIPTIONS/S/RESOURCEGROUPS/G/PROVIDERS/
  MICROSOFT.KEYVAULT/VAULTS/V/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json` (3 vaults x 168 hours =
  504 files). Since November 2018 those blobs are JSON lines (`lines`, the default); the older
  `{"records": [...]}` document is `records`.

Records are written with string templates (no json.dumps per record): ~2-4 s for 200,000.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
HOURS = 7 * 24
PROJECTS = ("acme-prod", "acme-staging", "acme-data", "acme-payments", "acme-ml")
VAULTS = ("acme-prod-kv", "acme-payments-kv", "acme-shared-kv")
SUBSCRIPTION = "361da5d4-a47a-4c79-afdd-5e1f0b2c7d11"


def _tmpl(entry: dict, raw: tuple[str, ...] = ()) -> str:
    """A record as a %-template: string values hold %(name)s; a value "@name@" becomes raw JSON."""
    text = json.dumps(entry, separators=(", ", ": "))
    for name in raw:
        text = text.replace(f'"@{name}@"', f"%({name})s")
    return text


# --- GCP ---------------------------------------------------------------------------------------

_SM = "google.cloud.secretmanager.v1.SecretManagerService."
_REQMETA = {"callerIp": "%(ip)s", "callerSuppliedUserAgent": "%(ua)s",
            "requestAttributes": {"time": "%(ts)s", "auth": {}}, "destinationAttributes": {}}


def _gcp(service: str, method: str, resource_name: str, permission: str, *, log: str = "data_access",
         request: dict | None = None, response: dict | None = None, service_data: dict | None = None,
         denied: bool = False, resource_type: str = "audited_resource", located: bool = False) -> tuple[str, str]:
    payload = {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
               "status": "@status@",
               "authenticationInfo": {"principalEmail": "%(email)s", "principalSubject": "%(subject)s"},
               "requestMetadata": _REQMETA, "serviceName": service, "methodName": method,
               "authorizationInfo": [{"resource": resource_name, "permission": permission, "granted": not denied,
                                      "resourceAttributes": {"service": service, "name": resource_name},
                                      "permissionType": "DATA_READ" if log == "data_access" else "ADMIN_WRITE"}],
               "resourceName": resource_name}
    if located:
        payload["resourceLocation"] = {"currentLocations": ["%(region)s"]}
    if request is not None:
        payload["request"] = request
    if response is not None:
        payload["response"] = response
    if service_data is not None:
        payload["serviceData"] = service_data
    entry = {"protoPayload": payload, "insertId": "%(insert_id)s",
             "resource": {"type": resource_type,
                          "labels": {"method": method, "project_id": "%(project)s", "service": service}},
             "timestamp": "%(ts)s", "severity": "ERROR" if denied else "INFO",
             "logName": "projects/%(project)s/logs/cloudaudit.googleapis.com%(pct)s2F" + log,
             "receiveTimestamp": "%(received)s"}
    return log, _tmpl(entry, ("status",))


_SECRET = "projects/%(project)s/secrets/%(secret)s"
_KEY = "projects/%(project)s/locations/%(region)s/keyRings/ring-%(n)s/cryptoKeys/%(secret)s"
# (weight, (log, template), a status when denied)
GCP_KINDS = [
    (34, _gcp("secretmanager.googleapis.com", _SM + "AccessSecretVersion", _SECRET + "/versions/%(version)s",
              "secretmanager.versions.access",
              request={"name": _SECRET + "/versions/%(version)s",
                       "@type": "type.googleapis.com/google.cloud.secretmanager.v1.AccessSecretVersionRequest"})),
    (5, _gcp("secretmanager.googleapis.com", _SM + "AccessSecretVersion", _SECRET + "/versions/latest",
             "secretmanager.versions.access", denied=True,
             request={"name": _SECRET + "/versions/latest",
                      "@type": "type.googleapis.com/google.cloud.secretmanager.v1.AccessSecretVersionRequest"})),
    (8, _gcp("secretmanager.googleapis.com", _SM + "GetSecret", _SECRET, "secretmanager.secrets.get",
             request={"name": _SECRET, "@type": "type.googleapis.com/google.cloud.secretmanager.v1.GetSecretRequest"})),
    (6, _gcp("secretmanager.googleapis.com", _SM + "ListSecrets", "projects/%(project)s",
             "secretmanager.secrets.list",
             request={"parent": "projects/%(project)s",
                      "@type": "type.googleapis.com/google.cloud.secretmanager.v1.ListSecretsRequest"})),
    (5, _gcp("secretmanager.googleapis.com", _SM + "AddSecretVersion", _SECRET, "secretmanager.versions.add",
             log="activity", request={"parent": _SECRET, "@type":
                                      "type.googleapis.com/google.cloud.secretmanager.v1.AddSecretVersionRequest"},
             response={"name": _SECRET + "/versions/%(version)s", "createTime": "%(ts)s", "state": "ENABLED",
                       "@type": "type.googleapis.com/google.cloud.secretmanager.v1.SecretVersion"})),
    (2, _gcp("secretmanager.googleapis.com", _SM + "CreateSecret", "projects/%(project)s",
             "secretmanager.secrets.create", log="activity",
             request={"parent": "projects/%(project)s", "secretId": "%(secret)s",
                      "secret": {"replication": {"automatic": {}}},
                      "@type": "type.googleapis.com/google.cloud.secretmanager.v1.CreateSecretRequest"},
             response={"name": _SECRET, "createTime": "%(ts)s", "replication": {"automatic": {}},
                       "@type": "type.googleapis.com/google.cloud.secretmanager.v1.Secret"})),
    (18, _gcp("cloudkms.googleapis.com", "Decrypt", _KEY, "cloudkms.cryptoKeyVersions.useToDecrypt",
              request={"name": _KEY, "@type": "type.googleapis.com/google.cloud.kms.v1.DecryptRequest"},
              resource_type="cloudkms_cryptokey", located=True)),
    (4, _gcp("cloudkms.googleapis.com", "Encrypt", _KEY, "cloudkms.cryptoKeyVersions.useToEncrypt",
             request={"name": _KEY, "@type": "type.googleapis.com/google.cloud.kms.v1.EncryptRequest"},
             resource_type="cloudkms_cryptokey", located=True)),
    (7, _gcp("iamcredentials.googleapis.com", "GenerateAccessToken",
             "projects/-/serviceAccounts/1%(n)s0000000000000", "iam.serviceAccounts.getAccessToken",
             request={"name": "projects/-/serviceAccounts/sa-%(n)s@%(project)s.iam.gserviceaccount.com",
                      "@type": "type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenRequest"},
             resource_type="service_account")),
    (5, _gcp("cloudresourcemanager.googleapis.com", "GetProject", "projects/%(project)s",
             "resourcemanager.projects.get",
             request={"projectId": "%(project)s",
                      "@type": "type.googleapis.com/google.cloudresourcemanager.v1.GetProjectRequest"},
             resource_type="project")),
    (3, _gcp("cloudresourcemanager.googleapis.com", "SetIamPolicy", "projects/%(project)s",
             "resourcemanager.projects.setIamPolicy", log="activity",
             request={"resource": "%(project)s", "policy": {"bindings": [
                 {"members": ["user:%(email)s"], "role": "roles/secretmanager.secretAccessor"}], "etag": "%(etag)s"},
                 "@type": "type.googleapis.com/google.iam.v1.SetIamPolicyRequest"},
             response={"bindings": [{"members": ["user:%(email)s"], "role": "roles/secretmanager.secretAccessor"}],
                       "etag": "%(etag)s", "@type": "type.googleapis.com/google.iam.v1.Policy"},
             service_data={"@type": "type.googleapis.com/google.iam.v1.logging.AuditData",
                           "policyDelta": {"bindingDeltas": [{"action": "ADD", "member": "user:%(email)s",
                                                              "role": "roles/secretmanager.secretAccessor"}]}},
             resource_type="project")),
    (3, _gcp("iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccountKey",
             "projects/-/serviceAccounts/1%(n)s0000000000000", "iam.serviceAccountKeys.create", log="activity",
             request={"name": "projects/-/serviceAccounts/1%(n)s0000000000000", "private_key_type": 2,
                      "@type": "type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest"},
             response={"name": "projects/%(project)s/serviceAccounts/sa-%(n)s@%(project)s.iam.gserviceaccount.com/"
                               "keys/%(etag)s", "key_algorithm": 2, "key_origin": 2,
                       "@type": "type.googleapis.com/google.iam.admin.v1.ServiceAccountKey"},
             resource_type="service_account")),
]
_DENIED = ('{"code": 7, "message": "Permission \'secretmanager.versions.access\' denied for resource '
           '\'projects/%(project)s/secrets/%(secret)s/versions/latest\' (or it may not exist)."}')
_AGENTS = ("google-cloud-sdk gcloud/%d.0.0 command/gcloud.secrets.versions.access invocation-id/%s",
           "grpc-go/1.%d.0,gzip(gfe) run-%s", "google-api-python-client/2.%d.0 gdcl/%s",
           "Terraform/1.%d.0 (+https://www.terraform.io) terraform-provider-google/%s")


def _ip(rng: random.Random, n: int) -> str:
    if n % 23 == 0:
        return "private" if n % 2 else "gce-internal-ip"
    if n % 17 == 0:
        return f"2001:db8:{rng.randrange(65536):x}::{rng.randrange(65536):x}"
    return f"{rng.choice((34, 35, 104, 198, 203))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _gcp_values(rng: random.Random, n: int, ts: str, denied: bool) -> dict:
    project = PROJECTS[rng.randrange(len(PROJECTS))]
    if rng.random() < 0.6:
        email = f"sa-{rng.randrange(400)}@{project}.iam.gserviceaccount.com"
        subject = f"serviceAccount:{email}"
    else:
        email = f"user{rng.randrange(2000)}@example.com"
        subject = f"user:{email}"
    token = f"{n:x}{rng.getrandbits(40):010x}"
    secret = f"app-{rng.randrange(3000)}-secret"
    return {"ip": _ip(rng, n), "ua": _AGENTS[n % 4] % (rng.randrange(400), token), "ts": ts,
            "received": ts[:-4] + "999Z",  # a moment later
            "email": email, "subject": subject, "project": project, "secret": secret,
            "version": rng.randrange(1, 40), "region": ("global", "europe-west1", "us-central1")[n % 3],
            "n": rng.randrange(100, 999), "etag": f"BwX{token}=", "insert_id": f"{token}g{n:x}", "pct": "%",
            "status": _DENIED % {"project": project, "secret": secret} if denied else "{}"}


def _hour_times(hour: datetime, count: int, rng: random.Random, digits: int) -> list[str]:
    """`count` increasing, distinct times within the hour, with `digits` fractional digits."""
    scale = 10 ** digits
    ticks = sorted(rng.sample(range(3600 * scale), count))
    base = hour.strftime("%Y-%m-%dT%H:")
    return [f"{base}{t // (60 * scale):02d}:{t // scale % 60:02d}.{t % scale:0{digits}d}Z" for t in ticks]


def _per_hour(records: int, slots: int) -> list[int]:
    return [records // slots + (1 if i < records % slots else 0) for i in range(slots)]


def synthesize_gcp(folder: Path, records: int, seed: int = 1) -> dict:
    """Hourly JSON-lines files of a sink's two audit logs; returns {"records", "files"}."""
    rng = random.Random(seed)
    weights = [w for w, _, in GCP_KINDS]
    n, files = 0, 0
    root = folder / "gcs-audit-sink" / "cloudaudit.googleapis.com"
    for h, count in enumerate(_per_hour(records, HOURS)):
        hour = START + timedelta(hours=h)
        lines: dict[str, list[str]] = {"activity": [], "data_access": []}
        for ts in _hour_times(hour, count, rng, 9):
            kind = rng.choices(range(len(GCP_KINDS)), weights)[0]
            log, template = GCP_KINDS[kind][1]
            lines[log].append(template % _gcp_values(rng, n, ts, kind == 1))
            n += 1
        for log, texts in lines.items():
            if texts:
                path = root / log / hour.strftime("%Y/%m/%d") / f"{hour:%H}:00:00_{hour:%H}:59:59_S0.json"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text("\n".join(texts) + "\n")
                files += 1
    return {"records": n, "files": files}


# --- Azure -------------------------------------------------------------------------------------

_OLD_CLAIMS = ('{"http://schemas.microsoft.com/identity/claims/objectidentifier": "%(oid)s", '
               '"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "%(upn)s", "appid": "%(appid)s"}')
_USER_CLAIMS = ('{"oid": "%(oid)s", "upn": "%(upn)s", "unique_name": "%(upn)s", "appid": "%(appid)s", '
                '"idtyp": "user", "ipaddr": "%(ip)s", "name": "%(name)s"}')
_APP_CLAIMS = '{"oid": "%(oid)s", "appid": "%(appid)s", "idtyp": "app", "ipaddr": "%(ip)s"}'
_MI_CLAIMS = ('{"oid": "%(oid)s", "appid": "%(appid)s", "idtyp": "app", "xms_mirid": "/subscriptions/%(sub)s/'
              'resourcegroups/acme-rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi-%(k)s"}')
_AZ_RECORD = _tmpl({
    "time": "%(ts)s", "resourceId": "%(rid)s", "operationName": "%(op)s", "operationVersion": "7.4",
    "category": "AuditEvent", "resultType": "Success", "resultSignature": "%(sig)s", "resultDescription": "%(desc)s",
    "durationMs": "%(ms)s", "callerIpAddress": "%(ip)s", "correlationId": "%(corr)s",
    "identity": {"claim": "@claim@"},
    "properties": {"id": "%(object)s", "clientInfo": "%(client)s", "requestUri": "%(uri)s",
                   "httpStatusCode": "@code@", "isAccessPolicyMatch": True, "tlsVersion": "TLS1_2"},
    "location": "westeurope"}, ("claim", "code"))
# (weight, operation, object kind or None for the vault, HTTP status)
AZURE_KINDS = [(40, "SecretGet", "secrets", 200), (5, "SecretGet", "secrets", 403), (8, "SecretList", None, 200),
               (5, "SecretSet", "secrets", 200), (1, "SecretDelete", "secrets", 200), (12, "KeyDecrypt", "keys", 200),
               (5, "KeySign", "keys", 200), (4, "KeyUnwrap", "keys", 200), (5, "KeyGet", "keys", 200),
               (4, "CertificateGet", "certificates", 200), (6, "VaultGet", None, 200), (2, "SecretGet", "secrets", 404),
               (3, "Authentication", None, 200)]
_SIGNATURES = {200: ("OK", ""), 403: ("Forbidden", "Caller is not authorized to perform action on resource."),
               404: ("Not Found", "Secret not found")}
_CLIENTS = ("FxVersion/4.8.%d AzureKeyVault.Client/%s", "azsdk-python-keyvault-secrets/4.%d.0 run-%s",
            "azsdk-net-Security.KeyVault.Secrets/4.%d.0 (%s)", "Azure-CLI/2.%d.0 (AZURECLI) %s")


def _guid(rng: random.Random) -> str:
    x = f"{rng.getrandbits(128):032x}"
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def _azure_record(rng: random.Random, n: int, ts: str, vault: str) -> str:
    kind = AZURE_KINDS[rng.choices(range(len(AZURE_KINDS)), [k[0] for k in AZURE_KINDS])[0]]
    _, op, objects, code = kind
    host = f"{vault}.vault.azure.net"
    name = f"{'app' if objects != 'keys' else 'cmk'}-{rng.randrange(2000)}"
    version = f"{rng.getrandbits(128):032x}"
    if objects:
        obj = f"https://{host}/{objects}/{name}" + ("" if op == "SecretSet" else f"/{version}")
        verb = {"KeyDecrypt": "decrypt", "KeySign": "sign", "KeyUnwrap": "unwrapkey"}.get(op)
        uri = f"https://{host}:443/{objects}/{name}/" + (f"{version}/{verb}" if verb else "") + "?api-version=7.4"
    else:
        obj = f"https://{host}/"
        uri = f"https://{host}:443/secrets?api-version=7.4" if op == "SecretList" else \
            f"https://control-prod-weu.vaultcore.azure.net/subscriptions/{SUBSCRIPTION}/resourcegroups/acme-rg/" \
            f"providers/Microsoft.KeyVault/vaults/{vault}?api-version=2023-07-01"
    ip = f"{rng.choice((20, 40, 52, 104, 137))}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    user = rng.randrange(1500)
    values = {"oid": _guid(rng), "appid": _guid(rng), "upn": f"user{user}@acme.example", "name": f"User {user}",
              "ip": ip, "sub": SUBSCRIPTION, "k": rng.randrange(50)}
    claim = (_OLD_CLAIMS, _USER_CLAIMS, _APP_CLAIMS, _APP_CLAIMS, _MI_CLAIMS)[n % 5] % values
    sig, desc = _SIGNATURES[code]
    token = f"{n:x}-{rng.getrandbits(32):08x}"
    return _AZ_RECORD % {
        "ts": ts, "rid": f"/SUBSCRIPTIONS/{SUBSCRIPTION.upper()}/RESOURCEGROUPS/ACME-RG/PROVIDERS/"
                         f"MICROSOFT.KEYVAULT/VAULTS/{vault.upper()}",
        "op": op, "sig": sig, "desc": desc, "ms": rng.randrange(1, 400), "ip": ip, "corr": _guid(rng),
        "claim": claim, "object": obj, "client": _CLIENTS[n % 4] % (rng.randrange(100), token), "uri": uri,
        "code": code}


def synthesize_azure(folder: Path, records: int, seed: int = 1, layout: str = "lines") -> dict:
    """Hourly PT1H.json blobs per vault (JSON lines, or `records` documents); {"records", "files"}."""
    rng = random.Random(seed)
    n, files = 0, 0
    slots = [(h, v) for h in range(HOURS) for v in VAULTS]
    for (h, vault), count in zip(slots, _per_hour(records, len(slots))):
        if not count:
            continue
        hour = START + timedelta(hours=h)
        texts = []
        for ts in _hour_times(hour, count, rng, 7):
            texts.append(_azure_record(rng, n, ts, vault))
            n += 1
        path = (folder / "insights-logs-auditevent" / "resourceId=" / "SUBSCRIPTIONS" / SUBSCRIPTION.upper()
                / "RESOURCEGROUPS" / "ACME-RG" / "PROVIDERS" / "MICROSOFT.KEYVAULT" / "VAULTS" / vault.upper()
                / f"y={hour:%Y}" / f"m={hour:%m}" / f"d={hour:%d}" / f"h={hour:%H}" / "m=00" / "PT1H.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "\n".join(texts) + "\n" if layout == "lines" else '{"records": [\n' + ",\n".join(texts) + "\n]}\n"
        path.write_text(body)
        files += 1
    return {"records": n, "files": files}


def ensure(source: str, records: int, work: Path, azure_layout: str = "lines") -> Path:
    """The folder of `records` synthetic records of `source` ("gcp" or "azure"), made once: the
    sink's folder (`gcs-audit-sink/`, `insights-logs-auditevent/`), nothing else in it."""
    name = f"{source}-{records}" + (f"-{azure_layout}" if source == "azure" else "")
    answers = work / f"{name}.answers.json"  # written last: its presence says the folder is complete
    if not answers.exists():
        shutil.rmtree(work / name, ignore_errors=True)  # a run cut short
        start = time.perf_counter()
        made = synthesize_gcp(work / name, records) if source == "gcp" else synthesize_azure(
            work / name, records, layout=azure_layout)
        answers.write_text(json.dumps(made) + "\n")
        print(f"generated {made['records']:,} {source} records in {made['files']} files "
              f"in {time.perf_counter() - start:.1f} s")
    return work / name / ("gcs-audit-sink" if source == "gcp" else "insights-logs-auditevent")
