"""`suggest_policy`: least-privilege HCL from observed use, and its diff against held policies."""

import dataclasses
import json
import random
import shutil
from datetime import datetime, timedelta, timezone

import pytest
from conftest import load_synth_month, rows

from vaultlab import VaultlabError, Warehouse, ingest
from vaultlab.period import parse_period
from vaultlab.queries.policy_suggest import NotGranted, Unused, _Acl, as_dict, render, review, suggest_policy
from vaultlab.snapshots.inventory import load_inventory_rows
from vaultlab.snapshots.policies import load_policies, parse_policy
from vaultlab.synth.vault import Actor, Answers, _Writer

OCTOBER = parse_period("2026-10")
T0 = datetime(2026, 10, 5, 12, tzinfo=timezone.utc)
TESTER = "11111111-2222-3333-4444-555555555555"


@pytest.fixture(scope="module")
def month(tmp_path_factory, synth_small):
    """The synthetic month, with its inventory and its approved and current policies."""
    out, answers = synth_small
    db = tmp_path_factory.mktemp("suggest") / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, out)
    return db, answers


def test_known_answer_for_a_service(month):
    db, answers = month
    [denied] = [p for p in answers["planted"] if p.get("signal") == "denied_requests"]
    with Warehouse(db) as wh:
        s = suggest_policy(wh, "approle-ci-runner", OCTOBER)
        [[db_reads]] = wh.query("select count(*) from events where actor_name = 'approle-ci-runner' "
                                "and path = 'database/creds/readonly' and outcome = 'ok'", period=OCTOBER)[1]
    # three secrets per environment, each read: one glob per folder; the one dynamic secret exact
    assert s.rules == {"database/creds/readonly": ["read"],
                       "secret/data/prod/ci/*": ["read"],
                       "secret/data/staging/ci/*": ["read"]}
    assert s.covers["secret/data/prod/ci/*"] == [f"secret/data/prod/ci/{k}" for k in ("db", "password", "ssh")]
    assert s.actors == [denied["actor"]]
    assert parse_policy(s.hcl, "suggested") == sorted(s.rules.items())
    assert list(s.held) == ["app-ci"] and s.not_loaded == ["default"]
    # the current snapshot added sys/mounts/* to app-ci: granted, never used
    assert s.granted_unused == [Unused("app-ci", "sys/mounts/*", ("read", "update"), (), ("read", "update"))]
    # the planted denials are listed, never granted; app-ci does not grant the dynamic secret either
    assert [(n.path, n.capability, n.ok, n.denied) for n in s.used_not_granted] == [
        ("database/creds/readonly", "read", db_reads, 0),
        ("secret/data/prod/payments/db", "read", 0, denied["events"])]
    assert "denied 12 time(s)" in s.used_not_granted[1].reason
    assert not any("payments" in path for path in s.rules)
    # the diff shows the rules only: what the suggestion adds and drops
    diff = s.diffs["app-ci"].splitlines()
    assert diff[:2] == ["--- app-ci (held)", "+++ suggested"]
    changed = [line for line in diff[2:] if line[:1] in "+-"]
    assert changed == ['+path "database/creds/readonly" {', '+  capabilities = ["read"]', "+}", "+",
                       "-", '-path "sys/mounts/*" {', '-  capabilities = ["read", "update"]', "-}"]
    as_json = json.loads(json.dumps(as_dict(s)))
    assert as_json["rules"] == s.rules and as_json["period"]["label"] == "2026-10"
    assert as_json["granted_unused"][0]["reason"] == s.granted_unused[0].reason


def test_without_a_period_the_whole_range_is_used(month):
    db, _ = month
    with Warehouse(db) as wh:
        whole, october = suggest_policy(wh, "approle-ci-runner"), suggest_policy(wh, "approle-ci-runner", OCTOBER)
    assert whole.rules == october.rules and whole.period.label == "all"
    assert f"from {whole.first_seen:%Y-%m-%dT%H:%M:%S}Z" in whole.hcl


def test_known_answer_by_actor_id_with_a_kv1_secret(month):
    db, _ = month
    with Warehouse(db) as wh:
        [[entity]] = wh.query("select distinct actor from events where actor_name = 'approle-mailer'")[1]
        s = suggest_policy(wh, entity, "2026-10")
    assert {p: c for p, c in s.rules.items() if p != "database/creds/readonly"} == {
        "kv/legacy/mailer/password": ["read"],
        "secret/data/prod/mailer/*": ["read"],
        "secret/data/staging/mailer/*": ["read"]}


