"""Controls as data: frameworks map requirements to checks; checks are SQL returning
`resource, status, reason`; one run writes `control_results` and compares with the last run.

A check is written once (controls/checks/<name>.sql) and may serve all three frameworks. A
requirement with no automated check is `manual` and says what evidence a person attaches.
Accepted risks (exceptions) turn a matching alarm into `excepted` until they expire.
"""

from __future__ import annotations

import fnmatch
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from importlib.resources import files
from pathlib import Path

import duckdb

from . import __version__
from .errors import VaultlabError
from .safe_yaml import load_yaml_file, load_yaml_text
from .sqlutil import quote_ident
from .views import VIEWS, Period
from .warehouse import Warehouse

FRAMEWORKS = ("soc2", "iso27001", "hipaa")
STATUSES = ("ok", "alarm", "skip", "info", "error", "manual", "excepted")
# which thresholds each check applies, so that a report can state them
CHECK_THRESHOLDS = {
    "rotation_overdue": ["rotation_days_database", "rotation_days_password", "rotation_days_api_key",
                         "rotation_days_ssh_key", "rotation_days_encryption_key", "rotation_days_oauth_secret",
                         "rotation_days_service_token", "rotation_days_other", "tls_renew_before_days",
                         "due_soon_days"],
    "orphaned_secrets": ["orphan_days"],
    "anomalous_access": ["baseline_days", "new_ip_prefix", "volume_spike_factor", "volume_min_reads",
                         "business_hours_start", "business_hours_end", "business_days", "business_timezone",
                         "broad_access_secrets", "multi_ip_actor_ips"],
    "failed_access": ["failed_auth_count", "failed_auth_window_minutes", "denied_min"],
    "long_lived_tokens": ["token_max_ttl_hours"],
    "token_lifetimes": ["token_max_ttl_hours"],
    "audit_log_continuity": ["audit_gap_factor", "audit_gap_min_hours"],
}
ROTATION_KIND_THRESHOLDS = [t for t in CHECK_THRESHOLDS["rotation_overdue"] if t.startswith("rotation_days_")]


@dataclass
class Requirement:
    id: str
    title: str
    text: str
    checks: list[str] = field(default_factory=list)
    manual: str | None = None
    thresholds: dict[str, float] = field(default_factory=dict)  # limits the requirement states

    @property
    def applied_thresholds(self) -> list[str]:
        return sorted({t for c in self.checks for t in CHECK_THRESHOLDS.get(c, [])})


@dataclass
class Framework:
    id: str
    name: str
    requirements: list[Requirement]


def load_framework(framework: str) -> Framework:
    if framework not in FRAMEWORKS:
        raise VaultlabError(f"unknown framework {framework!r}; choose one of {', '.join(FRAMEWORKS)}")
    data = load_yaml_text((files("vaultlab.catalog") / f"{framework}.yaml").read_text(), f"{framework}.yaml")
    reqs = [Requirement(id=str(r["id"]), title=r["title"], text=r["text"], checks=r.get("checks", []),
                        manual=r.get("manual"), thresholds=r.get("thresholds", {}))
            for r in data["requirements"]]
    for req in reqs:
        for check in req.checks:
            if not (files("vaultlab.catalog") / "checks" / f"{check}.sql").is_file():
                raise VaultlabError(f"{framework}.yaml: requirement {req.id} names unknown check {check}")
    return Framework(data["framework"], data["name"], reqs)


def check_sql(check: str) -> str:
    return (files("vaultlab.catalog") / "checks" / f"{check}.sql").read_text()


@dataclass
class Exception_:
    check: str
    resource: str  # fnmatch pattern
    reason: str
    approver: str
    ticket: str
    expires: date

    def as_dict(self) -> dict:
        return {"check": self.check, "resource": self.resource, "reason": self.reason,
                "approver": self.approver, "ticket": self.ticket, "expires": self.expires.isoformat()}


MAX_EXCEPTIONS_BYTES = 4 << 20  # an exceptions file is a few KB


def load_exceptions(path: str | Path | None) -> list[Exception_]:
    if not path:
        return []
    path = Path(path)
    if not path.is_file():
        raise VaultlabError(f"exceptions file {path} does not exist")
    data = load_yaml_file(path, "exceptions file", max_bytes=MAX_EXCEPTIONS_BYTES) or []
    if isinstance(data, dict):
        data = data.get("exceptions", [])
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise VaultlabError(f"{path}: the exceptions are not a list of mappings (check, resource, reason, "
                            "approver, ticket, expires)")
    out = []
    for n, item in enumerate(data, start=1):
        missing = [k for k in ("check", "resource", "reason", "approver", "ticket", "expires") if not item.get(k)]
        if missing:
            raise VaultlabError(f"{path}: exception {n} lacks {', '.join(missing)}")
        expires = item["expires"]
        if not isinstance(expires, date):
            try:
                expires = date.fromisoformat(str(expires))
            except ValueError:
                raise VaultlabError(f"{path}: exception {n} expires {expires!r} is not a date (YYYY-MM-DD)") from None
        out.append(Exception_(str(item["check"]), str(item["resource"]), str(item["reason"]),
                              str(item["approver"]), str(item["ticket"]), expires))
    return out


