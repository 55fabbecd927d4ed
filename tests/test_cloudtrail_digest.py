"""CloudTrail digest validation on real files and real RSA signatures, locally and through S3 (moto)."""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from aws_server import moto_server
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from vaultlab.errors import VaultlabError
from vaultlab.snapshots.cloudtrail_digest import (
    add_arguments,
    fetch_public_keys,
    run,
    sign_digest,
    string_to_sign,
    verify_cloudtrail,
)

ACCOUNT, REGION, TRAIL, BUCKET = "111122223333", "us-east-1", "org-audit", "vaultlab-trail"
FIRST_DIGEST_END = datetime(2026, 10, 1, 1, 1, 31, tzinfo=UTC)
HOURS = 3
LOGS_PER_HOUR = 2


# --- a signed trail in CloudTrail's delivery layout -------------------------------------------

def fingerprint(public_key) -> str:
    """Our synthetic keys' fingerprint: MD5 of the DER key (the validator only looks keys up by it)."""
    return hashlib.md5(der(public_key)).hexdigest()


def der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)


def write_public_key_file(path: Path, public_key) -> Path:
    """The JSON `aws cloudtrail list-public-keys` prints."""
    entry = {"Value": base64.b64encode(der(public_key)).decode(), "ValidityStartTime": 1790812800.0,
             "ValidityEndTime": 1793404800.0, "Fingerprint": fingerprint(public_key)}
    path.write_text(json.dumps({"PublicKeyList": [entry]}))
    return path


def log_key(prefix: str, account: str, region: str, delivered: datetime, body: bytes) -> str:
    unique = hashlib.sha256(body).hexdigest()[:16]
    return (f"{prefix}AWSLogs/{account}/CloudTrail/{region}/{delivered:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{unique}.json.gz")


def digest_key(prefix: str, account: str, region: str, trail: str, end: datetime) -> str:
    return (f"{prefix}AWSLogs/{account}/CloudTrail-Digest/{region}/{end:%Y/%m/%d}/"
            f"{account}_CloudTrail-Digest_{region}_{trail}_{region}_{end:%Y%m%dT%H%M%SZ}.json.gz")


def write_signed_trail(root: Path, *, private_key, log_files: list[tuple[datetime, bytes]],
                       digest_times: list[datetime], account: str = ACCOUNT, region: str = REGION,
                       trail: str = TRAIL, bucket: str = BUCKET, prefix: str = "") -> list[str]:
    """Gzipped log files, and a chain of digests each listing the log files of the hour up to its time,
    signed as CloudTrail signs them (signature in a .sig sidecar). Returns the digest keys, oldest first."""
    previous, keys = None, []
    for end in digest_times:
        entries = []
        for delivered, body in (f for f in log_files if end - timedelta(hours=1) < f[0] <= end):
            key = log_key(prefix, account, region, delivered, body)
            write_gzip(root / key, body)
            entries.append({"s3Bucket": bucket, "s3Object": key, "hashValue": hashlib.sha256(body).hexdigest(),
                            "hashAlgorithm": "SHA-256", "newestEventTime": f"{delivered:%Y-%m-%dT%H:%M:%SZ}",
                            "oldestEventTime": f"{delivered:%Y-%m-%dT%H:%M:%SZ}"})
        key = digest_key(prefix, account, region, trail, end)
        data = {"awsAccountId": account, "digestStartTime": f"{end - timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}",
                "digestEndTime": f"{end:%Y-%m-%dT%H:%M:%SZ}", "digestS3Bucket": bucket, "digestS3Object": key,
                "digestPublicKeyFingerprint": fingerprint(private_key.public_key()),
                "digestSignatureAlgorithm": "SHA256withRSA",
                "previousDigestS3Bucket": bucket if previous else None,
                "previousDigestS3Object": previous[0] if previous else None,
                "previousDigestHashValue": hashlib.sha256(previous[1]).hexdigest() if previous else None,
                "previousDigestHashAlgorithm": "SHA-256" if previous else None,
                "previousDigestSignature": previous[2] if previous else None,
                "logFiles": entries}
        inflated = json.dumps(data).encode()
        signature = sign_digest(private_key, data, inflated)
        write_gzip(root / key, inflated)
        (root / (key + ".sig")).write_text(signature)
        previous = (key, inflated, signature)
        keys.append(key)
    return keys