def test_a_human_leaves_the_default_policy_alone(month):
    db, _ = month
    with Warehouse(db) as wh:
        s = suggest_policy(wh, "oidc-dave", OCTOBER)
    assert s.via_default == ["auth/token/lookup-self"]
    assert "auth/token/lookup-self" not in s.rules
    assert not any(n.path == "auth/token/lookup-self" for n in s.used_not_granted)
    # a read-and-write leaf does not share its siblings' capabilities: no glob under staging/web
    assert s.rules["secret/data/staging/web/tls"] == ["read", "update"]
    assert "secret/data/staging/web/*" not in s.rules
    assert s.rules["secret/metadata/prod/web/"] == ["list"]


GRANTS_MORE = """
path "secret/data/prod/ci/*" { capabilities = ["read", "update", "delete"] }
path "secret/data/staging/ci/db" { capabilities = ["read"] }
path "secret/data/prod/payments/*" { capabilities = ["read"] }
path "database/creds/readonly" { capabilities = ["read"] }
path "sys/mounts/*" { capabilities = ["read"] }
path "secret/data/legacy/*" { capabilities = ["deny"] }
"""


def test_granted_but_unused_against_a_broader_policy(month, tmp_path):
    db, _ = month
    copy = tmp_path / "w.duckdb"
    shutil.copy(db, copy)
    (tmp_path / "current").mkdir()
    (tmp_path / "current" / "app-ci.hcl").write_text(GRANTS_MORE)
    (tmp_path / "baseline").mkdir()
    (tmp_path / "baseline" / "app-ci.hcl").write_text('path "secret/*" { capabilities = ["read"] }\n')
    with Warehouse(copy) as wh:
        load_policies(wh, [str(tmp_path / "current")], as_of=parse_period(as_of="2026-10-25").end)
        # a later baseline is the approved set, not what the actor holds: it is not compared
        load_policies(wh, [str(tmp_path / "baseline")], baseline=True, as_of=parse_period(as_of="2026-10-28").end)
        s = suggest_policy(wh, "approle-ci-runner", OCTOBER)
    assert s.held == {"app-ci": GRANTS_MORE}
    assert s.granted_unused == [
        Unused("app-ci", "secret/data/prod/ci/*", ("delete", "read", "update"), ("read",), ("delete", "update")),
        Unused("app-ci", "secret/data/prod/payments/*", ("read",), (), ("read",)),
        Unused("app-ci", "sys/mounts/*", ("read",), (), ("read",)),
    ]
    assert "only read used" in s.granted_unused[0].reason
    # what the narrower staging rule leaves out was used all the same
    assert [(n.path, n.capability, n.denied) for n in s.used_not_granted] == [
        ("secret/data/staging/ci/password", "read", 0), ("secret/data/staging/ci/ssh", "read", 0)]
    assert all(n.ok > 0 and "succeeded" in n.reason for n in s.used_not_granted)
    # the denied reads are granted by the policy as loaded now: said, not hidden
    assert any("12 denied request(s) are granted" in note for note in s.notes)
    diff = s.diffs["app-ci"].splitlines()
    assert '-path "secret/data/prod/payments/*" { capabilities = ["read"] }' in diff
    assert '+path "secret/data/staging/ci/*" {' in diff


def test_an_actor_with_no_events_is_a_clear_error(month):
    db, _ = month
    with Warehouse(db) as wh:
        with pytest.raises(VaultlabError, match="no Vault requests by 'nobody'"):
            suggest_policy(wh, "nobody", OCTOBER)
        with pytest.raises(VaultlabError, match="no Vault requests by 'approle-ci-runner' in 2026-09"):
            suggest_policy(wh, "approle-ci-runner", "2026-09")
        with pytest.raises(VaultlabError, match="give the actor"):
            suggest_policy(wh, " ", OCTOBER)


# -- crafted logs -----------------------------------------------------------------------

def _log(path, requests, *, name="tester"):
    """A Vault audit log of one AppRole actor's requests: (path, operation[, error])."""
    actor = Actor(name, "approle", "service", TESTER, ["10.0.0.1"], [], ["default", "app-tester"])
    actor.token, actor.accessor = "hmac-sha256:token", "hmac-sha256:accessor"
    with open(path, "w", encoding="utf-8") as fh:
        w = _Writer(fh, random.Random(1), Answers(seed=1, start="", end=""))
        for i, (p, op, *error) in enumerate(requests):
            mount = "secret/" if p.startswith("secret/") else p.split("/")[0] + "/"
            w.pair(T0 + timedelta(minutes=i), actor, p, op, "secret.read", mount=mount,
                   mount_type="kv" if mount == "secret/" else "system", ip="10.0.0.1",
                   error=error[0] if error else None)
    return path


