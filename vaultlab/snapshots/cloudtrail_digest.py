"""CloudTrail log file integrity validation, as `aws cloudtrail validate-logs` does it.

The algorithm follows the AWS CLI (aws/aws-cli, awscli/customizations/cloudtrail/validation.py)
and the CloudTrail User Guide ("CloudTrail digest file structure"):

* A digest file (``AWSLogs/<account>/CloudTrail-Digest/<region>/<yyyy>/<mm>/<dd>/
  <account>_CloudTrail-Digest_<region>_<trail>_<home region>_<yyyymmddThhmmssZ>.json.gz``) is
  signed with SHA256withRSA (RSA PKCS#1 v1.5 over SHA-256) over the string
  ``digestEndTime \\n digestS3Bucket/digestS3Object \\n hex SHA-256 of the decompressed digest
  \\n previousDigestSignature`` (``null`` in a chain's first digest). The hex signature is the
  object's S3 metadata ``signature``.
* A listed log file's ``hashValue`` is the hex SHA-256 of its decompressed content; a digest's
  ``previousDigestHashValue`` is the hex SHA-256 of the previous digest, decompressed.
* Public keys come from ``cloudtrail:ListPublicKeys``: ``Value`` is a DER PKCS#1 RSA public key
  (base64 in the CLI's JSON, bytes in boto3), found by ``Fingerprint``; keys are per region.

Local folders hold no S3 metadata, so a digest's signature is read from a sidecar file named
``<digest file name>.sig`` beside it, holding the hex signature (the ``x-amz-meta-signature``
header, as saved). Recorded object keys are matched from their ``AWSLogs/`` part on, below the
folder or ``s3://bucket/prefix`` given, so a copied trail validates where it now lies.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from vaultlab import output
from vaultlab.errors import VaultlabError

KINDS = ("changed", "missing", "missing_digest", "bad_signature", "unsigned", "unverified_signature", "not_listed")
COLUMNS = ["kind", "path", "detail"]
DIGEST_NAME = re.compile(r"/CloudTrail-Digest/.*/(?P<account>\d{12})_CloudTrail-Digest_(?P<region>[a-z0-9-]+)_"
                         r"(?P<trail>.+)_(?P<home>[a-z0-9-]+)_(?P<stamp>\d{8}T\d{6}Z)(?P<backfill>_backfill)?"
                         r"\.json\.gz$")
LOG_NAME = re.compile(r"/CloudTrail/(?P<region>[a-z0-9-]+)/.*/(?P<account>\d{12})_CloudTrail_(?P=region)_"
                      r"(?P<stamp>\d{8}T\d{4}Z)_[^/]+\.json\.gz$")
REQUIRED_FIELDS = ("digestPublicKeyFingerprint", "digestS3Bucket", "digestS3Object", "previousDigestSignature",
                   "digestEndTime", "digestStartTime")


@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    path: str
    detail: str


@dataclass
class IntegrityReport:
    location: str
    findings: list[Finding] = field(default_factory=list)
    valid_digests: int = 0
    valid_log_files: int = 0

    @property
    def ok(self) -> bool:
        return not self.findings

    def add(self, kind: str, path: str, detail: str) -> None:
        self.findings.append(Finding(kind, path, detail))

    def to_rows(self) -> list[tuple[str, str, str]]:
        return [(f.kind, f.path, f.detail) for f in self.findings]

    def summary(self) -> str:
        valid = f"{self.valid_digests} digest file(s) and {self.valid_log_files} log file(s) valid"
        counts = ", ".join(f"{n} {kind}" for kind in KINDS if (n := sum(f.kind == kind for f in self.findings)))
        findings = f"{len(self.findings)} finding(s): {counts}" if counts else "no findings"
        return f"{self.location}: {valid}; {findings}"


class LocalStore:
    """A folder; keys are paths below it, and a digest's signature is in its .sig sidecar."""

    def __init__(self, root: Path):
        self.root = root

    def keys(self) -> set[str]:
        return {p.relative_to(self.root).as_posix() for p in self.root.rglob("*.json.gz") if p.is_file()}

    def fetch(self, key: str) -> tuple[bytes, dict]:
        sidecar = self.root / (key + ".sig")
        return (self.root / key).read_bytes(), {"signature": sidecar.read_text().strip()} if sidecar.is_file() else {}

    def display(self, key: str) -> str:
        return str(self.root / key)