def write_gzip(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(body, mtime=0))


def log_body(delivered: datetime, n: int) -> bytes:
    record = {"eventVersion": "1.09", "eventTime": f"{delivered:%Y-%m-%dT%H:%M:%SZ}", "eventSource":
              "secretsmanager.amazonaws.com", "eventName": "GetSecretValue", "awsRegion": REGION,
              "requestParameters": {"secretId": f"prod/db-{n}"}, "recipientAccountId": ACCOUNT}
    return json.dumps({"Records": [record]}).encode()


def hourly_log_files() -> list[tuple[datetime, bytes]]:
    times = [FIRST_DIGEST_END - timedelta(minutes=55) + timedelta(minutes=30 * i) for i in range(HOURS * 2)]
    return [(t.replace(second=0), log_body(t, i)) for i, t in enumerate(times)]


# --- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def cloudtrail_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def intruder_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def trail(tmp_path, cloudtrail_key):
    """(folder, digest keys oldest first, public key file) of an intact three-hour trail."""
    root = tmp_path / "bucket"
    digests = write_signed_trail(root, private_key=cloudtrail_key, log_files=hourly_log_files(),
                                 digest_times=[FIRST_DIGEST_END + timedelta(hours=h) for h in range(HOURS)])
    return root, digests, write_public_key_file(tmp_path / "public-keys.json", cloudtrail_key.public_key())


def listed_logs(root: Path, digest: str) -> list[str]:
    return [e["s3Object"] for e in json.loads(gzip.decompress((root / digest).read_bytes()))["logFiles"]]


def kinds(report) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in report.findings:
        found.setdefault(finding.kind, []).append(finding.path)
    return {kind: sorted(paths) for kind, paths in found.items()}


def verify(root: Path, key_file: Path, **options):
    return verify_cloudtrail(str(root), public_key_file=str(key_file), **options)


# --- the algorithm, pinned to the AWS CLI's own test vector -------------------------------------

def test_string_to_sign_matches_the_aws_cli_for_a_chains_first_digest():
    data = {"digestEndTime": "a", "digestS3Bucket": "b", "digestS3Object": "c", "previousDigestSignature": None}
    expected = b"a\nb/c\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\nnull"
    assert string_to_sign(data, b"abc") == expected


# --- local folders ----------------------------------------------------------------------------

def test_intact_chain_validates_with_no_findings(trail):
    root, _, key_file = trail
    report = verify(root, key_file)
    assert report.findings == []
    assert report.ok
    assert (report.valid_digests, report.valid_log_files) == (HOURS, HOURS * LOGS_PER_HOUR)
    assert "3 digest file(s) and 6 log file(s) valid; no findings" in report.summary()