def _suggest(folder, requests, *, name="tester", inventory=None, actor=TESTER, **kw):
    """Ingest the requests into a fresh warehouse in `folder` and suggest a policy."""
    folder.mkdir(exist_ok=True)
    with Warehouse(folder / "crafted.duckdb") as wh:
        ingest(wh, [str(_log(folder / "audit.log", requests, name=name))], progress=False)
        if inventory is not None:
            load_inventory_rows(wh, [{"name": n} for n in inventory], source="test",
                                as_of=parse_period(as_of="2026-10-01").end)
        return suggest_policy(wh, actor, OCTOBER, **kw)


HOSTILE = [
    'secret/data/app/x" {\n  capabilities = ["sudo"]\n}\npath "sys/*',
    "secret/data/app/a}b",
    'secret/data/app/${file("/etc/passwd")}',
    "secret/data/app/%{ if true }x%{ endif }",
    "secret/data/app/back\\slash",
    "secret/data/app/new\nline",
    "secret/data/app/star*",
    "secret/data/app/+",
    "secret/data/app/../../sys/raw",
]


def test_hostile_paths_are_rejected_and_the_policy_parses_to_exactly_the_intended_rules(tmp_path):
    requests = [(p, "read") for p in HOSTILE] + [("secret/data/app/one", "read"), ("secret/data/app/two", "read")]
    hostile_name = 'x"\n}\npath "*" { capabilities = ["sudo"] } #${a}%{b}\\'
    s = _suggest(tmp_path, requests, name=hostile_name)
    with Warehouse(tmp_path / "crafted.duckdb") as wh:
        stored = {r["path"] for r in rows(wh, "select path from events")}
    assert set(HOSTILE) <= stored  # they reached the warehouse as written
    # the hostile paths do not count as siblings either: two good paths stay exact
    assert s.rules == {"secret/data/app/one": ["read"], "secret/data/app/two": ["read"]}
    assert parse_policy(s.hcl, "suggested") == sorted(s.rules.items())
    assert {r.path for r in s.rejected} == set(HOSTILE)
    reasons = {r.path: r.reason for r in s.rejected}
    assert "'\"'" in reasons[HOSTILE[0]] and "'\\n'" in reasons[HOSTILE[0]]
    assert "glob" in reasons["secret/data/app/star*"] and "glob" in reasons["secret/data/app/+"]
    assert "normal Vault path" in reasons["secret/data/app/../../sys/raw"]
    for fragment in ("sudo", "${", "%{", "\\", "sys/", "}b", "star"):
        assert fragment not in s.hcl
    # the review shows each rejected path escaped, on one line
    text = review(s)
    assert len([line for line in text.splitlines() if line.startswith("rejected: ")]) == len(HOSTILE)
    assert "\n}\npath" not in text
    # the actor's hostile name goes into the comment only as a hash
    s2 = _suggest(tmp_path / "by-name", requests, name=hostile_name, actor="approle-" + hostile_name)
    assert s2.hcl.splitlines()[0].startswith("# Least-privilege policy for sha256:")
    assert parse_policy(s2.hcl, "suggested") == sorted(s2.rules.items())
    assert len([line for line in s2.hcl.splitlines() if not line.startswith("#") and line.strip()]) == 6


def test_render_refuses_a_rule_it_cannot_write_safely(tmp_path):
    s = _suggest(tmp_path, [("secret/data/app/one", "read")])
    for bad in ['secret/x" {', "secret/${x}", "secret/a\nb", "*", "secret/a*b/c", "secret/a+b"]:
        with pytest.raises(VaultlabError, match="refusing"):
            render(dataclasses.replace(s, rules={bad: ["read"]}))
    with pytest.raises(VaultlabError, match="refusing"):
        render(dataclasses.replace(s, rules={"secret/data/x": ['read"] }']}))


def test_ids_become_plus_but_not_right_below_the_mount(tmp_path):
    uuids = ["0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7"]
    requests = [(f"secret/data/users/{u}/config", "read") for u in uuids]
    requests += [("secret/data/orders/12345", "update"), ("secret/data/blobs/0123456789abcdef0123", "read"),
                 ("secret/data/987654", "read")]
    s = _suggest(tmp_path, requests)
    assert s.rules == {"secret/data/users/+/config": ["read"], "secret/data/orders/+": ["update"],
                       "secret/data/blobs/+": ["read"], "secret/data/987654": ["read"]}
    assert s.covers["secret/data/users/+/config"] == sorted(f"secret/data/users/{u}/config" for u in uuids)


