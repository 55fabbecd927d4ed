"""Known answers: the generator's planted findings, and its tallies, come back out exactly."""

import hashlib

from conftest import rows

from vaultlab import ingest
from vaultlab.synth.vault import BURST_IP, synthesize


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    digests = []
    for name, seed in (("a", 4), ("b", 4), ("c", 5)):
        synthesize(tmp_path / name, lines=800, seed=seed)
        digests.append(hashlib.sha256((tmp_path / name / "vault_audit.log").read_bytes()).hexdigest())
    assert digests[0] == digests[1] != digests[2]


def test_tallies_match_the_answers(warehouse, synth_small):
    out, answers = synth_small
    [result] = ingest(warehouse, [str(out / "vault_audit.log")], progress=False)
    assert result.lines_read == answers["records"] == result.events_loaded
    assert result.events_created == answers["events"]
    by_category = dict(warehouse.query("select category, count(*) from events group by 1")[1])
    by_outcome = dict(warehouse.query("select outcome, count(*) from events group by 1")[1])
    assert by_category == answers["by_category"]
    assert by_outcome == answers["by_outcome"]
    # every event is a complete pair: the generator writes both halves
    assert warehouse.query("select count(*) from events where not (has_request and has_response)")[1] == [(0,)]


def _planted(answers, key, value):
    [entry] = [p for p in answers["planted"] if p.get("signal", p.get("finding")) == key]
    return entry


def test_planted_findings_are_there_and_nothing_else_looks_like_them(warehouse, synth_small):
    out, answers = synth_small
    ingest(warehouse, [str(out / "vault_audit.log")], progress=False)

    burst = _planted(answers, "failed_auth_burst", None)
    failed = rows(warehouse, "select * from events where category = 'auth.login' and outcome <> 'ok'")
    assert len(failed) == burst["events"] == 15
    assert {(f["actor"], f["actor_type"], f["auth_method"], f["src_ip"], f["outcome"]) for f in failed} == {
        ("claimed:admin", "claimed", "userpass", BURST_IP, "error")}  # a name claimed, not an identity
    assert warehouse.query("select count(*) from events where src_ip = ?", [BURST_IP])[1] == [(15,)]

    denied = _planted(answers, "denied_requests", None)
    got = rows(warehouse, "select actor, resource, count(*) as n from events where outcome = 'denied' group by all")
    assert got == [{"actor": denied["actor"], "resource": denied["resource"], "n": 12}]

    ttl = _planted(answers, "long_ttl_token", None)
    long_ttl = rows(warehouse, "select actor, category, token_ttl_s from events where token_ttl_s > 86400")
    assert long_ttl == [{"actor": ttl["actor"], "category": "token.create", "token_ttl_s": 31536000}]

    policy = _planted(answers, "policy_change", None)
    changes = rows(warehouse, "select actor, resource from events where category = 'policy.change'")
    assert changes == [{"actor": policy["actor"], "resource": "sys/policies/acl/payments-admin"}]

    off = _planted(answers, "off_hours_human", None)
    odd = rows(warehouse, """select actor, resource from events where actor_type = 'human' and outcome = 'ok'
                             and (isodow(ts) > 5 or hour(ts) < 8 or hour(ts) >= 18)""")
    assert odd == [{"actor": off["actor"], "resource": off["resource"]}]

    new_ip = _planted(answers, "new_source_ip", None)
    seen = rows(warehouse, "select actor, count(*) as n from events where src_ip = ? group by all", [new_ip["src_ip"]])
    assert seen == [{"actor": new_ip["actor"], "n": 3}]

    spike = _planted(answers, "volume_spike", None)
    [top] = rows(warehouse, """select actor, resource, ts::date::varchar as day, count(*) as n from events
                               where category = 'secret.read' group by all order by n desc limit 1""")
    assert (top["actor"], top["resource"], top["day"]) == (spike["actor"], spike["resource"], spike["day"])
    assert top["n"] >= spike["events"]

    assert rows(warehouse, "select count(*) as n from events where actor_type = 'root'") == [{"n": 1}]

    gap = _planted(answers, "audit_gap", None)
    inside = warehouse.query("select count(*) from events where ts >= ?::timestamptz and ts < ?::timestamptz",
                             [gap["gap_start"], gap["gap_end"]])[1]
    assert inside == [(0,)]

    never_read = set(answers["secrets_never_read"])
    read = {r[0] for r in warehouse.query(
        "select distinct resource from events where category = 'secret.read' and outcome = 'ok'")[1]}
    assert never_read and not never_read & read
