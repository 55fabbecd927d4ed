"""AWS Secrets Manager, live: an inventory snapshot, the resource policies and the facts the
inventory file format has no column for, read with boto3 and never a secret value.

Calls made, per region: ListSecrets (paginated, IncludePlannedDeletion), then per secret
DescribeSecret, ListSecretVersionIds and GetResourcePolicy; once per run STS
GetCallerIdentity (checks the credentials, names the account) and, when no region is named,
EC2 DescribeRegions. GetSecretValue and BatchGetSecretValue are refused by a hook on every
client this module makes, so a mistake here fails loudly instead of reading a value.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from datetime import datetime, timezone

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)
from tqdm import tqdm

from vaultlab.config import KINDS
from vaultlab.errors import VaultlabError
from vaultlab.snapshots.collected import Collected
from vaultlab.snapshots.inventory import KIND_ALIASES, canonical_secret_id

# the operations that return a secret value: never called, and refused if ever attempted
VALUE_OPERATIONS = frozenset({"GetSecretValue", "BatchGetSecretValue"})
DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"})
BAD_CREDENTIALS = frozenset({"InvalidClientTokenId", "UnrecognizedClientException", "ExpiredToken",
                             "ExpiredTokenException", "SignatureDoesNotMatch", "InvalidSignatureException",
                             "RequestExpired", "AuthFailure"})
ENABLED = frozenset({"opt-in-not-required", "opted-in"})
RATE = re.compile(r"^rate\(\s*(\d+)\s+(day|days|hour|hours)\s*\)$")
# tag keys, case-insensitive, the vaultlab: one first
TAGS = {"kind": ("vaultlab:kind", "kind"), "owner": ("vaultlab:owner", "owner"),
        "environment": ("vaultlab:environment", "environment", "env")}
CLIENT_CONFIG = Config(retries={"mode": "standard"}, user_agent_extra="vaultlab")
# all the collector needs (sts:GetCallerIdentity needs no permission); no value-reading action
MINIMAL_IAM_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "VaultlabSecretsManagerMetadata", "Effect": "Allow", "Resource": "*",
    "Action": ["secretsmanager:ListSecrets", "secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds",
               "secretsmanager:GetResourcePolicy", "ec2:DescribeRegions"]}]}
PERMISSIONS = ", ".join(MINIMAL_IAM_POLICY["Statement"][0]["Action"][:4])


class CallLog:
    """Counts the API calls of the clients it is attached to, by operation name, and refuses the
    operations that return secret values. Registered first on `before-call.*.*`, the hook runs
    before every other before-call handler (a Stubber's included), so nothing answers first."""

    def __init__(self) -> None:
        self.operations: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.operations.values())

    def attach(self, client):
        client.meta.events.register_first("before-call.*.*", self._before_call)
        return client

    def _before_call(self, model, **_) -> None:
        self.operations[model.name] += 1
        if model.name in VALUE_OPERATIONS:
            raise VaultlabError(f"vaultlab never reads secret values; {model.name} was refused")


def _client(session: boto3.Session, service: str, region: str, calls: CallLog):
    """A client with the call log attached (endpoints from the usual config: AWS_ENDPOINT_URL too)."""
    return calls.attach(session.client(service, region_name=region, config=CLIENT_CONFIG))


