"""A deterministic generator of realistic Vault audit logs, with planted findings.

`synthesize(out_dir, lines=..., seed=...)` writes `vault_audit.log` (JSON lines as a file
audit device writes them), `inventory.json` (the secrets that exist, in the rotation
planner's format) and `answers.json`: what was written (records, events, counts by
category and outcome) and each planted finding, so tests can assert exactly what an
analysis must find and what it must not.

Background traffic: service identities (AppRole, Kubernetes) read their secrets around the
clock from fixed addresses; humans (OIDC, userpass, LDAP) log in and read, list and write in
business hours from the office range. Half the records use the newer field names
(`mount_point`, `mount_class`, `remote_port`), half the older ones.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

HUMANS = [("alice", "oidc"), ("bob", "userpass"), ("carol", "ldap"), ("dave", "oidc"),
          ("erin", "oidc"), ("frank", "ldap"), ("grace", "userpass"), ("heidi", "oidc")]
SERVICES = [("payments-api", "approle"), ("billing-worker", "kubernetes"), ("ci-runner", "approle"),
            ("web-frontend", "kubernetes"), ("reporting", "approle"), ("search-indexer", "kubernetes"),
            ("mailer", "approle"), ("ledger", "kubernetes")]
ENVIRONMENTS = ["prod", "staging"]
APPS = ["payments", "billing", "ci", "web", "reporting", "search", "mailer", "ledger"]
KINDS = {"db": "database", "api-key": "api-key", "tls": "tls-certificate", "ssh": "ssh-key",
         "oauth": "oauth-secret", "password": "password"}
FIELDS = {"db": ["username", "password", "host"], "api-key": ["key"], "tls": ["cert", "key"],
          "ssh": ["private_key"], "oauth": ["client_id", "client_secret"], "password": ["password"]}
OFFICE = "10.20.30."
BURST_IP = "203.0.113.66"
OVERDUE_SECRET = "secret/prod/payments/db"  # last rotated 200 days before the end, never written


@lru_cache(maxsize=65536)
def _hmac(*parts: object) -> str:
    return "hmac-sha256:" + hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def _vault_time(ts: datetime) -> str:
    """RFC3339Nano as Go writes it: trailing zeros of the fraction dropped (0-9 digits)."""
    frac = f"{ts.microsecond:06d}{(ts.microsecond * 7) % 1000:03d}".rstrip("0")
    return ts.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "Z"


@dataclass
class Actor:
    name: str
    method: str
    kind: str  # human | service | root
    entity_id: str
    ips: list[str]
    secrets: list[str]
    policies: list[str]
    token: str = ""
    accessor: str = ""
    token_ttl: int = 3600

    @property
    def metadata(self) -> dict:
        return {"role_name": self.name} if self.method == "approle" else {"role": self.name}

    @property
    def display_name(self) -> str:
        if self.kind == "root":
            return "root"
        return self.method if self.method == "approle" else f"{self.method}-{self.name}"


@dataclass
class Answers:
    seed: int
    start: str
    end: str
    records: int = 0
    events: int = 0
    by_category: dict = field(default_factory=dict)
    by_outcome: dict = field(default_factory=dict)
    planted: list = field(default_factory=list)
    secrets_never_read: list = field(default_factory=list)


class _Writer:
    """Writes request/response pairs and keeps the tally that answers.json reports."""

    def __init__(self, fh, rng: random.Random, answers: Answers):
        self.fh, self.rng, self.answers = fh, rng, answers
        self.read_paths: set[str] = set()

    def _uuid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def pair(self, ts: datetime, actor: Actor | None, path: str, op: str, category: str, *,
             mount: str, mount_type: str, ip: str, error: str | None = None,
             request_data: dict | None = None, response_data: dict | None = None,
             response_auth: dict | None = None) -> None:
        rid = self._uuid()
        newer = self.rng.random() < 0.5
        auth = {"token_type": "service"}
        if actor is not None:
            auth = {"client_token": actor.token, "accessor": actor.accessor,
                    "display_name": actor.display_name, "policies": actor.policies,
                    "token_policies": actor.policies, "metadata": actor.metadata,
                    "entity_id": actor.entity_id, "token_type": "service",
                    "token_ttl": actor.token_ttl}
        request = {"id": rid, "operation": op, "mount_type": mount_type,
                   "client_token": auth.get("client_token", ""),
                   "client_token_accessor": auth.get("accessor", ""),
                   "namespace": {"id": "root"}, "path": path}
        if request_data:
            request["data"] = request_data
        if newer:
            request.update(mount_point=mount, mount_class="secret" if mount_type == "kv" else "auth",
                           remote_address=ip, remote_port=self.rng.randint(30000, 60000))
        else:
            request["remote_address"] = ip
        req = {"time": _vault_time(ts), "type": "request", "auth": auth, "request": request}
        if error and "permission denied" in error:
            req["error"] = "permission denied"
        response = {"mount_type": mount_type}
        if newer:
            response["mount_point"] = mount
        if response_data:
            response["data"] = response_data
        if response_auth:
            response["auth"] = response_auth
        resp = {"time": _vault_time(ts + timedelta(microseconds=self.rng.randint(300, 9000))),
                "type": "response", "auth": auth, "request": request, "response": response}
        if error:
            wrapped = "1 error occurred:\n\t* permission denied\n\n"  # as Vault wraps it in responses
            resp["error"] = wrapped if "permission denied" in error else error
        self.fh.write(json.dumps(req, separators=(",", ":")) + "\n")
        self.fh.write(json.dumps(resp, separators=(",", ":")) + "\n")
        outcome = "ok" if not error else ("denied" if "permission denied" in error else "error")
        a = self.answers
        a.records += 2
        a.events += 1
        a.by_category[category] = a.by_category.get(category, 0) + 1
        a.by_outcome[outcome] = a.by_outcome.get(outcome, 0) + 1
        if category == "secret.read" and outcome == "ok":
            self.read_paths.add(path)

    # -- the kinds of event ----------------------------------------------------------
    def kv_read(self, ts, actor, secret, ip, error=None):
        version = 1 + self.rng.randint(0, 3)
        kind = secret.rsplit("/", 1)[-1]
        data = None if error else {
            "data": {f: _hmac(secret, f, version) for f in FIELDS.get(kind, ["value"])},
            "metadata": {"created_time": _hmac(secret, "ct", version), "deletion_time": _hmac(""),
                         "destroyed": False, "version": version}}
        if secret.startswith("kv/"):  # KV version 1: no data/ segment, flat data
            data = data and data["data"]
            self.pair(ts, actor, secret, "read", "secret.read", mount="kv/", mount_type="kv",
                      ip=ip, error=error, response_data=data)
        else:
            self.pair(ts, actor, "secret/data/" + secret.removeprefix("secret/"), "read", "secret.read",
                      mount="secret/", mount_type="kv", ip=ip, error=error, response_data=data)

    def kv_write(self, ts, actor, secret, ip):
        kind = secret.rsplit("/", 1)[-1]
        stamp = ts.isoformat()
        data = {"data": {f: _hmac(secret, f, stamp) for f in FIELDS.get(kind, ["value"])}}
        self.pair(ts, actor, "secret/data/" + secret.removeprefix("secret/"), "update", "secret.write",
                  mount="secret/", mount_type="kv", ip=ip, request_data=data,
                  response_data={"version": 2, "created_time": stamp.replace("+00:00", "Z")})

    def kv_list(self, ts, actor, folder, ip):
        self.pair(ts, actor, "secret/metadata/" + folder, "list", "secret.list", mount="secret/",
                  mount_type="kv", ip=ip, response_data={"keys": [_hmac(folder, i) for i in range(3)]})

    def login(self, ts, actor, ip):
        mount = {"oidc": "auth/oidc/", "approle": "auth/approle/", "kubernetes": "auth/kubernetes/",
                 "userpass": "auth/userpass/", "ldap": "auth/ldap/"}[actor.method]
        path = {"oidc": "auth/oidc/oidc/callback", "approle": "auth/approle/login",
                "kubernetes": "auth/kubernetes/login"}.get(actor.method, f"{mount}login/{actor.name}")
        issued = {"client_token": actor.token, "accessor": actor.accessor,
                  "display_name": actor.display_name, "policies": actor.policies,
                  "token_policies": actor.policies, "metadata": actor.metadata,
                  "entity_id": actor.entity_id, "token_type": "service", "token_ttl": actor.token_ttl}
        self.pair(ts, None, path, "update", "auth.login", mount=mount, mount_type=actor.method, ip=ip,
                  request_data={"role": _hmac(actor.name)}, response_auth=issued)

    def failed_login(self, ts, name, ip):
        self.pair(ts, None, f"auth/userpass/login/{name}", "update", "auth.login", mount="auth/userpass/",
                  mount_type="userpass", ip=ip, error="invalid username or password",
                  request_data={"password": _hmac("pw", name)})

    def token_create(self, ts, actor, ip, ttl):
        issued = {"client_token": _hmac("tok", ts), "accessor": _hmac("acc", ts),
                  "display_name": "token", "policies": ["default"], "token_policies": ["default"],
                  "token_type": "service", "token_ttl": ttl}
        self.pair(ts, actor, "auth/token/create", "update", "token.create", mount="auth/token/",
                  mount_type="token", ip=ip, request_data={"ttl": _hmac(ttl)}, response_auth=issued)

    def policy_write(self, ts, actor, name, ip):
        self.pair(ts, actor, f"sys/policies/acl/{name}", "update", "policy.change", mount="sys/",
                  mount_type="system", ip=ip, request_data={"policy": _hmac("policy", name, ts)})


def _actors(rng: random.Random) -> tuple[list[Actor], list[Actor], Actor]:
    secrets_by_app = {}
    for app in APPS:
        kinds = rng.sample(sorted(KINDS), 3)
        if app == "payments" and "db" not in kinds:  # the planted overdue secret exists and is read
            kinds[0] = "db"
        secrets_by_app[app] = [f"secret/{env}/{app}/{kind}" for env in ENVIRONMENTS for kind in kinds]
    humans = [Actor(name, method, "human", _uuid_from(rng), [f"{OFFICE}{10 + i}"],
                    secrets_by_app[APPS[i % len(APPS)]], ["default", f"team-{APPS[i % len(APPS)]}"],
                    token_ttl=28800)
              for i, (name, method) in enumerate(HUMANS)]
    services = [Actor(name, method, "service", _uuid_from(rng), [f"10.1.{i}.{20 + j}" for j in range(2)],
                      secrets_by_app[APPS[i]] + ([f"kv/legacy/{APPS[i]}/password"] if i % 3 == 0 else []),
                      ["default", f"app-{APPS[i]}"])
                for i, (name, method) in enumerate(SERVICES)]
    root = Actor("root", "token", "root", "", ["127.0.0.1"], [], ["root"], token_ttl=0)
    for actor in humans + services + [root]:
        actor.token, actor.accessor = _hmac("token", actor.name), _hmac("accessor", actor.name)
    return humans, services, root


def _uuid_from(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _plant(start: datetime, humans: list[Actor], services: list[Actor], root: Actor, spike: int = 300):
    """The planted findings: (time, what to write, the answer entry).

    `spike` is the volume spike's size: large enough to stand out against a secret's usual
    daily reads at any log size.
    """
    by = {a.name: a for a in humans + services}
    day = lambda d, h, m=0: start + timedelta(days=d, hours=h, minutes=m)  # noqa: E731
    events, answers = [], []

    burst_end = day(9, 2, 13) + timedelta(seconds=14 * 16)
    answers.append({"signal": "failed_auth_burst", "actor": "claimed:admin", "src_ip": BURST_IP, "events": 15,
                    "first_seen": day(9, 2, 13).isoformat(), "last_seen": burst_end.isoformat()})
    events += [(day(9, 2, 13) + timedelta(seconds=16 * i), "failed_login", ("admin", BURST_IP)) for i in range(15)]

    ci = by["ci-runner"]
    answers.append({"signal": "denied_requests", "actor": ci.entity_id, "actor_name": ci.display_name,
                    "resource": "secret/prod/payments/db", "events": 12, "first_seen": day(11, 14).isoformat()})
    events += [(day(11, 14, i), "kv_read", (ci, "secret/prod/payments/db", ci.ips[0], "permission denied"))
               for i in range(12)]

    carol = by["carol"]
    answers.append({"signal": "off_hours_human", "actor": carol.entity_id, "actor_name": carol.display_name,
                    "resource": carol.secrets[0], "events": 1, "first_seen": day(14, 3, 17).isoformat()})
    events.append((day(14, 3, 17), "kv_read", (carol, carol.secrets[0], carol.ips[0], None)))

    pay = by["payments-api"]
    answers.append({"signal": "new_source_ip", "actor": pay.entity_id, "actor_name": pay.display_name,
                    "src_ip": "198.51.100.23", "events": 3, "first_seen": day(19, 16, 5).isoformat()})
    events += [(day(19, 16, 5 + i), "kv_read", (pay, pay.secrets[0], "198.51.100.23", None)) for i in range(3)]

    dave = by["dave"]
    answers.append({"signal": "volume_spike", "actor": dave.entity_id, "actor_name": dave.display_name,
                    "resource": dave.secrets[1], "events": spike, "day": day(21, 0).date().isoformat()})
    events += [(day(21, 10) + timedelta(seconds=6000 * i / spike), "kv_read",
                (dave, dave.secrets[1], dave.ips[0], None)) for i in range(spike)]

    erin = by["erin"]
    answers.append({"signal": "long_ttl_token", "actor": erin.entity_id, "actor_name": erin.display_name,
                    "token_ttl_s": 31536000, "events": 1, "first_seen": day(7, 11, 30).isoformat()})
    events.append((day(7, 11, 30), "token_create", (erin, erin.ips[0], 31536000)))

    alice = by["alice"]
    answers.append({"finding": "policy_change", "actor": alice.entity_id, "policy": "payments-admin",
                    "events": 1, "first_seen": day(4, 15, 2).isoformat()})
    events.append((day(4, 15, 2), "policy_write", (alice, "payments-admin", alice.ips[0])))

    answers.append({"finding": "root_token_use", "actor": "root", "events": 1, "first_seen": day(2, 9, 41).isoformat()})
    events.append((day(2, 9, 41), "kv_read", (root, "secret/prod/ledger/db", root.ips[0], None)))
    return sorted(events, key=lambda e: e[0]), answers


def synthesize(out_dir: str | Path, *, lines: int = 4000, seed: int = 7, start: str = "2026-10-01",
               days: int = 31) -> Answers:
    """Write vault_audit.log, inventory.json and answers.json into out_dir; return the answers."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    t0 = datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
    t_end = t0 + timedelta(days=days)
    gap = (t0 + timedelta(days=16), t0 + timedelta(days=16, hours=9))  # the audit device was off
    humans, services, root = _actors(rng)
    # a secret's usual reads a day: services read ~86% of ~90% of the traffic, 6-7 secrets each
    usual_reads = (lines / 2 / days) * 0.9 * 0.86 / len(SERVICES) / 6
    planted, planted_answers = _plant(t0, humans, services, root, spike=max(300, int(6 * usual_reads)))
    answers = Answers(seed=seed, start=t0.isoformat(), end=t_end.isoformat())
    answers.planted = planted_answers + [{"finding": "audit_gap", "gap_start": gap[0].isoformat(),
                                          "gap_end": gap[1].isoformat(), "hours": 9}]
    if lines < 2 * len(planted):
        from vaultlab.errors import VaultlabError

        raise VaultlabError(f"--lines must be at least {2 * len(planted)}: the planted findings alone take that many")
    background_pairs = lines // 2 - len(planted)  # records come in request/response pairs
    step = (days * 86400 - 9 * 3600) / max(background_pairs, 1)
    with open(out / "vault_audit.log", "w", encoding="utf-8") as fh:
        w = _Writer(fh, rng, answers)
        t, pending = t0, list(planted)
        for _ in range(background_pairs):
            t += timedelta(seconds=step * (0.5 + rng.random()))
            if gap[0] <= t < gap[1]:
                t = gap[1] + (t - gap[0])
            while pending and pending[0][0] <= t:
                _, kind, args = pending.pop(0)
                getattr(w, kind)(_, *args)
            _background(w, rng, t, humans, services)
        for ts, kind, args in pending:
            getattr(w, kind)(ts, *args)
    all_secrets = sorted({s for a in humans + services for s in a.secrets}
                         | {f"secret/prod/legacy/{n}" for n in ("ftp-password", "old-api-key", "partner-ssh")})
    answers.secrets_never_read = sorted(s for s in all_secrets if s not in w.read_paths
                                        and "secret/data/" + s.removeprefix("secret/") not in w.read_paths)
    _write_inventory(out / "inventory.json", all_secrets, t_end, rng)
    answers.planted += _write_policies(out / "policies", services)
    (out / "answers.json").write_text(json.dumps(answers.__dict__, indent=2, sort_keys=True) + "\n")
    return answers


