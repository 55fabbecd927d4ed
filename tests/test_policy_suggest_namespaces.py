"""`policies suggest` keeps admin paths exact inside namespaces, at every depth (issue 11, item 9)."""

import random
from datetime import timedelta

import pytest
from test_policy_suggest import OCTOBER, T0, TESTER

from vaultlab import Warehouse, ingest
from vaultlab.queries.policy_suggest import suggest_policy
from vaultlab.synth.vault import Actor, Answers, _Writer


def _namespaced_log(path, requests, namespace):
    actor = Actor("tester", "approle", "service", TESTER, ["10.0.0.1"], [], ["default", "app-tester"])
    actor.token, actor.accessor = "hmac-sha256:token", "hmac-sha256:accessor"
    with open(path, "w", encoding="utf-8") as fh:
        w = _Writer(fh, random.Random(1), Answers(seed=1, start="", end=""))
        for i, (p, op) in enumerate(requests):
            mount = p.split("/")[0] + "/"
            w.pair(T0 + timedelta(minutes=i), actor, p, op, "policy.change", mount=mount, mount_type="system",
                   ip="10.0.0.1", error=None)
    text = path.read_text()
    if namespace:
        text = text.replace('"namespace":{"id":"root"}', f'"namespace":{{"id":"nsid","path":"{namespace}"}}')
    path.write_text(text)
    return path


@pytest.mark.parametrize("namespace, prefix", [("ns1/", ""), ("ns1/ns2/", ""), (None, "ns1/"),
                                               (None, "ns1/ns2/"), ("ns1/", "ns2/")])
@pytest.mark.parametrize("admin", ["sys/policy", "sys/policies/acl", "auth/userpass/users", "identity/entity/name"])
def test_admin_paths_in_a_namespace_stay_exact(tmp_path, namespace, prefix, admin):
    requests = [(f"{prefix}{admin}/{name}", "update") for name in ("alpha", "beta", "gamma", "delta")]
    log = _namespaced_log(tmp_path / "audit.log", requests, namespace)
    with Warehouse(tmp_path / "w.duckdb") as wh:
        ingest(wh, [str(log)], progress=False)
        s = suggest_policy(wh, TESTER, OCTOBER)
    ns = namespace or ""
    assert s.rules == {f"{ns}{prefix}{admin}/{n}": ["update"] for n in ("alpha", "beta", "gamma", "delta")}
    assert not any("*" in path or "+" in path for path in s.rules)