def collect_aws(regions: list[str] | None = None, *, profile: str | None = None,
                session: boto3.Session | None = None, progress: bool | None = None) -> Collected:
    """Collect the Secrets Manager inventory of `regions` (default: every region enabled in the
    account, from EC2 DescribeRegions, which moto serves too; the Account API's ListRegions is
    not in moto). Credentials come from `session`, else the standard chain for `profile`
    (environment, shared config and credentials files, SSO, container and instance roles).

    Row fields: `last_rotated_at` is LastRotatedDate when rotation is enabled, because then the
    service's own record of its last rotation is the evidence (it is what CloudTrail's
    RotationSucceeded shows too); with rotation off, LastRotatedDate is empty and the only
    change of value is a new AWSCURRENT version, so its CreatedDate is used (also the fallback
    when rotation is on but has not yet run). `rotation_days` is AutomaticallyAfterDays (which
    AWS also computes for cron schedules), else a `rate(N days|hours)` ScheduleExpression, and
    only while rotation is enabled: a disabled schedule is not a promise, so the kind's interval
    applies. `last_accessed_at` is LastAccessedDate, which AWS keeps to the day (taken as that
    UTC day). Secrets scheduled for deletion and replicas (whose primary is another region) are
    not live inventory rows: they are in the facts "secrets" (with deleted_date) and
    "replicas_skipped". Resource policies are keyed by the ARN without its random suffix (the
    inventory's secret_id), their JSON re-serialised with sorted keys, one member per line, so
    that policy_drift's line diff shows what changed.

    `progress`: a bar on stderr (None: only on a terminal). Raises VaultlabError when the
    credentials are missing or rejected, a region is unknown, or no region could be listed; a
    region or a secret that cannot be read is a gap in the result instead.
    """
    if session is not None and profile is not None:
        raise VaultlabError("give an AWS profile or a session, not both")
    try:
        session = session or boto3.Session(profile_name=profile)
    except ProfileNotFound:
        raise VaultlabError(f"AWS profile {profile!r} is not configured; "
                            "`aws configure list-profiles` lists the ones that are") from None
    calls = CallLog()
    regions = _check_regions(session, regions) if regions else None
    home = (regions or [None])[0] or session.region_name or "us-east-1"
    account = _caller_account(session, home, profile, calls)
    regions = regions or _enabled_regions(session, home, calls)
    collected = Collected(store="aws", source=f"{account} {','.join(regions)}")
    facts: dict[str, list[dict]] = {"secrets": [], "regions": [], "replicas_skipped": []}
    failures = [failure for region in regions
                if (failure := _collect_region(_client(session, "secretsmanager", region, calls), region,
                                               collected, facts, progress))]
    if len(failures) == len(regions):
        raise VaultlabError(_nothing_listed(failures))
    collected.facts = {**{k: v for k, v in facts.items() if v},
                       "api_calls": [{"name": op, "calls": n} for op, n in sorted(calls.operations.items())]}
    collected.requests = calls.total
    return collected


def _collect_region(client, region: str, collected: Collected, facts: dict,
                    progress: bool | None) -> tuple[str, bool, str] | None:
    """Read one region into `collected`; returns (region, denied, reason) if it cannot be listed."""
    try:
        entries = _list_secrets(client)
    except (ClientError, BotoCoreError) as err:
        reason = _reason("ListSecrets", err)
        collected.gaps.append({"path": region, "reason": f"{reason}: this region's secrets are not in the inventory"})
        facts["regions"].append({"name": region, "status": "unreadable", "listed": 0, "inventoried": 0,
                                 "pending_deletion": 0, "replicas_skipped": 0})
        return region, _denied(err), reason
    counts: Counter[str] = Counter()
    for entry in tqdm(entries, desc=f"aws {region}", unit="secret", leave=False,
                      disable=None if progress is None else not progress):  # None: only on a terminal
        counts[_collect_secret(client, region, entry, collected, facts)] += 1
    facts["regions"].append({"name": region, "status": "ok", "listed": len(entries), "inventoried": counts["live"],
                             "pending_deletion": counts["deleted"], "replicas_skipped": counts["replica"]})
    return None


def _caller_account(session: boto3.Session, region: str, profile: str | None, calls: CallLog) -> str:
    """The account the credentials belong to; the first call, so credential problems surface here."""
    fix = f"run `aws sso login{f' --profile {profile}' if profile else ''}` or refresh the credentials"
    try:
        return _client(session, "sts", region, calls).get_caller_identity()["Account"]
    except (NoCredentialsError, PartialCredentialsError):
        raise VaultlabError("no AWS credentials found: pass --profile, set AWS_PROFILE, run `aws sso login`, "
                            "or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") from None
    except (SSOError, TokenRetrievalError) as err:
        raise VaultlabError(f"the AWS SSO session cannot be used ({type(err).__name__}): {fix}") from None
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "")
        if code in BAD_CREDENTIALS:
            raise VaultlabError(f"AWS rejected the credentials ({code}): {fix}") from None
        raise VaultlabError(f"AWS STS GetCallerIdentity failed ({code}): check the credentials and the "
                            "network, then retry") from None
    except BotoCoreError as err:  # endpoint unreachable, a broken credential process, ...
        raise VaultlabError(f"cannot reach AWS to check the credentials: {err}") from None