@dataclass
class CheckRun:
    run_id: str
    framework: Framework
    period: Period
    as_of: date
    results: list[dict]  # control_results rows
    requirement_status: dict[str, str]
    history: tuple[list[dict], list[dict]] | None  # (new, resolved) since the last run; None if first
    expired_exceptions: list[Exception_]
    thresholds: dict[str, object]

    @property
    def exit_code(self) -> int:
        statuses = set(self.requirement_status.values())
        return 2 if "error" in statuses else 1 if "alarm" in statuses else 0


def _requirement_status(rows: list[dict]) -> str:
    statuses = {r["status"] for r in rows}
    for status in ("error", "alarm", "excepted", "manual"):
        if status in statuses:
            return status
    if statuses and statuses <= {"skip"}:
        return "skip"
    return "ok"


def _stated_threshold_rows(req: Requirement, thresholds: dict) -> list[dict]:
    """A requirement's stated limits (e.g. rotation within 90 days) against the configured values."""
    rows = []
    for name, limit in req.thresholds.items():
        names = ROTATION_KIND_THRESHOLDS if name == "rotation_days_max" else [name.removesuffix("_max")]
        for configured in names:
            value = float(thresholds[configured])
            ok = value <= float(limit)
            rows.append({"check": "stated_thresholds", "resource": configured, "status": "ok" if ok else "alarm",
                         "reason": f"{configured} is {thresholds[configured]}; {req.id} allows at most {limit}."})
    return rows


def run_checks(wh: Warehouse, framework: str, period: Period, *, exceptions_path: str | Path | None = None,
               record: bool = True) -> CheckRun:
    """Run every check a framework needs, once each, and map the results to its requirements."""
    fw = load_framework(framework)
    exceptions = load_exceptions(exceptions_path)
    needed = sorted({c for r in fw.requirements for c in r.checks})
    outcomes: dict[str, list[dict]] = {}
    with wh.session(period) as cur:
        as_of = cur.execute("select vl_as_of_date(), vl_period_start(), vl_period_end()").fetchall()[0]
        # each view once: checks read these session-local tables, which shadow the views
        for view in VIEWS:
            try:
                cur.execute("create temp table " + quote_ident(view) + " as select * from main." + quote_ident(view))
            except duckdb.Error:
                pass  # the checks that read it will fail, each with its own error
        for check in needed:
            try:
                rows = cur.execute(check_sql(check)).fetchall()
                outcomes[check] = [{"check": check, "resource": r[0], "status": r[1], "reason": r[2]} for r in rows]
            except duckdb.Error as err:
                outcomes[check] = [{"check": check, "resource": None, "status": "error",
                                    "reason": f"the check failed: {str(err).splitlines()[0]}"}]
    as_of_date, p_start, p_end = as_of
    active = [e for e in exceptions if e.expires >= as_of_date]
    expired = [e for e in exceptions if e.expires < as_of_date]
    results, req_status = [], {}
    for req in fw.requirements:
        rows = [{"check": "manual", "resource": None, "status": "manual", "reason": req.manual}] if req.manual else []
        rows += [dict(r) for c in req.checks for r in outcomes[c]]
        rows += _stated_threshold_rows(req, wh.thresholds)
        for row in rows:
            row["exception"] = None
            if row["status"] == "alarm":
                match = next((e for e in active if e.check == row["check"]
                              and fnmatch.fnmatchcase(row["resource"] or "", e.resource)), None)
                if match:
                    row["status"], row["exception"] = "excepted", match.as_dict()
            row.update(control_id=req.id, framework=fw.id)
        req_status[req.id] = _requirement_status(rows)
        results += rows
    run = CheckRun(run_id=str(uuid.uuid4()), framework=fw, period=period, as_of=as_of_date, results=results,
                   requirement_status=req_status, history=None, expired_exceptions=expired,
                   thresholds=dict(wh.thresholds))
    run.history = _compare_with_previous(wh, run)
    if record:
        _record(wh, run, p_start, p_end, exceptions_path)
    return run


def _alarm_keys(rows) -> set[tuple]:
    return {_key(r) for r in rows if r["status"] == "alarm"}


def _compare_with_previous(wh: Warehouse, run: CheckRun) -> tuple[list[dict], list[dict]] | None:
    """Alarms new since the previous run of this framework, and those resolved; None on a first run."""
    _, last = wh.query("select run_id from check_runs where framework = ? order by started_at desc limit 1",
                       [run.framework.id])
    if not last:
        return None
    cols, prev = wh.query('select control_id, "check", resource, status, reason from control_results '
                          "where run_id = ?", [last[0][0]])
    previous = [dict(zip(cols, r)) for r in prev]
    before, now = _alarm_keys(previous), _alarm_keys(run.results)
    new = [r for r in run.results if r["status"] == "alarm" and _key(r) not in before]
    resolved = [r for r in previous if r["status"] == "alarm" and _key(r) not in now]
    return new, resolved


def _key(row: dict) -> tuple:
    return row["control_id"], row["check"], row["resource"]


def _record(wh: Warehouse, run: CheckRun, p_start, p_end, exceptions_path) -> None:
    with wh.transaction() as cur:
        cur.execute("insert into check_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run.run_id, run.framework.id, run.period.label, p_start, p_end,
                     datetime.now(timezone.utc), json.dumps(run.thresholds, default=str),
                     str(exceptions_path) if exceptions_path else None, __version__])
        cur.executemany("insert into control_results values (?, ?, ?, ?, ?, ?, ?, ?)",
                        [[run.run_id, r["framework"], r["control_id"], r["check"], r["resource"], r["status"],
                          r["reason"], json.dumps(r["exception"]) if r["exception"] else None]
                         for r in run.results])