def _background(w: _Writer, rng: random.Random, t: datetime, humans, services) -> None:
    office_hours = t.weekday() < 5 and 8 <= t.hour < 18
    if office_hours and rng.random() < 0.35:
        actor = rng.choice(humans)
        ip, roll = actor.ips[0], rng.random()
        if roll < 0.55:
            w.kv_read(t, actor, rng.choice(actor.secrets), ip)
        elif roll < 0.70:
            w.kv_list(t, actor, actor.secrets[0].removeprefix("secret/").rsplit("/", 1)[0] + "/", ip)
        elif roll < 0.80:  # never the planted overdue secret: a write would rotate it
            w.kv_write(t, actor, rng.choice([s for s in actor.secrets if s != OVERDUE_SECRET]), ip)
        elif roll < 0.92:
            w.login(t, actor, ip)
        elif roll < 0.96:
            w.pair(t, actor, "auth/token/lookup-self", "read", "token.other", mount="auth/token/",
                   mount_type="token", ip=ip)
        else:
            w.pair(t, actor, "sys/mounts", "read", "sys.other", mount="sys/", mount_type="system", ip=ip)
        return
    actor = rng.choice(services)
    ip, roll = rng.choice(actor.ips), rng.random()
    if roll < 0.86:
        w.kv_read(t, actor, rng.choice(actor.secrets), ip)
    elif roll < 0.96:
        w.login(t, actor, ip)
    else:
        w.pair(t, actor, "database/creds/readonly", "read", "secret.read", mount="database/",
               mount_type="database", ip=ip, response_data={"username": _hmac("u", t), "password": _hmac("p", t)})