def _check_regions(session: boto3.Session, regions: list[str]) -> list[str]:
    known = {r for p in session.get_available_partitions()
             for r in session.get_available_regions("secretsmanager", partition_name=p)}
    unknown = [r for r in regions if r not in known]
    if unknown:
        raise VaultlabError(f"unknown AWS region {', '.join(map(repr, unknown))}: give a region code such as "
                            "us-east-1 (a region newer than this botocore needs `pip install -U boto3`)")
    return list(dict.fromkeys(regions))


def _enabled_regions(session: boto3.Session, region: str, calls: CallLog) -> list[str]:
    try:
        found = _client(session, "ec2", region, calls).describe_regions(AllRegions=False)["Regions"]
    except (ClientError, BotoCoreError) as err:
        raise VaultlabError(f"cannot list the account's regions ({_reason('ec2:DescribeRegions', err)}): "
                            "name them with --region, or grant ec2:DescribeRegions") from None
    # AllRegions=False already leaves out regions not opted in; moto ignores it, so filter again
    return sorted(r["RegionName"] for r in found if r.get("OptInStatus", "opt-in-not-required") in ENABLED)


def _list_secrets(client) -> list[dict]:
    pages = client.get_paginator("list_secrets").paginate(IncludePlannedDeletion=True)
    return [entry for page in pages for entry in page.get("SecretList", [])]


def _collect_secret(client, region: str, entry: dict, collected: Collected, facts: dict) -> str:
    """Read one secret into `collected`; returns what it was: live, deleted, replica or gone."""
    arn = entry["ARN"]
    primary = entry.get("PrimaryRegion")
    if primary and primary != region:  # a replica: its primary region lists the secret
        facts["replicas_skipped"].append({"name": canonical_secret_id(entry["Name"], "aws", {"arn": arn}),
                                          "arn": arn, "region": region, "primary_region": primary})
        return "replica"
    try:
        secret = client.describe_secret(SecretId=arn)
    except ClientError as err:
        if _code(err) == "ResourceNotFoundException":
            collected.gaps.append({"path": arn, "reason": "deleted while it was being collected"})
            return "gone"
        collected.gaps.append({"path": arn, "reason": f"{_reason('DescribeSecret', err)}: "
                                                      "its row is built from the ListSecrets entry"})
        secret = entry
    deleted = secret.get("DeletedDate")
    versions = None if deleted else _versions(client, arn, collected)
    facts["secrets"].append(_secret_fact(secret, region, versions))
    if deleted:  # scheduled for deletion: not live, so not an inventory row
        return "deleted"
    collected.secrets.append(_inventory_row(secret, region, versions))
    policy = _policy(client, arn, collected)
    if policy is not None:
        collected.policies[canonical_secret_id(secret["Name"], "aws", {"arn": arn})] = policy
    return "live"


def _secret_fact(secret: dict, region: str, versions: list[dict] | None) -> dict:
    rules = secret.get("RotationRules") or {}
    rotation_on = bool(secret.get("RotationEnabled"))
    rotation_days, rotation_note = _rotation_days(rules) if rotation_on else (None, None)
    fact = {"name": canonical_secret_id(secret["Name"], "aws", {"arn": secret["ARN"]}), "arn": secret["ARN"],
            "secret_name": secret["Name"], "region": region, "rotation_enabled": rotation_on,
            "rotation_lambda": secret.get("RotationLambdaARN") or None, "rotation_days": rotation_days,
            "schedule_expression": rules.get("ScheduleExpression"),
            "next_rotation": _iso(secret.get("NextRotationDate")), "deleted_date": _iso(secret.get("DeletedDate")),
            "primary_region": secret.get("PrimaryRegion") or region,
            "replica_regions": sorted(r["Region"] for r in secret.get("ReplicationStatus") or []),
            "kms_key_id": secret.get("KmsKeyId"), "owning_service": secret.get("OwningService"),
            "versions": None if versions is None else len(versions)}
    notes = [n for n in (rotation_note, _kind(_tags(secret))[1]) if n]
    return {**fact, "notes": notes} if notes else fact