class S3Store:
    """An S3 prefix; keys are object keys, and a digest's signature is in its object metadata."""

    def __init__(self, client, bucket: str, prefix: str):
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def keys(self) -> set[str]:
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
            return {o["Key"] for page in pages for o in page.get("Contents", []) if o["Key"].endswith(".json.gz")}
        except (BotoCoreError, ClientError) as err:
            raise VaultlabError(f"cannot list {self.display(self.prefix)} ({err}); check the bucket and your "
                                "AWS credentials") from err

    def fetch(self, key: str) -> tuple[bytes, dict]:
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            return response["Body"].read(), response.get("Metadata", {})
        except (BotoCoreError, ClientError) as err:
            raise VaultlabError(f"cannot read {self.display(key)} ({err}); check your read access to it") from err

    def display(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"


def open_store(location: str, s3_client=None) -> LocalStore | S3Store:
    if location.startswith("s3://"):
        bucket, _, prefix = location.removeprefix("s3://").partition("/")
        if s3_client is None:
            import boto3  # the standard credential chain; botocore honours AWS_ENDPOINT_URL

            s3_client = boto3.client("s3")
        return S3Store(s3_client, bucket, prefix)
    if not Path(location).is_dir():
        raise VaultlabError(f"{location} is not a folder; give the folder that holds AWSLogs/, or s3://bucket/prefix")
    return LocalStore(Path(location))


def string_to_sign(data: dict, inflated_digest: bytes) -> bytes:
    previous = data["previousDigestSignature"]
    return (f"{data['digestEndTime']}\n{data['digestS3Bucket']}/{data['digestS3Object']}\n"
            f"{hashlib.sha256(inflated_digest).hexdigest()}\n{'null' if previous is None else previous}").encode()


def sign_digest(private_key, data: dict, inflated_digest: bytes) -> str:
    """The hex signature CloudTrail puts in a digest's metadata (for synthetic trails and tests)."""
    return private_key.sign(string_to_sign(data, inflated_digest), padding.PKCS1v15(), hashes.SHA256()).hex()


def load_public_key_file(path: str | Path) -> dict[str, bytes]:
    """Fingerprint -> DER key, from `aws cloudtrail list-public-keys` output saved as JSON."""
    try:
        entries = json.loads(Path(path).read_text())["PublicKeyList"]
        return {entry["Fingerprint"]: base64.b64decode(entry["Value"]) for entry in entries}
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise VaultlabError(f"cannot read public keys from {path} ({err}); save there the JSON that "
                            "`aws cloudtrail list-public-keys` prints") from err


def fetch_public_keys(regions, start: datetime, end: datetime, client_for_region=None) -> dict[str, bytes]:
    """Fingerprint -> DER key, from cloudtrail:ListPublicKeys in each region (its NextToken is unused)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client_for_region = client_for_region or (lambda region: boto3.client("cloudtrail", region_name=region))
    keys: dict[str, bytes] = {}
    for region in sorted(regions):
        try:
            listing = client_for_region(region).list_public_keys(StartTime=start, EndTime=end)
        except (BotoCoreError, ClientError) as err:
            raise VaultlabError(f"cannot fetch CloudTrail public keys in {region} ({err}); check your AWS "
                                "credentials, or pass saved `aws cloudtrail list-public-keys` output") from err
        keys.update({entry["Fingerprint"]: entry["Value"] for entry in listing.get("PublicKeyList", [])})
    return keys


def _utc(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    return _utc(datetime.fromisoformat(str(value)))


def _stamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ" if len(text) == 16 else "%Y%m%dT%H%MZ").replace(tzinfo=UTC)


def _base(key: str) -> str:
    return key[: key.rfind("AWSLogs/")]


def _rebase(recorded_key: str, base: str) -> str:
    """Where a recorded object key lies in this store: its AWSLogs/ part, below the same base."""
    return base + recorded_key[recorded_key.rfind("AWSLogs/"):]


@dataclass
class _Digest:
    key: str
    name: re.Match
    data: dict
    inflated: bytes
    metadata: dict
    trusted: bool = False  # its signature verifies with a known public key
    condemned: bool = False  # a finding proves it wrong: its list of log files is not to be believed

    def __post_init__(self):
        self.start, self.end = _utc(self.data["digestStartTime"]), _utc(self.data["digestEndTime"])
        previous = self.data.get("previousDigestS3Object")
        self.previous_key = _rebase(previous, _base(self.key)) if previous else None
        self.chain = (_base(self.key), *self.name.group("account", "region", "trail", "home"))


def _load_digests(store, keys: set[str], start, end, report: IntegrityReport) -> list[_Digest]:
    """Readable digests in the time range (as the CLI: up to an hour after end), newest first."""
    named = {key: name for key in keys if (name := DIGEST_NAME.search(key))}
    wanted = [k for k, name in named.items() if (start is None or _stamp(name["stamp"]) >= start)
              and (end is None or _stamp(name["stamp"]) <= end + timedelta(hours=1))]
    digests = []
    for key in sorted(wanted, key=lambda k: named[k]["stamp"], reverse=True):
        body, metadata = store.fetch(key)
        try:
            data = json.loads(inflated := gzip.decompress(body))
            if not isinstance(data, dict) or any(name not in data for name in REQUIRED_FIELDS):
                raise ValueError("a required field is absent")
            digests.append(_Digest(key, named[key], data, inflated, metadata))
        except (OSError, EOFError, zlib.error, ValueError) as err:
            report.add("changed", store.display(key), f"not a readable digest file ({err})")
    return digests


def _check_signature(store, digest: _Digest, public_keys: dict[str, bytes] | None, report: IntegrityReport) -> None:
    path, recorded = store.display(digest.key), digest.data["digestS3Object"]
    fingerprint, signature = digest.data["digestPublicKeyFingerprint"], digest.metadata.get("signature")
    if _rebase(recorded, "") != _rebase(digest.key, ""):
        digest.condemned = True
        report.add("changed", path, f"moved: it records its own location as {recorded}")
    elif not signature:
        report.add("unsigned", path, "no signature: no x-amz-meta-signature metadata, no .sig file beside it")
    elif public_keys is None:
        report.add("unverified_signature", path, "no public keys given: pass a list-public-keys file, or go online")
    elif fingerprint not in public_keys:
        report.add("unverified_signature", path, f"none of the public keys given has fingerprint {fingerprint}")
    else:
        _verify_signature(path, digest, public_keys[fingerprint], report)


def _verify_signature(path: str, digest: _Digest, der_key: bytes, report: IntegrityReport) -> None:
    fingerprint = digest.data["digestPublicKeyFingerprint"]
    try:
        public_key = serialization.load_der_public_key(der_key)
    except ValueError:
        return report.add("unverified_signature", path, f"public key {fingerprint} is not a DER RSA key")
    try:
        public_key.verify(bytes.fromhex(digest.metadata["signature"]), string_to_sign(digest.data, digest.inflated),
                          padding.PKCS1v15(), hashes.SHA256())
        digest.trusted = True
    except (InvalidSignature, ValueError):
        digest.condemned = True
        report.add("bad_signature", path, f"signature does not verify with public key {fingerprint}")


def _check_previous_link(store, digest: _Digest, by_key: dict, keys: set[str], start, report: IntegrityReport) -> None:
    """The previous digest exists, and its content and signature are those this digest signed for."""
    previous, this = digest.previous_key, digest.key.rsplit("/", 1)[-1]
    if previous is None or (previous in keys and previous not in by_key):  # a chain's start, or out of range
        return
    if previous not in keys:
        name = DIGEST_NAME.search(previous)
        if start is None or name is None or _stamp(name["stamp"]) >= start:
            report.add("missing_digest", store.display(previous),
                       f"absent, though {this} links to it: the chain is broken")
        return
    older, problems = by_key[previous], []
    if hashlib.sha256(older.inflated).hexdigest() != digest.data.get("previousDigestHashValue"):
        problems.append("its SHA-256 differs from previousDigestHashValue")
    if older.metadata.get("signature") not in (None, digest.data["previousDigestSignature"]):
        problems.append("its signature differs from previousDigestSignature")
    if problems and not older.condemned:
        older.condemned = True
        report.add("changed", store.display(previous), f"{' and '.join(problems)} in {this}")


def _check_log_files(store, digests: list[_Digest], keys: set[str], report: IntegrityReport) -> set[str]:
    """Each log file a believable digest lists is present and hashes as listed; returns those files."""
    vouched: set[str] = set()
    for digest in (d for d in digests if not d.condemned):
        for entry in digest.data.get("logFiles") or []:
            key = _rebase(entry["s3Object"], _base(digest.key))
            if key not in vouched:
                vouched.add(key)
                problem = _log_file_problem(store, key, entry, keys)
                if problem:
                    listed_in = digest.key.rsplit("/", 1)[-1]
                    report.add(problem[0], store.display(key), f"{problem[1]} (listed in {listed_in})")
                report.valid_log_files += digest.trusted and not problem
    return vouched


def _log_file_problem(store, key: str, entry: dict, keys: set[str]) -> tuple[str, str] | None:
    if key not in keys:
        return "missing", "absent"
    if entry.get("hashAlgorithm", "SHA-256") != "SHA-256":
        return "changed", f"hash algorithm {entry.get('hashAlgorithm')} is not SHA-256"
    try:
        actual = hashlib.sha256(gzip.decompress(store.fetch(key)[0])).hexdigest()
    except (OSError, EOFError, zlib.error) as err:
        return "changed", f"not a readable gzip file ({err})"
    return None if actual == entry.get("hashValue") else ("changed", "SHA-256 of its content differs from hashValue")


def _covered_spans(digests: list[_Digest]) -> dict[tuple, list[list[datetime]]]:
    """(base, account, region) -> the time spans digest chains cover. Only a chain's first digest opens a
    span, so a deleted digest leaves no hole."""
    by_chain: dict[tuple, list[list[datetime]]] = {}
    for digest in sorted((d for d in digests if not d.name["backfill"]), key=lambda d: d.end):
        spans = by_chain.setdefault(digest.chain, [])
        if digest.previous_key is None or not spans:
            spans.append([digest.start, digest.end])
        spans[-1][1] = max(spans[-1][1], digest.end)
    covered: dict[tuple, list[list[datetime]]] = {}
    for chain, spans in by_chain.items():
        covered.setdefault(chain[:3], []).extend(spans)
    return covered


def _find_unlisted_log_files(store, keys: set[str], digests, vouched: set[str], report: IntegrityReport) -> None:
    covered = _covered_spans(digests)
    listed = {_rebase(e["s3Object"], _base(d.key)) for d in digests for e in d.data.get("logFiles") or []}
    for key in sorted(keys - vouched):
        name = LOG_NAME.search(key)
        spans = covered.get((_base(key), name["account"], name["region"]), []) if name else []
        if any(start <= _stamp(name["stamp"]) <= end for start, end in spans):
            why = "listed only in a digest that failed verification" if key in listed else "listed in no digest"
            report.add("not_listed", store.display(key), f"{why}, though digests cover its time: unsigned")


def verify_cloudtrail(location: str, *, public_keys: dict[str, bytes] | None = None, public_key_file: str | None = None,
                      online: bool = False, start=None, end=None, s3_client=None) -> IntegrityReport:
    """Validate every CloudTrail digest chain and log file under a folder or s3://bucket/prefix."""
    if sum((public_keys is not None, public_key_file is not None, bool(online))) > 1:
        raise VaultlabError("give one source of public keys (a key file, online, or a dict), not several")
    store, report = open_store(location, s3_client), IntegrityReport(location)
    start, end, keys = _utc(start), _utc(end), store.keys()
    digests = _load_digests(store, keys, start, end, report)
    if not digests and not report.findings:
        raise VaultlabError(f"no CloudTrail digest files (AWSLogs/<account>/CloudTrail-Digest/...) under {location}"
                            f"{' in that time range' if start or end else ''}; give the folder or s3:// prefix "
                            "above AWSLogs/ of a trail with log file validation on")
    if public_key_file is not None:
        public_keys = load_public_key_file(public_key_file)
    elif online and digests:
        regions = {d.name["region"] for d in digests} | {d.name["home"] for d in digests}
        public_keys = fetch_public_keys(regions, min(d.start for d in digests), max(d.end for d in digests))
    for digest in digests:
        _check_signature(store, digest, public_keys, report)
    by_key = {d.key: d for d in digests}
    for digest in digests:
        _check_previous_link(store, digest, by_key, keys, start, report)
    vouched = _check_log_files(store, digests, keys, report)
    _find_unlisted_log_files(store, keys, digests, vouched, report)
    report.valid_digests = sum(d.trusted and not d.condemned for d in digests)
    return report


def add_arguments(parser) -> None:
    """The arguments of `vaultlab verify-cloudtrail PATH|s3://...`."""
    parser.add_argument("location", help="the folder that holds AWSLogs/ (digest signatures in <digest>.sig "
                                         "files), or s3://bucket/prefix")
    parser.add_argument("--public-keys", metavar="FILE", help="`aws cloudtrail list-public-keys` output, saved as JSON")
    parser.add_argument("--online", action="store_true", help="fetch the public keys with cloudtrail:ListPublicKeys")
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format")


def render(report: IntegrityReport, fmt: str = "table") -> str:
    """The findings and the summary, as a table or JSON."""
    if fmt == "json":
        return json.dumps({"location": report.location, "ok": report.ok, "valid_digests": report.valid_digests,
                           "valid_log_files": report.valid_log_files, "summary": report.summary(),
                           "findings": [dict(zip(COLUMNS, row, strict=True)) for row in report.to_rows()]},
                          indent=2) + "\n"
    return (output.render(COLUMNS, report.to_rows()) if report.findings else "") + report.summary() + "\n"


def run(args) -> int:
    """Print the findings and a summary; 0 when every digest and log file is valid, else 1."""
    report = verify_cloudtrail(args.location, public_key_file=args.public_keys, online=args.online)
    print(render(report, args.format), end="")
    return 0 if report.ok else 1