def _policy(rules: list[tuple[str, list[str]]]) -> str:
    return "\n".join(f'path "{path}" {{\n  capabilities = {json.dumps(caps)}\n}}\n' for path, caps in rules)


def _write_policies(folder: Path, services: list[Actor]) -> list[dict]:
    """Approved policies in baseline/, today's in current/: one added, one changed."""
    baseline = {f"app-{app}": [(f"secret/data/{env}/{app}/*", ["read"]) for env in ENVIRONMENTS] for app in APPS}
    baseline |= {f"team-{app}": [(f"secret/data/+/{app}/*", ["create", "read", "update"]),
                                 (f"secret/metadata/+/{app}/*", ["list", "read"])] for app in APPS}
    current = {name: list(rules) for name, rules in baseline.items()}
    current["app-ci"] = current["app-ci"] + [("sys/mounts/*", ["read", "update"])]
    current["payments-admin"] = [("secret/*", ["create", "read", "update", "delete", "list"])]
    for kind, policies in (("baseline", baseline), ("current", current)):
        (folder / kind).mkdir(parents=True, exist_ok=True)
        for name, rules in policies.items():
            (folder / kind / f"{name}.hcl").write_text(_policy(rules))
    return [
        {"finding": "policy_drift", "policy": "app-ci", "change": "modified"},
        {"finding": "policy_drift", "policy": "payments-admin", "change": "added"},
        {"finding": "policy_finding", "policy": "app-ci", "path": "sys/mounts/*", "kind": "sys_write"},
        {"finding": "policy_finding", "policy": "payments-admin", "path": "secret/*", "kind": "wildcard_path"},
    ]


def _write_inventory(path: Path, secrets: list[str], as_of: datetime, rng: random.Random) -> None:
    """The inventory in the rotation planner's JSON format; one secret is planted overdue."""
    rows = []
    for name in secrets:
        kind = KINDS.get(name.rsplit("/", 1)[-1], "other")
        age = 200 if name == OVERDUE_SECRET else rng.randint(1, 25)
        rows.append({"name": name, "type": kind, "store": "vault",
                     "last_rotated": (as_of - timedelta(days=age)).date().isoformat(),
                     "owner": "team-" + name.split("/")[2], "environment": name.split("/")[1]})
    path.write_text(json.dumps(rows, indent=2) + "\n")