@pytest.mark.parametrize("tamper", ["content", "gzip_byte"])
def test_one_changed_byte_in_a_log_file_is_reported_for_that_file_alone(trail, tamper):
    root, digests, key_file = trail
    victim = root / listed_logs(root, digests[1])[0]
    if tamper == "content":
        body = bytearray(gzip.decompress(victim.read_bytes()))
        body[body.index(b"prod/db-")] = ord("q")
        victim.write_bytes(gzip.compress(bytes(body), mtime=0))
    else:
        raw = bytearray(victim.read_bytes())
        raw[len(raw) // 2] ^= 0x01
        victim.write_bytes(bytes(raw))
    report = verify(root, key_file)
    assert kinds(report) == {"changed": [str(victim)]}
    assert (report.valid_digests, report.valid_log_files) == (HOURS, HOURS * LOGS_PER_HOUR - 1)


def test_a_deleted_log_file_is_missing(trail):
    root, digests, key_file = trail
    victim = root / listed_logs(root, digests[0])[1]
    victim.unlink()
    report = verify(root, key_file)
    assert kinds(report) == {"missing": [str(victim)]}
    assert "absent" in report.findings[0].detail


def test_a_deleted_middle_digest_breaks_the_chain_and_unsigns_its_log_files(trail):
    root, digests, key_file = trail
    orphans = sorted(str(root / key) for key in listed_logs(root, digests[1]))
    (root / digests[1]).unlink()
    report = verify(root, key_file)
    assert kinds(report) == {"missing_digest": [str(root / digests[1])], "not_listed": orphans}
    assert report.valid_digests == HOURS - 1


def test_a_digest_re_signed_with_another_key_has_a_bad_signature(trail, intruder_key):
    root, digests, key_file = trail
    victim = root / digests[1]
    inflated = gzip.decompress(victim.read_bytes())
    (root / (digests[1] + ".sig")).write_text(sign_digest(intruder_key, json.loads(inflated), inflated))
    report = verify(root, key_file)
    orphans = sorted(str(root / key) for key in listed_logs(root, digests[1]))
    assert kinds(report) == {"bad_signature": [str(victim)], "not_listed": orphans}
    assert all("failed verification" in f.detail for f in report.findings if f.kind == "not_listed")


def test_a_digest_whose_hash_list_was_altered_fails_its_signature(trail):
    root, digests, key_file = trail
    victim = root / digests[1]
    data = json.loads(gzip.decompress(victim.read_bytes()))
    data["logFiles"][0]["hashValue"] = "0" * 64
    write_gzip(victim, json.dumps(data).encode())
    report = verify(root, key_file)
    assert kinds(report)["bad_signature"] == [str(victim)]
    assert "changed" not in kinds(report)  # the log files themselves are untouched


def test_a_log_file_no_digest_lists_is_reported_not_listed(trail):
    root, _, key_file = trail
    planted_at = FIRST_DIGEST_END + timedelta(minutes=20)
    body = log_body(planted_at, 99)
    planted = root / log_key("", ACCOUNT, REGION, planted_at.replace(second=0), body)
    write_gzip(planted, body)
    report = verify(root, key_file)
    assert kinds(report) == {"not_listed": [str(planted)]}
    assert "listed in no digest" in report.findings[0].detail


def test_without_public_keys_every_digest_is_unverified_and_not_ok(trail):
    root, digests, _ = trail
    report = verify_cloudtrail(str(root))
    assert kinds(report) == {"unverified_signature": sorted(str(root / d) for d in digests)}
    assert not report.ok
    assert (report.valid_digests, report.valid_log_files) == (0, 0)


def test_without_public_keys_a_changed_digest_is_still_caught_by_the_chain(trail):
    root, digests, _ = trail
    victim = root / digests[0]
    data = json.loads(gzip.decompress(victim.read_bytes()))
    data["logFiles"] = []
    write_gzip(victim, json.dumps(data).encode())
    changed = [f for f in verify_cloudtrail(str(root)).findings if f.kind == "changed"]
    assert [f.path for f in changed] == [str(victim)]
    assert "previousDigestHashValue" in changed[0].detail


def test_a_digest_without_its_signature_file_is_unsigned(trail):
    root, digests, key_file = trail
    (root / (digests[2] + ".sig")).unlink()
    assert kinds(verify(root, key_file)) == {"unsigned": [str(root / digests[2])]}


def test_a_time_range_skips_older_digests_without_calling_the_chain_broken(trail):
    root, _, key_file = trail
    report = verify(root, key_file, start=FIRST_DIGEST_END + timedelta(minutes=30))
    assert report.ok
    assert report.valid_digests == HOURS - 1


def test_online_public_keys_come_from_list_public_keys_in_each_region(cloudtrail_key):
    class CloudTrailClient:  # the shape boto3 returns: Value is DER bytes
        def list_public_keys(self, StartTime, EndTime):  # boto3's parameter names
            return {"PublicKeyList": [{"Value": der(cloudtrail_key.public_key()),
                                       "Fingerprint": fingerprint(cloudtrail_key.public_key())}]}

    keys = fetch_public_keys({REGION}, FIRST_DIGEST_END, FIRST_DIGEST_END,
                             client_for_region=lambda region: CloudTrailClient())
    assert keys == {fingerprint(cloudtrail_key.public_key()): der(cloudtrail_key.public_key())}


def test_a_folder_without_digests_is_a_clear_error(tmp_path):
    with pytest.raises(VaultlabError, match="no CloudTrail digest files"):
        verify_cloudtrail(str(tmp_path))
    with pytest.raises(VaultlabError, match="is not a folder"):
        verify_cloudtrail(str(tmp_path / "absent"))


# --- the CLI adapter ----------------------------------------------------------------------------

def cli_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(argv)


def test_run_exits_0_when_valid_and_1_on_a_finding(trail, capsys):
    root, digests, key_file = trail
    assert run(cli_args(str(root), "--public-keys", str(key_file))) == 0
    assert "no findings" in capsys.readouterr().out
    (root / listed_logs(root, digests[2])[0]).unlink()
    assert run(cli_args(str(root), "--public-keys", str(key_file), "--format", "json")) == 1
    result = json.loads(capsys.readouterr().out)
    assert (result["ok"], [f["kind"] for f in result["findings"]]) == (False, ["missing"])
    assert run(cli_args(str(root), "--public-keys", str(key_file))) == 1
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["kind", "path", "detail"] and table[2].startswith("missing ")


def test_run_without_keys_exits_1(trail, capsys):
    assert run(cli_args(str(trail[0]))) == 1
    assert "unverified_signature" in capsys.readouterr().out


# --- through S3 (moto server on 127.0.0.1) ----------------------------------------------------------

@pytest.fixture(scope="session")
def aws_endpoint():
    with moto_server() as url:
        yield url


def upload_trail(s3, bucket: str, root: Path) -> None:
    """Put every file as CloudTrail delivers it: a digest's signature goes into its object metadata."""
    s3.create_bucket(Bucket=bucket)
    for path in sorted(root.rglob("*.json.gz")):
        sidecar = path.with_name(path.name + ".sig")
        metadata = {}
        if sidecar.exists():
            metadata = {"signature": sidecar.read_text(), "signature-algorithm": "SHA256withRSA"}
        s3.put_object(Bucket=bucket, Key=path.relative_to(root).as_posix(), Body=path.read_bytes(), Metadata=metadata)


@pytest.fixture
def s3_trail(tmp_path, cloudtrail_key, aws_endpoint, request):
    """(s3 client, bucket, digest keys, key file) of an intact trail delivered under a prefix."""
    root, bucket = tmp_path / "bucket", f"trail-{request.node.name.replace('_', '-')[:40].lower()}"
    digests = write_signed_trail(root, private_key=cloudtrail_key, log_files=hourly_log_files(), bucket=bucket,
                                 digest_times=[FIRST_DIGEST_END + timedelta(hours=h) for h in range(HOURS)],
                                 prefix="security/cloudtrail/")
    s3 = boto3.client("s3", endpoint_url=aws_endpoint, region_name=REGION)
    upload_trail(s3, bucket, root)
    return s3, bucket, digests, write_public_key_file(tmp_path / "keys.json", cloudtrail_key.public_key())


def test_an_intact_chain_in_s3_validates_with_metadata_signatures(s3_trail):
    s3, bucket, _, key_file = s3_trail
    report = verify_cloudtrail(f"s3://{bucket}/security/cloudtrail/", public_key_file=str(key_file), s3_client=s3)
    assert report.findings == []
    assert (report.valid_digests, report.valid_log_files) == (HOURS, HOURS * LOGS_PER_HOUR)


def test_a_tampered_object_in_s3_is_caught(s3_trail):
    s3, bucket, digests, key_file = s3_trail
    digest = json.loads(gzip.decompress(s3.get_object(Bucket=bucket, Key=digests[0])["Body"].read()))
    victim = digest["logFiles"][0]["s3Object"]
    body = gzip.decompress(s3.get_object(Bucket=bucket, Key=victim)["Body"].read()).replace(b"GetSecretValue",
                                                                                              b"PutSecretValue")
    s3.put_object(Bucket=bucket, Key=victim, Body=gzip.compress(body))
    report = verify_cloudtrail(f"s3://{bucket}/security/cloudtrail", public_key_file=str(key_file), s3_client=s3)
    assert kinds(report) == {"changed": [f"s3://{bucket}/{victim}"]}


def test_run_on_s3_uses_the_default_client_and_aws_endpoint_url(s3_trail, aws_endpoint, monkeypatch, capsys):
    _, bucket, _, key_file = s3_trail
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_endpoint)
    assert run(cli_args(f"s3://{bucket}/security/cloudtrail/", "--public-keys", str(key_file))) == 0
    assert "3 digest file(s) and 6 log file(s) valid" in capsys.readouterr().out
    with pytest.raises(VaultlabError, match="cannot list"):
        verify_cloudtrail("s3://no-such-bucket-here/", public_key_file=str(key_file))
