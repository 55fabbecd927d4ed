"""The AWS Secrets Manager collector against moto in server mode on 127.0.0.1: the rows, policies
and facts it returns, what the warehouse makes of them, the errors and gaps, and that it never
asks for a secret value. A Stubber stands in only where moto cannot: LastAccessedDate,
ScheduleExpression, and a denial that hits one region only (moto's IAM ignores Resource and
Condition, so it can deny an action everywhere but not in one region)."""

import io
import json
import urllib.request
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import boto3
import pytest
from aws_server import moto_server
from botocore.stub import Stubber
from conftest import rows
from moto.core.authorization import ActionAuthenticatorMixin

from vaultlab import Warehouse
from vaultlab.collect.aws import MINIMAL_IAM_POLICY, VALUE_OPERATIONS, CallLog, _client, collect_aws
from vaultlab.errors import VaultlabError
from vaultlab.period import parse_period
from vaultlab.snapshots.collected import store_collected
from vaultlab.snapshots.inventory import canonical_secret_id

REGIONS = ["us-east-1", "eu-west-1"]
ACCOUNT = "123456789012"  # moto's
DB_POLICY = {"Version": "2012-10-17",
             "Statement": [{"Sid": "app", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/payments-app"}, "Resource": "*"}]}
# the same document as the collector keeps it: sorted keys, one member per line
DB_POLICY_TEXT = """{
  "Statement": [
    {
      "Action": "secretsmanager:GetSecretValue",
      "Effect": "Allow",
      "Principal": {
        "AWS": "arn:aws:iam::123456789012:role/payments-app"
      },
      "Resource": "*",
      "Sid": "app"
    }
  ],
  "Version": "2012-10-17"
}"""
CRM_POLICY = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:DeleteSecret",
                             "Resource": "*"}], "Version": "2012-10-17"}


@dataclass
class Estate:
    url: str
    started: datetime  # moto stamps every date with its clock: they fall between these two
    arns: dict[str, str] = field(default_factory=dict)  # secret name -> ARN (random suffix included)
    rotator: str = ""

    def secret_id(self, name: str, region: str | None = None) -> str:
        """The inventory's key: the ARN without its -XXXXXX (in `region` for a replica)."""
        arn = self.arns[name] if region is None else self.arns[name].replace(":us-east-1:", f":{region}:")
        return canonical_secret_id(name, "aws", {"arn": arn})


