"""The real CloudTrail captures in ../shared/realdata/aws_cloudtrail, file by file.

Each expected count was checked by reading the file: the secrets-manager calls, the KMS
work done on a secret's behalf, the denials (AccessDenied, UnauthorizedOperation) and the
records that carry no eventTime (Panther's partial test fixtures) and are quarantined.
"""

from conftest import rows

from vaultlab import ingest

EXPECTED = {  # file: (records read, quarantined, {(category, outcome): events})
    "_extracted_test_events.jsonl": (11, 5, {
        ("key.use", "ok"): 1, ("secret.config", "error"): 1, ("secret.config", "ok"): 1,
        ("secret.delete", "ok"): 2, ("secret.read", "denied"): 1}),
    "aws.credential-access.ec2-get-password-data.json": (34, 0, {
        ("other", "denied"): 30, ("token.create", "denied"): 2, ("token.create", "ok"): 2}),
    "aws.credential-access.ec2-steal-instance-credentials.json": (45, 0, {("other", "ok"): 45}),
    "aws.credential-access.secretsmanager-batch-retrieve-secrets.json": (5, 0, {("secret.read", "ok"): 5}),
    "aws.credential-access.secretsmanager-retrieve-secrets.json": (21, 0, {("secret.list", "ok"): 1,
                                                                           ("secret.read", "ok"): 20}),
    "aws.credential-access.ssm-retrieve-securestring-parameters.json": (10, 0, {("other", "ok"): 10}),
    "aws.defense-evasion.cloudtrail-delete.json": (1, 0, {("audit.change", "ok"): 1}),
    "aws.defense-evasion.cloudtrail-event-selectors.json": (1, 0, {("audit.change", "ok"): 1}),
    "aws.defense-evasion.cloudtrail-stop.json": (1, 0, {("audit.change", "ok"): 1}),
    "aws.defense-evasion.dns-delete-logs.json": (1, 0, {("other", "ok"): 1}),
    "aws.defense-evasion.organizations-leave.json": (3, 0, {("other", "denied"): 1, ("token.create", "ok"): 2}),
    "aws.defense-evasion.vpc-remove-flow-logs.json": (1, 0, {("other", "ok"): 1}),
    "aws.discovery.ec2-download-user-data.json": (19, 0, {
        ("other", "denied"): 15, ("token.create", "denied"): 2, ("token.create", "ok"): 2}),
    "aws.execution.ec2-launch-unusual-instances.json": (3, 0, {("other", "denied"): 1, ("token.create", "ok"): 2}),
    "aws.execution.ec2-user-data.json": (35, 0, {("other", "ok"): 35}),
    "aws.execution.ssm-send-command.json": (56, 0, {("other", "ok"): 56}),
    "aws.execution.ssm-start-session.json": (29, 0, {("other", "ok"): 29}),
    "aws.exfiltration.ec2-security-group-open-port-22-ingress.json": (1, 0, {("other", "ok"): 1}),
    "aws.exfiltration.ec2-share-ami.json": (1, 0, {("other", "ok"): 1}),
    "aws.exfiltration.ec2-share-ebs-snapshot.json": (1, 0, {("other", "ok"): 1}),
    "aws.exfiltration.rds-share-snapshot.json": (1, 0, {("other", "ok"): 1}),
    "aws.impact.bedrock-invoke-model.json": (15, 0, {("other", "ok"): 15}),
    "aws.initial-access.console-login-without-mfa.json": (1, 0, {("auth.login", "ok"): 1}),
    "aws.lateral-movement.ec2-instance-connect.json": (3, 0, {("other", "ok"): 3}),
    "aws.lateral-movement.ec2-serial-console-send-ssh-public-key.json": (4, 0, {("other", "ok"): 4}),
    "aws.persistence.iam-backdoor-role.json": (1, 0, {("policy.change", "ok"): 1}),
    "aws.persistence.iam-backdoor-user.json": (1, 0, {("token.create", "ok"): 1}),
    "aws.persistence.iam-create-admin-user.json": (3, 0, {
        ("policy.change", "ok"): 1, ("sys.other", "ok"): 1, ("token.create", "ok"): 1}),
    "aws.persistence.iam-create-backdoor-role.json": (2, 0, {("policy.change", "ok"): 1, ("sys.other", "ok"): 1}),
    "aws.persistence.iam-create-user-login-profile.json": (3, 0, {
        ("other", "ok"): 1, ("token.other", "error"): 1, ("token.other", "ok"): 1}),
    "aws.persistence.lambda-backdoor-function.json": (1, 0, {("other", "ok"): 1}),
    "aws.persistence.lambda-layer-extension.json": (1, 0, {("other", "ok"): 1}),
    "aws.persistence.lambda-overwrite-code.json": (1, 0, {("other", "ok"): 1}),
    "aws.persistence.rolesanywhere-create-trust-anchor.json": (2, 0, {("other", "ok"): 2}),
    "aws.persistence.sts-federation-token.json": (2, 0, {("other", "ok"): 1, ("token.create", "ok"): 1}),
    "aws.privilege-escalation.iam-update-user-login-profile.json": (1, 0, {("token.other", "ok"): 1}),
    "cloudtrail_user_guide_records_example_1.json": (1, 0, {("other", "ok"): 1}),
    "cloudtrail_user_guide_records_example_2.json": (1, 0, {("other", "ok"): 1}),
    "cloudtrail_user_guide_records_example_3.json": (1, 0, {("other", "ok"): 1}),
    "cloudtrail_user_guide_records_example_4.json": (1, 0, {("sys.other", "ok"): 1}),
    "cloudtrail_user_guide_records_example_5.json": (1, 0, {("policy.change", "ok"): 1}),
    "cloudtrail_user_guide_records_example_6.json": (1, 0, {("audit.change", "error"): 1}),
    "cloudtrail_user_guide_records_example_7.json": (2, 0, {("other", "ok"): 2}),  # two Insight records
    "kms_cloudtrail_examples.jsonl": (69, 0, {("key.use", "error"): 2, ("key.use", "ok"): 21, ("other", "ok"): 4,
                                       ("policy.change", "ok"): 5, ("secret.config", "ok"): 20,
                                       ("secret.delete", "ok"): 7, ("secret.list", "ok"): 5,
                                       ("secret.rotate", "ok"): 1, ("secret.write", "ok"): 4}),
    "secretsmanager_cloudtrail_examples.jsonl": (11, 0, {("key.use", "ok"): 4, ("secret.delete", "ok"): 3,
                                                         ("secret.read", "ok"): 1, ("secret.rotate", "error"): 1,
                                                         ("secret.write", "ok"): 2}),
    "test-batch-get-secret-value-json.log": (1, 0, {("secret.read", "ok"): 2}),  # one event per secret named
    "test-get-secret-value-json.log": (1, 0, {("secret.read", "ok"): 1}),
}