def _inventory_row(secret: dict, region: str, versions: list[dict] | None) -> dict:
    """A row in the inventory file format; see collect_aws for the choice of dates."""
    current = next((v for v in versions or [] if "AWSCURRENT" in v.get("VersionStages", [])), None)
    value_changed = _utc(current.get("CreatedDate")) if current else None
    rotation_on = bool(secret.get("RotationEnabled"))
    last_rotated = (_utc(secret.get("LastRotatedDate")) or value_changed) if rotation_on else value_changed
    rotation_days = _rotation_days(secret.get("RotationRules") or {})[0] if rotation_on else None
    accessed = _utc(secret.get("LastAccessedDate"))
    tags = _tags(secret)
    return {"name": secret["Name"], "arn": secret["ARN"], "region": region, "account": secret["ARN"].split(":")[4],
            "store": "aws", "kind": _kind(tags)[0], "owner": _tag(tags, "owner"),
            "environment": _tag(tags, "environment"), "created_at": _iso(secret.get("CreatedDate")),
            "last_rotated_at": _iso(last_rotated),
            "last_accessed_at": _iso(accessed.replace(hour=0, minute=0, second=0, microsecond=0) if accessed else None),
            "rotation_days": rotation_days, "expires_at": None}


def _versions(client, arn: str, collected: Collected) -> list[dict] | None:
    versions, token = [], None
    try:
        while True:
            page = client.list_secret_version_ids(SecretId=arn, **({"NextToken": token} if token else {}))
            versions += page.get("Versions", [])
            token = page.get("NextToken")
            if not token:
                return versions
    except ClientError as err:
        collected.gaps.append({"path": arn, "reason": f"{_reason('ListSecretVersionIds', err)}: "
                                                      "the date of its current value is unknown"})
        return None


def _policy(client, arn: str, collected: Collected) -> str | None:
    try:
        text = client.get_resource_policy(SecretId=arn).get("ResourcePolicy")
    except ClientError as err:
        collected.gaps.append({"path": arn, "reason": f"{_reason('GetResourcePolicy', err)}: "
                                                      "its resource policy is not in the snapshot"})
        return None
    if not text:
        return None
    try:
        return json.dumps(json.loads(text), sort_keys=True, indent=2)
    except ValueError:  # not JSON (AWS validates it, so unlikely): keep the text as it is
        return text


def _rotation_days(rules: dict) -> tuple[int | None, str | None]:
    if rules.get("AutomaticallyAfterDays"):
        return int(rules["AutomaticallyAfterDays"]), None
    expression = (rules.get("ScheduleExpression") or "").strip()
    match = RATE.match(expression)
    if match:
        n, unit = int(match[1]), match[2]
        return (n if unit.startswith("day") else max(1, math.ceil(n / 24))), None
    if expression:
        return None, (f"rotation schedule {expression} gives no fixed interval: "
                      "rotation_days left empty, the kind's interval applies")
    return None, None


def _kind(tags: dict) -> tuple[str, str | None]:
    value = _tag(tags, "kind")
    if value is None:
        return "other", None
    kind = KIND_ALIASES.get(value.lower(), value.lower())
    if kind in KINDS:
        return kind, None
    return "other", f"kind tag {value!r} is not a known kind ({', '.join(KINDS)}): taken as other"


def _tags(secret: dict) -> dict[str, str]:
    return {t["Key"].lower(): t.get("Value", "") for t in secret.get("Tags") or []}


def _tag(tags: dict, field: str) -> str | None:
    return next((tags[k].strip() for k in TAGS[field] if tags.get(k, "").strip()), None)


def _utc(value) -> datetime | None:
    return value.astimezone(timezone.utc) if isinstance(value, datetime) else None


def _iso(value) -> str | None:
    value = _utc(value)
    return value.isoformat() if value else None


def _code(err: Exception) -> str:
    return err.response.get("Error", {}).get("Code", "") if isinstance(err, ClientError) else type(err).__name__


def _denied(err: Exception) -> bool:
    """Access denied: by its code, or by its status where the error body has no code (moto's)."""
    code = _code(err)
    return code in DENIED or (isinstance(err, ClientError) and code not in BAD_CREDENTIALS
                              and err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 403)


def _reason(operation: str, err: Exception) -> str:
    code = _code(err)
    if _denied(err):
        return f"{operation} denied ({code})"
    if code in BAD_CREDENTIALS:  # after STS accepted them: the region is not enabled for the account
        return f"{operation} rejected the credentials ({code}); is the region enabled for the account?"
    return f"{operation} failed ({code})"


def _nothing_listed(failures: list[tuple[str, bool, str]]) -> str:
    where = "; ".join(f"{region}: {reason}" for region, _, reason in failures)
    if all(denied for _, denied, _ in failures):
        return f"access denied to Secrets Manager in every region ({where}): grant {PERMISSIONS}"
    return f"no region could be listed ({where}): check the regions and the network, then retry"