def _moto_api(url: str, path: str, body: bytes | None = None) -> dict:
    # a typed body: as a form (urllib's default type), Flask would not pass it on to moto
    request = urllib.request.Request(f"{url}/moto-api/{path}", data=body, method="POST" if body is not None else "GET",
                                     headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(request) as response:
        text = response.read()
    return json.loads(text) if text else {}


def _rotation_lambda(region: str) -> str:
    role = boto3.client("iam", region_name=region).create_role(
        RoleName="rotator", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("rotate.py", "def handler(event, context):\n    return None\n")
    return boto3.client("lambda", region_name=region).create_function(
        FunctionName="rotator", Runtime="python3.12", Role=role, Handler="rotate.handler",
        Code={"ZipFile": code.getvalue()})["FunctionArn"]


@pytest.fixture(scope="module")
def aws():
    """Secrets in two regions: tagged, with policies, one rotating through a Lambda, one pending
    deletion, one replicated; every client reaches moto through AWS_ENDPOINT_URL."""
    with moto_server() as url, pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL", url)
        lambda_config = _moto_api(url, "config").get("lambda", {"use_docker": True})
        # Lambda without Docker: the rotation function is registered and "invoked", not run
        _moto_api(url, "config", json.dumps({"lambda": {"use_docker": False}}).encode())
        estate = Estate(url, datetime.now(timezone.utc).replace(microsecond=0))
        try:
            east = boto3.client("secretsmanager", region_name="us-east-1")
            west = boto3.client("secretsmanager", region_name="eu-west-1")
            made = [
                east.create_secret(Name="prod/payments/db", SecretString="never-read-1", Tags=[
                    {"Key": "kind", "Value": "database"}, {"Key": "owner", "Value": "payments"},
                    {"Key": "environment", "Value": "prod"}]),
                east.create_secret(Name="prod/web/api-key", SecretString="never-read-2", Tags=[
                    {"Key": "vaultlab:kind", "Value": "api_key"}, {"Key": "Owner", "Value": "web"}],
                    AddReplicaRegions=[{"Region": "eu-west-1"}]),
                east.create_secret(Name="old/deploy-key", SecretString="never-read-3",
                                   Tags=[{"Key": "kind", "Value": "ssh"}]),
                west.create_secret(Name="eu/crm/oauth", SecretString="never-read-4", Tags=[
                    {"Key": "Kind", "Value": "oauth"}, {"Key": "env", "Value": "staging"}]),
                west.create_secret(Name="eu/misc", SecretString="never-read-5",
                                   Tags=[{"Key": "kind", "Value": "banana"}]),
            ]
            estate.arns = {m["Name"]: m["ARN"] for m in made}
            east.put_resource_policy(SecretId="prod/payments/db", ResourcePolicy=json.dumps(DB_POLICY))
            west.put_resource_policy(SecretId="eu/crm/oauth", ResourcePolicy=json.dumps(CRM_POLICY, indent=4))
            estate.rotator = _rotation_lambda("us-east-1")
            east.rotate_secret(SecretId="prod/payments/db", RotationLambdaARN=estate.rotator,
                               RotationRules={"AutomaticallyAfterDays": 30})
            east.delete_secret(SecretId="old/deploy-key", RecoveryWindowInDays=7)
            yield estate
        finally:
            # moto's backends are per process, shared with other modules' servers: remove only ours
            try:
                _remove_estate(estate)
            finally:
                _moto_api(url, "config", json.dumps({"lambda": lambda_config}).encode())


def _remove_estate(estate: Estate) -> None:
    for name, arn in estate.arns.items():
        client = boto3.client("secretsmanager", region_name=arn.split(":")[3])
        if name == "prod/web/api-key":
            client.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-1"])
        client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    if estate.rotator:
        boto3.client("lambda", region_name="us-east-1").delete_function(FunctionName="rotator")
        boto3.client("iam", region_name="us-east-1").delete_role(RoleName="rotator")


def _now_like(value: str | None, estate: Estate, *, days: int = 0) -> str | None:
    """"now" ("now+Nd"), once `value` is checked to be a date moto stamped during this module
    (`days` on): moto dates everything with its clock, and lists a version's date as the time
    of the listing."""
    if value is None:
        return None
    stamped = datetime.fromisoformat(value)
    low = estate.started + timedelta(days=days)
    assert low <= stamped <= datetime.now(timezone.utc) + timedelta(days=days, seconds=1), value
    return f"now+{days}d" if days else "now"


def _rows_for(collected, estate) -> list[dict]:
    return sorted(({**r, "created_at": _now_like(r["created_at"], estate),
                    "last_rotated_at": _now_like(r["last_rotated_at"], estate)} for r in collected.secrets),
                  key=lambda r: r["name"])


def _row(estate, name, region, kind, owner=None, environment=None, rotation_days=None) -> dict:
    return {"name": name, "arn": estate.arns[name],
            "region": region, "account": ACCOUNT, "store": "aws", "kind": kind, "owner": owner,
            "environment": environment, "created_at": "now", "last_rotated_at": "now", "last_accessed_at": None,
            "rotation_days": rotation_days, "expires_at": None}


def _secret_fact(estate, name, region, **changes) -> dict:
    fact = {"name": estate.secret_id(name), "arn": estate.arns[name], "secret_name": name, "region": region,
            "rotation_enabled": False, "rotation_lambda": None, "rotation_days": None,
            "schedule_expression": None, "next_rotation": None, "deleted_date": None, "primary_region": region,
            "replica_regions": [], "kms_key_id": None, "owning_service": None, "versions": 1}
    return {**fact, **changes}


def test_collect_two_regions_exactly(aws):
    before = ActionAuthenticatorMixin.request_count  # moto counts every request it serves
    collected = collect_aws(REGIONS)
    served = ActionAuthenticatorMixin.request_count - before

    assert collected.store == "aws" and collected.source == f"{ACCOUNT} us-east-1,eu-west-1"
    assert _rows_for(collected, aws) == [
        _row(aws, "eu/crm/oauth", "eu-west-1", "oauth-secret", environment="staging"),
        _row(aws, "eu/misc", "eu-west-1", "other"),
        _row(aws, "prod/payments/db", "us-east-1", "database", "payments", "prod", rotation_days=30),
        _row(aws, "prod/web/api-key", "us-east-1", "api-key", "web"),
    ]
    assert collected.policies == {aws.secret_id("prod/payments/db"): DB_POLICY_TEXT,
                                  aws.secret_id("eu/crm/oauth"): json.dumps(CRM_POLICY, sort_keys=True, indent=2)}
    assert collected.gaps == []

    facts = collected.facts
    secrets = {f["secret_name"]: {**f, "next_rotation": _now_like(f["next_rotation"], aws, days=30),
                                  "deleted_date": _now_like(f["deleted_date"], aws, days=7)}
               for f in facts["secrets"]}
    assert secrets == {
        "prod/payments/db": _secret_fact(aws, "prod/payments/db", "us-east-1", rotation_enabled=True,
                                         rotation_lambda=aws.rotator, rotation_days=30, next_rotation="now+30d",
                                         versions=2),  # AWSCURRENT and the rotation's AWSPENDING
        "prod/web/api-key": _secret_fact(aws, "prod/web/api-key", "us-east-1", replica_regions=["eu-west-1"]),
        "old/deploy-key": _secret_fact(aws, "old/deploy-key", "us-east-1", deleted_date="now+7d", versions=None),
        "eu/crm/oauth": _secret_fact(aws, "eu/crm/oauth", "eu-west-1"),
        "eu/misc": _secret_fact(aws, "eu/misc", "eu-west-1", notes=[
            ("kind tag 'banana' is not a known kind (database, password, api-key, ssh-key, encryption-key, "
             "oauth-secret, service-token, tls-certificate, other): taken as other")]),
    }
    replica_arn = aws.arns["prod/web/api-key"].replace("us-east-1", "eu-west-1")
    assert facts["replicas_skipped"] == [{"name": aws.secret_id("prod/web/api-key", "eu-west-1"),
                                          "arn": replica_arn, "region": "eu-west-1",
                                          "primary_region": "us-east-1"}]
    assert facts["regions"] == [
        {"name": "us-east-1", "status": "ok", "listed": 3, "inventoried": 2, "pending_deletion": 1,
         "replicas_skipped": 0},
        {"name": "eu-west-1", "status": "ok", "listed": 3, "inventoried": 2, "pending_deletion": 0,
         "replicas_skipped": 1}]
    calls = {f["name"]: f["calls"] for f in facts["api_calls"]}
    assert calls == {"GetCallerIdentity": 1, "ListSecrets": 2, "DescribeSecret": 5, "ListSecretVersionIds": 4,
                     "GetResourcePolicy": 4}
    assert not VALUE_OPERATIONS & set(calls)
    # every request moto served went through the call log: none bypassed it
    assert collected.requests == sum(calls.values()) == served


def test_a_value_read_would_be_seen_and_is_refused(aws):
    """The call log that proves the collector's innocence does see a GetSecretValue, and stops it
    before it leaves the client."""
    calls = CallLog()
    client = _client(boto3.Session(), "secretsmanager", "us-east-1", calls)
    before = ActionAuthenticatorMixin.request_count
    with pytest.raises(VaultlabError, match="never reads secret values; GetSecretValue was refused"):
        client.get_secret_value(SecretId="prod/payments/db")
    with pytest.raises(VaultlabError, match="BatchGetSecretValue was refused"):
        client.batch_get_secret_value(SecretIdList=["prod/payments/db"])
    assert calls.operations == {"GetSecretValue": 1, "BatchGetSecretValue": 1}
    assert ActionAuthenticatorMixin.request_count == before  # nothing reached the server


def _period(as_of: date):
    return parse_period(start=(as_of - timedelta(days=120)).isoformat(), as_of=as_of.isoformat())


def test_warehouse_views_and_policy_drift(aws, tmp_path):
    wh = Warehouse(tmp_path / "w.duckdb")
    first = collect_aws(REGIONS)
    store_collected(wh, first, policies=True, baseline=True)
    ids = {name: aws.secret_id(name) for name in aws.arns}
    today = datetime.now(timezone.utc).date()

    assert rows(wh, "select secret_id, store, name, kind, owner, environment, rotation_days, last_accessed_at "
                    "from secrets order by secret_id", period=_period(today)) == [
        {"secret_id": ids["eu/crm/oauth"], "store": "aws", "name": "eu/crm/oauth", "kind": "oauth-secret",
         "owner": None, "environment": "staging", "rotation_days": None, "last_accessed_at": None},
        {"secret_id": ids["eu/misc"], "store": "aws", "name": "eu/misc", "kind": "other",
         "owner": None, "environment": None, "rotation_days": None, "last_accessed_at": None},
        {"secret_id": ids["prod/payments/db"], "store": "aws", "name": "prod/payments/db", "kind": "database",
         "owner": "payments", "environment": "prod", "rotation_days": 30, "last_accessed_at": None},
        {"secret_id": ids["prod/web/api-key"], "store": "aws", "name": "prod/web/api-key", "kind": "api-key",
         "owner": "web", "environment": None, "rotation_days": None, "last_accessed_at": None},
    ]

    # 80 days on: the 30-day database is 50 days overdue, the 90-day kinds are due within 14 days
    as_of = today + timedelta(days=80)
    status = {r["secret_id"]: r for r in rows(wh, "select * from rotation_status", period=_period(as_of))}
    assert {k: (r["status"], r["rotation_days"], r["rotation_seen_in"]) for k, r in status.items()} == {
        ids["prod/payments/db"]: ("overdue", 30, "inventory"),
        ids["prod/web/api-key"]: ("due_soon", 90, "inventory"),
        ids["eu/crm/oauth"]: ("due_soon", 90, "inventory"),
        ids["eu/misc"]: ("due_soon", 90, "inventory"),
    }
    rotated = datetime.fromisoformat(next(r for r in first.secrets if r["name"] == "prod/payments/db")
                                     ["last_rotated_at"]).date()
    assert status[ids["prod/payments/db"]]["days_overdue"] == (as_of - (rotated + timedelta(days=30))).days

    # moto keeps no LastAccessedDate: nothing was ever read, so all four are orphans once 90 days old
    assert rows(wh, "select * from orphaned_secrets", period=_period(as_of)) == []
    later = today + timedelta(days=100)
    assert sorted((r["secret_id"], r["reason"]) for r in rows(wh, "select * from orphaned_secrets",
                                                              period=_period(later))) == sorted(
        (ids[n], "never read") for n in ("prod/payments/db", "prod/web/api-key", "eu/crm/oauth", "eu/misc"))
    assert rows(wh, "select * from policy_drift", period=_period(today + timedelta(days=1))) == []

    # one resource policy changes; the next collection shows it against the baseline
    changed = {**DB_POLICY, "Statement": [{**DB_POLICY["Statement"][0],
                                           "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}]}
    boto3.client("secretsmanager", region_name="us-east-1").put_resource_policy(
        SecretId="prod/payments/db", ResourcePolicy=json.dumps(changed))
    try:
        store_collected(wh, collect_aws(REGIONS), policies=True)
        drift = rows(wh, "select policy, change, diff from policy_drift", period=_period(today + timedelta(days=1)))
    finally:
        boto3.client("secretsmanager", region_name="us-east-1").put_resource_policy(
            SecretId="prod/payments/db", ResourcePolicy=json.dumps(DB_POLICY))
    assert drift == [{"policy": ids["prod/payments/db"], "change": "modified",
                      "diff": f'-         "AWS": "arn:aws:iam::{ACCOUNT}:role/payments-app"\n'
                              f'+         "AWS": "arn:aws:iam::{ACCOUNT}:root"'}]
    runs = rows(wh, "select store, source, secrets, policies, gaps, requests from collect_runs order by taken_at")
    assert runs == [{"store": "aws", "source": f"{ACCOUNT} us-east-1,eu-west-1", "secrets": 4, "policies": 2,
                     "gaps": 0, "requests": 16}] * 2
    wh.close()


def test_all_enabled_regions_when_none_are_named(aws):
    enabled = sorted(r["RegionName"] for r in boto3.client("ec2", region_name="us-east-1").describe_regions()["Regions"]
                     if r["OptInStatus"] != "not-opted-in")
    collected = collect_aws()
    assert [f["name"] for f in collected.facts["regions"]] == enabled
    assert "ap-east-1" not in enabled and {"us-east-1", "eu-west-1"} <= set(enabled)  # moto: opt-in regions off
    assert sorted(r["name"] for r in collected.secrets) == ["eu/crm/oauth", "eu/misc", "prod/payments/db",
                                                            "prod/web/api-key"]
    calls = {f["name"]: f["calls"] for f in collected.facts["api_calls"]}
    assert calls["DescribeRegions"] == 1 and calls["ListSecrets"] == len(enabled)
    # the policy a user is told to grant covers exactly what the collector calls
    needed = {("ec2:" if op == "DescribeRegions" else "secretsmanager:") + op for op in calls if op != "GetCallerIdentity"}
    assert set(MINIMAL_IAM_POLICY["Statement"][0]["Action"]) == needed


def test_list_secrets_is_paginated(aws):
    client = boto3.client("secretsmanager", region_name="ap-southeast-2")
    for n in range(101):  # moto's page holds 100
        client.create_secret(Name=f"bulk/{n:03}", SecretString="x")
    try:
        collected = collect_aws(["ap-southeast-2"])
        assert len(collected.secrets) == 101
        assert {f["name"]: f["calls"] for f in collected.facts["api_calls"]}["ListSecrets"] == 2
    finally:
        for n in range(101):
            client.delete_secret(SecretId=f"bulk/{n:03}", ForceDeleteWithoutRecovery=True)


@contextmanager
def iam_enforced(url: str):
    """moto checks every request's keys and IAM policies while the block runs."""
    previous = _moto_api(url, "reset-auth", b"0")["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"]
    try:
        yield
    finally:
        _moto_api(url, "reset-auth", previous.encode())


@contextmanager
def iam_user(url: str, deny: list[str]):
    """A session for an IAM user allowed everything but `deny`, with moto enforcing IAM."""
    iam = boto3.client("iam", region_name="us-east-1")
    name = "collector-" + "-".join(a.split(":")[1].lower() for a in deny)
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": deny, "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    session = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                            region_name="us-east-1")
    try:
        with iam_enforced(url):
            yield session
    finally:
        iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        iam.delete_user_policy(UserName=name, PolicyName="p")
        iam.delete_user(UserName=name)


def test_denied_describe_and_policy_are_gaps_not_an_abort(aws):
    with iam_user(aws.url, ["secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"]) as session:
        collected = collect_aws(REGIONS, session=session)
    # the rows come from the ListSecrets entries instead
    assert _rows_for(collected, aws) == _rows_for(collect_aws(REGIONS), aws)
    assert collected.policies == {}
    live = ["prod/payments/db", "prod/web/api-key", "eu/crm/oauth", "eu/misc"]
    assert sorted((g["path"], g["reason"]) for g in collected.gaps) == sorted(
        [(aws.arns[n], "DescribeSecret denied (403): its row is built from the ListSecrets entry")
         for n in live + ["old/deploy-key"]]
        + [(aws.arns[n], "GetResourcePolicy denied (403): its resource policy is not in the snapshot") for n in live])


def test_denied_everywhere_is_an_error(aws):
    denied = (r"^access denied to Secrets Manager in every region \(us-east-1: ListSecrets denied \(403\); "
              r"eu-west-1: .*\): grant secretsmanager:ListSecrets, ")
    with iam_user(aws.url, ["secretsmanager:ListSecrets"]) as session, pytest.raises(VaultlabError, match=denied):
        collect_aws(REGIONS, session=session)


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_errors_say_what_to_do(aws, no_credentials):
    with pytest.raises(VaultlabError, match="^no AWS credentials found: pass --profile, set AWS_PROFILE"):
        collect_aws(REGIONS)
    with pytest.raises(VaultlabError, match="^AWS profile 'audit' is not configured; `aws configure list-profiles`"):
        collect_aws(REGIONS, profile="audit")
    with pytest.raises(VaultlabError, match="^give an AWS profile or a session, not both"):
        collect_aws(REGIONS, profile="audit", session=boto3.Session())
    with pytest.raises(VaultlabError, match="^unknown AWS region 'mars-north-1': give a region code such as us-east-1"):
        collect_aws(["us-east-1", "mars-north-1"])
    session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x", region_name="us-east-1")
    rejected = r"^AWS rejected the credentials \(InvalidClientTokenId\): run `aws sso login` or refresh"
    with iam_enforced(aws.url), pytest.raises(VaultlabError, match=rejected):  # moto checks keys: these are no one's
        collect_aws(REGIONS, session=session)


# --- what moto does not fill: a Stubber answers ---------------------------------------------------


class StubbedSession(boto3.Session):
    """A session whose clients answer from a script, one Stubber per (service, region)."""

    def __init__(self, script: dict[tuple[str, str], list[tuple]]):
        super().__init__(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="x", region_name="us-west-2")
        self.script, self.stubbers = script, []

    def client(self, service_name, region_name=None, **kwargs):
        client = super().client(service_name, region_name=region_name, **kwargs)
        stubber = Stubber(client)
        for method, answer, params in self.script.pop((service_name, region_name)):
            if isinstance(answer, str):
                stubber.add_client_error(method, service_error_code=answer, http_status_code=400,
                                         expected_params=params)
            else:
                stubber.add_response(method, answer, params)
        stubber.activate()
        self.stubbers.append(stubber)
        return client


def _utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


STUB_ACCOUNT = "111122223333"
REPORTS = f"arn:aws:secretsmanager:us-west-2:{STUB_ACCOUNT}:secret:team/reports-db-Ab12Cd"
LEGACY = f"arn:aws:secretsmanager:us-west-2:{STUB_ACCOUNT}:secret:team/legacy-token-Ef34Gh"
REPORTS_SECRET = {"ARN": REPORTS, "Name": "team/reports-db", "CreatedDate": _utc(2026, 3, 2, 9, 30),
                  "RotationEnabled": True,
                  "RotationLambdaARN": f"arn:aws:lambda:us-west-2:{STUB_ACCOUNT}:function:rotate-pg",
                  "RotationRules": {"ScheduleExpression": "rate(10 days)"},
                  "LastRotatedDate": _utc(2026, 9, 1, 4, 0), "LastAccessedDate": _utc(2026, 10, 20),
                  "Tags": [{"Key": "kind", "Value": "database"}, {"Key": "owner", "Value": "bi"}]}
LEGACY_SECRET = {"ARN": LEGACY, "Name": "team/legacy-token", "CreatedDate": _utc(2026, 1, 10),
                 "RotationEnabled": True, "RotationRules": {"ScheduleExpression": "cron(0 4 ? * MON#1 *)"},
                 "Tags": [{"Key": "vaultlab:kind", "Value": "service-token"}]}


def _script() -> dict:
    listed = {"IncludePlannedDeletion": True}
    return {
        ("sts", "eu-central-1"): [("get_caller_identity", {"Account": STUB_ACCOUNT}, {})],
        ("secretsmanager", "eu-central-1"): [("list_secrets", "AccessDeniedException", listed)],
        ("secretsmanager", "us-west-2"): [
            ("list_secrets", {"SecretList": [REPORTS_SECRET, LEGACY_SECRET]}, listed),
            ("describe_secret", REPORTS_SECRET, {"SecretId": REPORTS}),
            ("list_secret_version_ids", {"Versions": [
                # made by the rotation's createSecret step, a little before it finished
                {"VersionId": "v2" * 16, "VersionStages": ["AWSCURRENT"], "CreatedDate": _utc(2026, 9, 1, 3, 59, 12)},
                {"VersionId": "v1" * 16, "VersionStages": ["AWSPREVIOUS"], "CreatedDate": _utc(2026, 8, 22, 4, 0)}]},
             {"SecretId": REPORTS}),
            ("get_resource_policy", {"ARN": REPORTS, "Name": "team/reports-db"}, {"SecretId": REPORTS}),
            ("describe_secret", LEGACY_SECRET, {"SecretId": LEGACY}),
            ("list_secret_version_ids", {"Versions": [
                {"VersionId": "v3" * 16, "VersionStages": ["AWSCURRENT"], "CreatedDate": _utc(2026, 7, 15, 12, 0)}]},
             {"SecretId": LEGACY}),
            ("get_resource_policy", {"ARN": LEGACY, "Name": "team/legacy-token"}, {"SecretId": LEGACY}),
        ],
    }


def test_last_access_schedules_and_a_denied_region(tmp_path):
    session = StubbedSession(_script())
    collected = collect_aws(["eu-central-1", "us-west-2"], session=session)
    for stubber in session.stubbers:
        stubber.assert_no_pending_responses()
    assert session.script == {}

    assert collected.secrets == [
        {"name": "team/reports-db", "arn": REPORTS, "region": "us-west-2", "account": STUB_ACCOUNT, "store": "aws",
         "kind": "database", "owner": "bi", "environment": None, "created_at": "2026-03-02T09:30:00+00:00",
         "last_rotated_at": "2026-09-01T04:00:00+00:00", "last_accessed_at": "2026-10-20T00:00:00+00:00",
         "rotation_days": 10, "expires_at": None},
        # rotation on but never run: its current value's date; a cron schedule gives no interval
        {"name": "team/legacy-token", "arn": LEGACY, "region": "us-west-2", "account": STUB_ACCOUNT, "store": "aws",
         "kind": "service-token", "owner": None, "environment": None, "created_at": "2026-01-10T00:00:00+00:00",
         "last_rotated_at": "2026-07-15T12:00:00+00:00", "last_accessed_at": None, "rotation_days": None,
         "expires_at": None}]
    legacy = next(f for f in collected.facts["secrets"] if f["secret_name"] == "team/legacy-token")
    assert legacy["schedule_expression"] == "cron(0 4 ? * MON#1 *)" and legacy["notes"] == [
        ("rotation schedule cron(0 4 ? * MON#1 *) gives no fixed interval: rotation_days left empty, "
         "the kind's interval applies")]
    assert collected.gaps == [{"path": "eu-central-1", "reason": "ListSecrets denied (AccessDeniedException): "
                                                                 "this region's secrets are not in the inventory"}]
    assert collected.facts["regions"][0] == {"name": "eu-central-1", "status": "unreadable", "listed": 0,
                                             "inventoried": 0, "pending_deletion": 0, "replicas_skipped": 0}
    assert collected.requests == 9 and collected.policies == {}

    collected.taken_at = _utc(2026, 10, 31, 12, 0)  # the snapshot of the period's last day
    with Warehouse(tmp_path / "w.duckdb") as wh:
        store_collected(wh, collected, policies=True)
        status = {r["secret_id"]: (r["status"], r["rotation_days"], r["days_overdue"])
                  for r in rows(wh, "select * from rotation_status", period="2026-10")}
        assert status == {REPORTS[:-7]: ("overdue", 10, 50),  # 2026-09-01 + 10 days, seen on 2026-10-31
                          LEGACY[:-7]: ("overdue", 1, 107)}  # a service-token's 1 day from 2026-07-15
        orphans = rows(wh, "select secret_id, last_read_at, reason from orphaned_secrets", period="2026-10")
        # read on 2026-10-20 by AWS's record; the other one never was
        assert orphans == [{"secret_id": LEGACY[:-7], "last_read_at": None, "reason": "never read"}]
        gaps = rows(wh, "select path, reason from collect_gaps")
        assert gaps == [{"path": "eu-central-1", "reason": collected.gaps[0]["reason"]}]