def _loaded(warehouse, realdata):
    results = ingest(warehouse, [str(realdata / "aws_cloudtrail")], progress=False)
    return {r.path.rsplit("/", 1)[-1]: r for r in results if not r.skipped}


def test_every_record_accounted_for_with_exact_counts(warehouse, realdata):
    loaded = _loaded(warehouse, realdata)
    assert set(loaded) == set(EXPECTED)  # the markdown and YAML beside them are skipped, not misread
    assert {r.format for r in loaded.values()} == {"cloudtrail"}
    counts = {}
    for row in rows(warehouse, "select f.path, e.category, e.outcome, count(*) as n from events e "
                               "join ingest_files f using (file_id) group by all"):
        counts.setdefault(row["path"].rsplit("/", 1)[-1], {})[(row["category"], row["outcome"])] = row["n"]
    for name, (read, quarantined, by_category) in EXPECTED.items():
        result = loaded[name]
        assert (result.lines_read, result.quarantined) == (read, quarantined), name
        assert result.lines_read == result.events_loaded + result.duplicates + result.quarantined, name
        assert counts.get(name, {}) == by_category, name
    reasons = rows(warehouse, "select line, reason from quarantine order by line")
    assert reasons == [{"line": n, "reason": 'no "eventTime" field'} for n in range(7, 12)]


