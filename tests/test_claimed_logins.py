"""Issue 11 item 6: a name in an unauthenticated login is a claim, kept apart from identities:
failed logins naming a service's entity raise no alarm against that service."""

import json

from conftest import rows

from vaultlab import ingest
from vaultlab.period import parse_period

ENTITY = "5f1c9a2e-0b7d-4c1e-9a55-service-ci"
H = "hmac-sha256:" + "ab" * 32


def read(day: int, ip: str) -> str:
    auth = {"client_token": H, "accessor": H, "display_name": "approle", "entity_id": ENTITY, "policies": ["ci"],
            "metadata": {"role_name": "ci-runner"}}
    req = {"id": f"read-{day}", "operation": "read", "mount_type": "kv", "mount_point": "secret/",
           "path": "secret/data/ci", "remote_address": ip}
    return "".join(json.dumps({"time": f"2026-{day // 100:02d}-{day % 100:02d}T09:00:00Z", "type": kind,
                               "auth": auth, "request": req}) + "\n" for kind in ("request", "response"))


def failed_login(n: int, ip: str) -> str:
    req = {"id": f"login-{n}", "operation": "update", "mount_type": "userpass", "mount_point": "auth/userpass/",
           "path": f"auth/userpass/login/{ENTITY}", "remote_address": ip}
    return "".join(json.dumps({"time": f"2026-10-05T03:{n:02d}:0{k}Z", "type": kind, "request": req,
                               "error": "invalid username or password" if kind == "response" else ""}) + "\n"
                   for k, kind in enumerate(("request", "response")))


def test_failed_logins_are_claims_not_the_entity(warehouse, tmp_path):
    log = tmp_path / "audit.log"
    baseline = "".join(read(day, "10.0.0.5") for day in [920, 922, 924, 926, 928, 1001, 1003])
    attack = "".join(failed_login(n, f"203.0.113.{n + 10}") for n in range(8))
    log.write_text(baseline + attack + read(1006, "10.0.0.5"))
    ingest(warehouse, [str(log)], progress=False)
    logins = rows(warehouse, "select actor, actor_name, actor_type, entity_id from events where category = 'auth.login'")
    assert len(logins) == 8
    assert {(r["actor"], r["actor_name"], r["actor_type"], r["entity_id"]) for r in logins} == {
        ("claimed:" + ENTITY, ENTITY, "claimed", None)}
    signals = rows(warehouse, "select signal, actor, src_ip, reason from anomalies", period=parse_period("2026-10"))
    against_entity = [s for s in signals if s["actor"] == ENTITY]
    assert not against_entity, against_entity
    assert not [s for s in signals if s["signal"] in ("new_source_ip", "multi_ip_actor")]
    bursts = [s for s in signals if s["signal"] == "failed_auth_burst"]
    assert bursts and all(s["actor"] in (None, "claimed:" + ENTITY) for s in bursts)