def test_a_glob_at_the_mount_root_needs_every_secret_there_used(tmp_path):
    requests = [(f"secret/data/{n}", "read") for n in ("a", "b", "c")]
    exact = {f"secret/data/{n}": ["read"] for n in ("a", "b", "c")}
    assert _suggest(tmp_path / "none", requests).rules == exact
    more = ["secret/a", "secret/b", "secret/c", "secret/d"]
    assert _suggest(tmp_path / "more", requests, inventory=more).rules == exact
    assert _suggest(tmp_path / "all", requests, inventory=["secret/a", "secret/b", "secret/c"]).rules == {
        "secret/data/*": ["read"]}


def test_admin_paths_stay_exact_and_min_siblings_applies(tmp_path):
    requests = [(f"sys/policies/acl/p{i}", "update") for i in range(4)]
    requests += [(f"secret/data/team/{n}", "read") for n in ("a", "b")]
    s = _suggest(tmp_path, requests, min_siblings=2)
    assert s.rules == {**{f"sys/policies/acl/p{i}": ["update"] for i in range(4)}, "secret/data/team/*": ["read"]}


def test_a_glob_shadowed_by_an_exact_rule_gets_the_request_its_own_rule(tmp_path):
    # lists of three folders collapse to a glob; reading a's metadata makes an exact rule that
    # Vault would apply to the list of a/ too (the path without its slash), so a/ gets its own rule
    requests = [(f"secret/metadata/team/{n}/", "list") for n in ("a", "b", "c")] + [("secret/metadata/team/a", "read")]
    s = _suggest(tmp_path, requests)
    assert s.rules == {"secret/metadata/team/*": ["list"], "secret/metadata/team/a": ["read"],
                       "secret/metadata/team/a/": ["list"]}
    acl = _Acl(s.rules.items())
    assert all(acl.allows(p, op) for p, op in requests)


def test_denied_requests_are_listed_never_granted(tmp_path):
    requests = [("secret/data/app/one", "read"), ("secret/data/app/secret", "read", "permission denied"),
                ("secret/data/app/secret", "read", "permission denied")]
    s = _suggest(tmp_path, requests)
    assert s.rules == {"secret/data/app/one": ["read"]}
    assert s.used_not_granted == [NotGranted("secret/data/app/one", "read", 1, 0, s.used_not_granted[0].reason),
                                  NotGranted("secret/data/app/secret", "read", 0, 2, s.used_not_granted[1].reason)]
    assert s.not_loaded == ["app-tester", "default"] and s.snapshot_id is None


def test_vault_rule_priority():
    acl = _Acl([("secret/*", ["read"]), ("secret/data/+/web/*", ["list"]), ("secret/data/prod/*", ["update"]),
                ("secret/data/prod/web/x", ["delete"]), ("secret/data/+/+/y", ["create"])])
    assert acl.rule_for("secret/data/prod/web/x", False) == "secret/data/prod/web/x"  # exact first
    assert acl.rule_for("secret/data/prod/web/z", False) == "secret/data/prod/*"  # later first glob wins
    assert acl.rule_for("secret/data/dev/web/z", False) == "secret/data/+/web/*"
    assert acl.rule_for("secret/data/dev/db/y", False) == "secret/data/+/+/y"
    assert acl.rule_for("secret/other", False) == "secret/*"
    assert acl.rule_for("kv/other", False) is None
    assert not acl.allows("secret/data/prod/web/x", "update")  # capabilities are not merged across paths


def test_held_policies_come_from_the_vault_snapshot_even_beside_an_aws_one(tmp_path, synth_small):
    """An AWS resource-policy snapshot taken later must not hide the Vault policies an actor holds."""
    from vaultlab.snapshots.collected import Collected, store_collected

    out, _ = synth_small
    with Warehouse(tmp_path / "w.duckdb") as wh:
        load_synth_month(wh, out)
        resource_policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
        aws = Collected(store="aws", source="111122223333 us-east-1",
                        taken_at=datetime(2026, 10, 25, tzinfo=timezone.utc),
                        policies={"prod/payments/db": resource_policy})
        store_collected(wh, aws, inventory=False, policies=True)
        s = suggest_policy(wh, "approle-ci-runner", OCTOBER)
    assert list(s.held) == ["app-ci"] and s.snapshot_id is not None