def test_reingest_adds_nothing(warehouse, realdata):
    _loaded(warehouse, realdata)
    before = warehouse.query("select count(*) from events")[1]
    again = ingest(warehouse, [str(realdata / "aws_cloudtrail")], progress=False)
    assert all(r.already_loaded_as or r.skipped for r in again)
    assert warehouse.query("select count(*) from events")[1] == before


def test_quirks(warehouse, realdata):
    _loaded(warehouse, realdata)
    # an invalid region name is kept as written
    [stop] = rows(warehouse, "select * from events where action = 'StopLogging'")
    assert stop["region"] == "apiso-centralnorth-2r" and stop["category"] == "audit.change"
    # a service name as source address is a host, not an address
    [rotation] = rows(warehouse, "select * from events where action = 'RotationFailed'")
    assert rotation["src_ip"] is None and rotation["source_host"] == "secretsmanager.amazonaws.com"
    assert rotation["actor"] == "secretsmanager.amazonaws.com" and rotation["actor_type"] == "service"
    assert rotation["resource"] == "arn:aws:secretsmanager:us-east-2:123456789012:secret:MyDatabaseSecret"
    assert rotation["outcome"] == "error" and "setSecret step" in rotation["error"]
    # Insight records have no eventName: kept as `other`, named by their eventType
    insights = rows(warehouse, "select * from events where action = 'AwsCloudTrailInsight'")
    assert len(insights) == 2 and {e["category"] for e in insights} == {"other"}
    # null requestParameters: a GetSecretValue without them still loads, with no secret named
    [anika] = rows(warehouse, "select * from events where actor_name = 'Anika'")
    assert (anika["category"], anika["resource"], anika["src_ip"]) == ("secret.read", None, "172.01.01.001")
    # a KMS Decrypt that Secrets Manager made on a secret's behalf names the secret
    decrypts = rows(warehouse, "select * from events e join ingest_files f using (file_id) where category = 'key.use' "
                               "and action = 'Decrypt' and f.path like '%secretsmanager_cloudtrail_examples%'")
    assert {e["resource"] for e in decrypts} == {
        "arn:aws:secretsmanager:us-east-2:111122223333:secret:test-secret",
        "arn:aws:secretsmanager:us-west-2:111122223333:secret:test-secret"}
    assert {e["actor_name"] for e in decrypts} == {"user01"}  # the assumed role's session name


def test_batch_read_is_one_event_per_secret(warehouse, realdata):
    ingest(warehouse, [str(realdata / "aws_cloudtrail" / "elastic_integrations" /
                           "test-batch-get-secret-value-json.log")], progress=False)
    events = rows(warehouse, "select * from events order by event_id")
    assert [e["event_id"] for e in events] == ["283afd25-3625-45e4-b51e-31b0e67963da#1",
                                               "283afd25-3625-45e4-b51e-31b0e67963da#2"]
    assert [e["resource"] for e in events] == [
        "arn:aws:secretsmanager:us-east-1:000000000:secret:MyTestSecret",
        "arn:aws:secretsmanager:us-east-1:000000000:secret:DdApiKeySecret-aUFEgO4SmSGN"]
    assert [e["resource_alias"] for e in events] == ["MyTestSecret", "DdApiKeySecret-aUFEgO4SmSGN"]
    assert {(e["actor"], e["actor_name"], e["actor_type"], e["auth_method"]) for e in events} == {
        ("arn:aws:iam::000000000:user/test@elastic.co", "test@elastic.co", "human", "iam")}
    [ledger] = rows(warehouse, "select * from ingest_files")
    assert (ledger["lines_read"], ledger["events_loaded"], ledger["events_created"]) == (1, 1, 2)
