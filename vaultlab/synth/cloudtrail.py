"""A deterministic month of AWS CloudTrail for a Secrets Manager estate, with planted findings.

`synthesize_cloudtrail(out_dir, records=..., seed=...)` writes gzipped delivery files in S3's
layout (`AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_
<yyyymmddThhmmZ>_<unique>.json.gz`, each `{"Records": [...]}`), `inventory.json` (store aws)
`answers.json` (counts and planted findings), so that tests can assert exactly what the
analyses find and what they do not, and a chain of signed daily digest files with
`public-keys.json` for `vaultlab verify-cloudtrail`.

Background: service roles read their secrets around the clock from the VPC, each read with
the KMS Decrypt that Secrets Manager makes on its behalf; SSO users read and list in business
hours from the office. Secrets are named by name, by partial ARN or by full ARN at random.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

ACCOUNT = "111122223333"
REGION = "eu-west-1"
TRAIL, BUCKET = "org-trail", "acme-cloudtrail"
SERVICES = ["payments-api", "billing-worker", "ledger", "reporting"]
HUMANS = ["alice@example.com", "bob@example.com", "carol@example.com"]
SECRETS = {  # name -> (kind, days since last rotation at the end of the month)
    "prod/payments/db": ("database", 20), "prod/billing/api-key": ("api-key", 10),
    "prod/ledger/db": ("database", 45), "prod/reporting/token": ("api-key", 5),
    "staging/payments/db": ("database", 10), "prod/legacy/ftp": ("password", 400),
}
ORPHAN = "prod/legacy/ftp"  # never read, rotated 400 days ago
ROTATED_IN_LOG = "prod/ledger/db"  # the inventory says 45 days, RotationSucceeded in the month
OFFICE = "198.51.100."
ATTACKER_IP = "203.0.113.99"
RECORDS_PER_FILE = 5000


def _suffix(name: str) -> str:
    return "-" + "".join(random.Random(name).choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                                                   k=6))


def secret_arn(name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}{_suffix(name)}"


def canonical(name: str) -> str:
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}"


class _Trail:
    def __init__(self, rng: random.Random):
        self.rng, self.records = rng, []

    def _id(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def role(self, name: str) -> dict:
        return {"type": "AssumedRole", "principalId": f"AROA{name.upper()[:8]}:{name}-session",
                "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}/{name}-session", "accountId": ACCOUNT,
                "accessKeyId": f"ASIA{abs(hash(name)) % 10**12:012d}",
                "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": f"AROA{name.upper()[:8]}",
                                                     "arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
                                                     "accountId": ACCOUNT, "userName": name},
                                   "attributes": {"creationDate": "2026-10-01T00:00:00Z",
                                                  "mfaAuthenticated": "false"}}}

    def sso(self, email: str) -> dict:
        issuer = "AWSReservedSSO_Engineers_0123456789abcdef"
        return {"type": "AssumedRole", "principalId": f"AROASSO:{email}",
                "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{issuer}/{email}", "accountId": ACCOUNT,
                "accessKeyId": "ASIASSO" + email.split("@")[0].upper(),
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{ACCOUNT}:role/{issuer}",
                                                     "accountId": ACCOUNT, "userName": issuer},
                                   "attributes": {"mfaAuthenticated": "true"}}}

    def call(self, ts: datetime, who: dict, source: str, name: str, *, ip: str, params: dict | None = None,
             error: str | None = None, response: dict | None = None, service_event: bool = False) -> None:
        record = {"eventVersion": "1.09", "userIdentity": who, "eventTime": ts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "eventSource": source, "eventName": name, "awsRegion": REGION, "sourceIPAddress": ip,
                  "userAgent": "aws-sdk-go-v2/1.30.3", "requestParameters": params,
                  "responseElements": response, "requestID": self._id(), "eventID": self._id(),
                  "readOnly": name.startswith(("Get", "List", "Describe", "BatchGet", "Decrypt")),
                  "eventType": "AwsServiceEvent" if service_event else "AwsApiCall", "managementEvent": True,
                  "recipientAccountId": ACCOUNT, "eventCategory": "Management"}
        if error:
            record["errorCode"] = error
            record["errorMessage"] = f"User is not authorized to perform: secretsmanager:{name}"
        self.records.append(record)

    def read(self, ts: datetime, who: dict, secret: str, ip: str, error: str | None = None) -> None:
        ref = self.rng.choice([secret, secret_arn(secret), canonical(secret)])
        self.call(ts, who, "secretsmanager.amazonaws.com", "GetSecretValue", ip=ip, params={"secretId": ref},
                  error=error)
        if not error:  # Secrets Manager decrypts with KMS on the caller's behalf
            self.call(ts, {**who, "invokedBy": "secretsmanager.amazonaws.com"}, "kms.amazonaws.com", "Decrypt",
                      ip="secretsmanager.amazonaws.com",
                      params={"encryptionContext": {"SecretARN": secret_arn(secret),
                                                    "SecretVersionId": self._id()},
                              "encryptionAlgorithm": "SYMMETRIC_DEFAULT"})


def _planted(t0: datetime, trail: _Trail) -> list[dict]:
    """Write the planted findings; return their descriptions for answers.json."""
    mallory = {"type": "IAMUser", "principalId": "AIDAMALLORY", "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
               "accountId": ACCOUNT, "accessKeyId": "AKIAMALLORY", "userName": "mallory"}
    denied_at = t0 + timedelta(days=9, hours=14)
    for i in range(12):
        trail.read(denied_at + timedelta(seconds=20 * i), mallory, "prod/payments/db", ATTACKER_IP,
                   error="AccessDeniedException")
    off_hours = t0 + timedelta(days=12, hours=3, minutes=17)
    trail.read(off_hours, trail.sso(HUMANS[1]), "prod/billing/api-key", OFFICE + "11")
    batch_at = t0 + timedelta(days=14, hours=11)
    batch = ["prod/payments/db", secret_arn("prod/billing/api-key"), "staging/payments/db"]
    trail.call(batch_at, trail.sso(HUMANS[0]), "secretsmanager.amazonaws.com", "BatchGetSecretValue",
               ip=OFFICE + "10", params={"secretIdList": batch})
    policy_at = t0 + timedelta(days=20, hours=10)
    trail.call(policy_at, trail.sso(HUMANS[2]), "secretsmanager.amazonaws.com", "PutResourcePolicy",
               ip=OFFICE + "12", params={"secretId": "prod/payments/db", "blockPublicPolicy": True})
    rotated_at = t0 + timedelta(days=18, hours=2)
    trail.call(rotated_at, {"accountId": ACCOUNT, "invokedBy": "secretsmanager.amazonaws.com"},
               "secretsmanager.amazonaws.com", "RotationSucceeded", ip="secretsmanager.amazonaws.com",
               service_event=True)
    trail.records[-1]["additionalEventData"] = {"SecretId": secret_arn(ROTATED_IN_LOG)}
    return [
        {"finding": "denied_requests", "actor": f"arn:aws:iam::{ACCOUNT}:user/mallory", "src_ip": ATTACKER_IP,
         "events": 12, "resource": canonical("prod/payments/db")},
        {"finding": "off_hours_human", "actor_name": HUMANS[1], "ts": off_hours.isoformat()},
        {"finding": "batch_read", "actor_name": HUMANS[0], "resources": sorted(canonical(n) for n in
                                                                               ("prod/payments/db",
                                                                                "prod/billing/api-key",
                                                                                "staging/payments/db"))},
        {"finding": "policy_change", "policy": canonical("prod/payments/db"), "ts": policy_at.isoformat()},
        {"finding": "rotation_in_log", "secret_id": inventory_key(ROTATED_IN_LOG), "ts": rotated_at.isoformat()},
        {"finding": "orphaned_secret", "secret_id": inventory_key(ORPHAN)},
        {"finding": "rotation_overdue", "secret_id": inventory_key(ORPHAN)},
        {"finding": "rotation_due_soon", "secret_id": inventory_key("prod/payments/db")},
    ]


def synthesize_cloudtrail(out_dir: str | Path, *, records: int = 2000, seed: int = 7, start: str = "2026-10-01",
                          days: int = 31, records_per_file: int = RECORDS_PER_FILE) -> dict:
    """Write the delivery files, inventory.json and answers.json into out_dir; return the answers.

    Records are written as they are made, one delivery file at a time, so memory stays flat
    however many are asked for.
    """
    out = Path(out_dir)
    rng = random.Random(seed)
    t0 = datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
    t_end = t0 + timedelta(days=days)
    trail = _Trail(rng)
    planted = _planted(t0, trail)
    pending = sorted(trail.records, key=lambda r: r["eventTime"])
    trail.records = []
    readers = {svc: [n for n in SECRETS if n != ORPHAN and (svc.split("-")[0] in n or rng.random() < 0.3)]
               or ["prod/payments/db"] for svc in SERVICES}
    background = max(records - len(pending), 0)
    step = days * 86400 / max(background / 1.9, 1)  # a read is 2 records
    writer = _DeliveryWriter(out, records_per_file)
    t, made = t0, 0
    while made < background:
        t = min(t + timedelta(seconds=step * (0.5 + rng.random())), t_end - timedelta(seconds=1))
        _background(trail, rng, t, readers)
        stamp = trail.records[0]["eventTime"]
        while pending and pending[0]["eventTime"] <= stamp:
            writer.add([pending.pop(0)])
        made += len(trail.records)
        writer.add(trail.records[: len(trail.records) - max(made - background, 0)])
        trail.records = []
    writer.add(pending)
    writer.close()
    _write_digests(out, writer.delivered)
    _write_inventory(out / "inventory.json", t_end)
    answers = {"seed": seed, "start": t0.isoformat(), "end": t_end.isoformat(), "records": writer.count,
               "files": writer.files, "events": writer.count + 2,  # the batch read names three secrets
               "planted": planted}
    (out / "answers.json").write_text(json.dumps(answers, indent=2, sort_keys=True) + "\n")
    return answers


def _background(trail: _Trail, rng: random.Random, t: datetime, readers: dict) -> None:
    human = rng.randrange(len(HUMANS))
    if rng.random() < 0.9 or not 9 <= t.hour < 17 or t.weekday() >= 5:  # people work 09-17 UTC, Mon-Fri
        svc = rng.choice(SERVICES)
        trail.read(t, trail.role(svc), rng.choice(readers[svc]), f"10.0.{SERVICES.index(svc)}.10")
    elif rng.random() < 0.5:
        trail.read(t, trail.sso(HUMANS[human]), rng.choice([n for n in SECRETS if n != ORPHAN]),
                   OFFICE + str(10 + human))
    else:
        trail.call(t, trail.sso(HUMANS[human]), "secretsmanager.amazonaws.com", "ListSecrets",
                   ip=OFFICE + str(10 + human), params={"maxResults": 100})


class _DeliveryWriter:
    """Gzipped {"Records": [...]} files in S3's layout, named by their first record's time."""

    def __init__(self, out: Path, per_file: int):
        self.out, self.per_file, self.buffer, self.files, self.count = out, per_file, [], 0, 0
        self.delivered: list[tuple[str, datetime, str]] = []  # (key, time, SHA-256 of the JSON) for digests

    def add(self, records: list[dict]) -> None:
        self.buffer += records
        self.count += len(records)
        if len(self.buffer) >= self.per_file:
            self._flush(self.buffer[: self.per_file])
            self.buffer = self.buffer[self.per_file:]

    def close(self) -> None:
        while self.buffer:
            self._flush(self.buffer[: self.per_file])
            self.buffer = self.buffer[self.per_file:]

    def _flush(self, chunk: list[dict]) -> None:
        ts = datetime.strptime(chunk[0]["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
        folder = self.out / "AWSLogs" / ACCOUNT / "CloudTrail" / REGION / ts.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{ACCOUNT}_CloudTrail_{REGION}_{ts.strftime('%Y%m%dT%H%MZ')}_{self.files:08d}.json.gz"
        body = json.dumps({"Records": chunk}, separators=(",", ":")).encode()
        (folder / name).write_bytes(gzip.compress(body, compresslevel=6, mtime=0))
        self.delivered.append((str((folder / name).relative_to(self.out)), ts, hashlib.sha256(body).hexdigest()))
        self.files += 1


def _write_digests(out: Path, delivered: list[tuple[str, datetime, str]]) -> None:
    """A chain of daily digest files signed with a fresh RSA key, as CloudTrail signs them.

    The signature goes in `<digest>.sig` (S3 keeps it in object metadata) and the public key in
    `public-keys.json`, shaped as `aws cloudtrail list-public-keys` prints it, so that
    `vaultlab verify-cloudtrail DIR --public-keys DIR/public-keys.json` checks the month.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from vaultlab.snapshots.cloudtrail_digest import sign_digest

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    fingerprint = hashlib.md5(der).hexdigest()
    (out / "public-keys.json").write_text(json.dumps({"PublicKeyList": [{
        "Value": base64.b64encode(der).decode(), "Fingerprint": fingerprint}]}, indent=2) + "\n")
    previous = None
    for day in sorted({ts.date() for _, ts, _ in delivered}):
        start = datetime.combine(day, datetime.min.time(), timezone.utc)
        end = start + timedelta(days=1)
        name = (f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/{day:%Y/%m/%d}/{ACCOUNT}_CloudTrail-Digest_"
                f"{REGION}_{TRAIL}_{REGION}_{end:%Y%m%dT%H%M%SZ}.json.gz")
        data = {"awsAccountId": ACCOUNT, "digestStartTime": f"{start:%Y-%m-%dT%H:%M:%SZ}",
                "digestEndTime": f"{end:%Y-%m-%dT%H:%M:%SZ}", "digestS3Bucket": BUCKET, "digestS3Object": name,
                "digestPublicKeyFingerprint": fingerprint, "digestSignatureAlgorithm": "SHA256withRSA",
                "previousDigestS3Bucket": BUCKET if previous else None,
                "previousDigestS3Object": previous[0] if previous else None,
                "previousDigestHashValue": hashlib.sha256(previous[1]).hexdigest() if previous else None,
                "previousDigestHashAlgorithm": "SHA-256" if previous else None,
                "previousDigestSignature": previous[2] if previous else None,
                "logFiles": [{"s3Bucket": BUCKET, "s3Object": k, "hashValue": sha, "hashAlgorithm": "SHA-256"}
                             for k, ts, sha in delivered if ts.date() == day]}
        inflated = json.dumps(data).encode()
        signature = sign_digest(key, data, inflated)
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(gzip.compress(inflated, mtime=0))
        (out / (name + ".sig")).write_text(signature)
        previous = (name, inflated, signature)


def inventory_key(name: str) -> str:
    """The secret_id the inventory gives a secret: by ARN, by name with region and account, or by bare name."""
    return name if sorted(SECRETS).index(name) % 3 == 2 else canonical(name)


def _write_inventory(path: Path, end: datetime) -> None:
    rows = []
    for number, (name, (kind, rotated_days)) in enumerate(sorted(SECRETS.items())):
        # the inventory names secrets three ways, as real exports do
        row = [{"name": secret_arn(name)}, {"name": name, "region": REGION, "account": ACCOUNT},
               {"name": name}][number % 3]
        rows.append({**row, "store": "aws", "kind": kind, "owner": name.split("/")[1] + "-team",
                     "environment": name.split("/")[0], "created_at": "2024-01-15",
                     "last_rotated_at": (end - timedelta(days=rotated_days)).date().isoformat()})
    path.write_text(json.dumps(rows, indent=2) + "\n")
