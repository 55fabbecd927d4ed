"""Controls as data: frameworks map requirements to checks; checks are SQL returning
`resource, status, reason`; one run writes `control_results` and compares with the last run.

A check is written once (controls/checks/<name>.sql) and may serve all three frameworks. A
requirement with no automated check is `manual` and says what evidence a person attaches.
Accepted risks (exceptions) turn a matching alarm into `excepted` until they expire.

Statuses (the status model; never green without evidence):
  ok             the check's inputs cover the period and it found nothing wrong
  alarm          a finding
  excepted       an alarm covered by an accepted risk
  not_evaluated  its inputs are absent for the period (no audit events, no inventory, no policy
                 snapshot, no live collection in force)
  incomplete     its inputs cover only part of the period (an audit log that misses its start or
                 end, a snapshot taken more than snapshot_grace_days after its end)
  error          the check failed to run
  manual         evidence a person attaches
  info           a note beside a verdict (one row per actor listed, a snapshot's date, a rule
                 that does not apply); never evidence on its own
A check takes the worst status of its rows (info aside; a check with only info rows does not
apply; one that returned nothing is not_evaluated); a requirement the worst of its checks, and
is ok only when every automated check behind it is ok or excepted. not_evaluated and incomplete
fail like alarms: `check` exits 1 for them.
"""

from __future__ import annotations

import fnmatch
import json
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Protocol

import duckdb

from vaultlab import __version__
from vaultlab.controls.accepted_risks import AcceptedRisk, load_accepted_risks
from vaultlab.controls.catalog import (
    Framework,
    Requirement,
    load_check,
    load_framework,
    rotation_kind_thresholds,
)
from vaultlab.period import Period
from vaultlab.views import views_read
from vaultlab.warehouse import Warehouse


@dataclass
class CheckRun:
    run_id: str
    framework: Framework
    period: Period
    as_of: date
    results: list[dict]  # control_results rows
    requirement_status: dict[str, str]
    comparisons: list[Comparison]  # with the previous period's latest run, and this period's; [] if none
    expired_exceptions: list[AcceptedRisk]
    thresholds: dict[str, object]
    partial: bool = False  # the period has not ended: results so far

    @property
    def history(self) -> tuple[list[dict], list[dict]] | None:
        """(new, resolved) alarms since the first comparison's run; None when there is none."""
        return (self.comparisons[0].new, self.comparisons[0].resolved) if self.comparisons else None

    @property
    def exit_code(self) -> int:
        statuses = set(self.requirement_status.values())
        return 2 if "error" in statuses else 1 if statuses & {"alarm", *LACKING} else 0

    def lacking_evidence(self) -> str | None:
        """One line: how many requirements lack evidence and why (None when none does)."""
        lacking = [req for req, status in self.requirement_status.items() if status in LACKING]
        if not lacking:
            return None
        counts = ", ".join(f"{sum(self.requirement_status[r] == s for r in lacking)} {s}" for s in LACKING
                           if any(self.requirement_status[r] == s for r in lacking))
        reasons = dict.fromkeys(r["reason"] for r in self.results
                                if r["control_id"] in lacking and r["status"] in LACKING)
        return (f"{len(lacking)} requirement(s) lack evidence ({counts}): " + " ".join(reasons)).rstrip()


@dataclass
class Comparison:
    kind: str  # "previous period" or "same period"
    period: str  # the compared run's period label
    run_id: str
    started_at: datetime
    new: list[dict]
    resolved: list[dict]

    def describe(self) -> str:
        what = f"since {self.period}" if self.kind == "previous period" else f"since the last run of {self.period}"
        when = f"{self.started_at:%Y-%m-%d %H:%M} UTC"
        return f"{what} (run of {when}): {len(self.new)} new, {len(self.resolved)} resolved"


# worst first: a check takes the first status any of its rows has, a requirement that of its checks
SEVERITY = ("error", "alarm", "not_evaluated", "incomplete", "excepted", "manual", "ok")
LACKING = ("not_evaluated", "incomplete")


def _worst(statuses: set[str]) -> str:
    if statuses - set(SEVERITY):
        return "error"  # a status no one defined: the check is wrong
    return next(s for s in SEVERITY if s in statuses)


def check_status(rows: list[dict]) -> str:
    """A check's status from its rows: info rows are notes; nothing at all is no evidence."""
    statuses = {r["status"] for r in rows} - {"info"}
    if not statuses:
        return "info" if rows else "not_evaluated"
    return _worst(statuses)


def _requirement_status(rows: list[dict]) -> str:
    by_check: dict[str, list[dict]] = {}
    for row in rows:
        by_check.setdefault(row["check"], []).append(row)
    statuses = {check_status(mine) for mine in by_check.values()} - {"info"}
    return _worst(statuses) if statuses else "not_evaluated"


def _stated_threshold_rows(req: Requirement, thresholds: dict) -> list[dict]:
    """A requirement's stated limits (e.g. rotation within 90 days) against the configured values."""
    rows = []
    for name, limit in req.thresholds.items():
        names = rotation_kind_thresholds() if name == "rotation_days_max" else [name.removesuffix("_max")]
        for configured in names:
            value = float(thresholds[configured])
            ok = value <= float(limit)
            rows.append({"check": "stated_thresholds", "resource": configured, "status": "ok" if ok else "alarm",
                         "reason": f"{configured} is {thresholds[configured]}; {req.id} allows at most {limit}."})
    return rows


class CheckEngine(Protocol):
    """What the check runner needs of an engine: the thresholds, one query with bound parameters (the
    earlier runs in check_runs), and the checks evaluated for a period. A `Warehouse` is one (DuckDB,
    `evaluate_checks` below); vaultlab.lake.spark.SparkLake another."""

    thresholds: dict[str, object]

    def query(self, query: str, params: list | None = None) -> tuple[list[str], list[tuple]]: ...


def evaluate_checks(wh: Warehouse, period: Period, checks: dict[str, str],
                    views_once: bool = True) -> tuple[tuple, dict[str, list[dict]]]:
    """((as-of date, period start, period end), {check: result rows}) of the checks' SQL on DuckDB; a
    check that fails gives one error row. The views the checks read are computed once (`views_once`;
    False: each check computes the views it reads itself, as any DuckDB client would)."""
    computed = wh.views_computed(period, views_read(*checks.values())) if views_once else nullcontext()
    outcomes: dict[str, list[dict]] = {}
    with computed, wh.session(period) as cur:
        as_of = cur.execute("select vl_as_of_date(), vl_period_start(), vl_period_end()").fetchall()[0]
        for check, text in checks.items():
            try:
                rows = cur.execute(text).fetchall()
                outcomes[check] = [{"check": check, "resource": r[0], "status": r[1], "reason": r[2]} for r in rows]
            except duckdb.Error as err:
                outcomes[check] = [{"check": check, "resource": None, "status": "error",
                                    "reason": f"the check failed: {str(err).splitlines()[0]}"}]
    return as_of, outcomes


def run_checks(wh: Warehouse | CheckEngine, framework: str, period: Period, *,
               exceptions_path: str | Path | None = None, record: bool = True, partial: bool = False,
               views_once: bool = True) -> CheckRun:
    """Run every check a framework needs, once each, and map the results to its requirements.

    A future period is an error; one not ended yet only with `partial` (results so far). `wh` is a
    warehouse, or another engine (CheckEngine); `record=False` writes nothing (a lake is read-only).
    On DuckDB the views the checks read are computed once for the run (`views_once`)."""
    is_partial = period.check_ended(partial)
    fw = load_framework(framework)
    exceptions = load_accepted_risks(exceptions_path)
    needed = sorted({c for r in fw.requirements for c in r.checks})
    checks = {c: load_check(c).sql for c in needed}
    if hasattr(wh, "evaluate_checks"):  # another engine (Spark over a lake)
        as_of, outcomes = wh.evaluate_checks(period, checks)
    else:
        as_of, outcomes = evaluate_checks(wh, period, checks, views_once)
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
                   requirement_status=req_status, comparisons=[], expired_exceptions=expired,
                   thresholds=dict(wh.thresholds), partial=is_partial)
    run.comparisons = _compare_with_previous(wh, run, p_start, p_end)
    if record:
        _record(wh, run, p_start, p_end, exceptions_path)
    return run




def _alarm_keys(rows) -> set[tuple]:
    return {_key(r) for r in rows if r["status"] == "alarm"}


# the previous period's latest run (the latest-ending period that ends by this one's start), and
# the latest earlier run of this same period
_PREVIOUS = {
    "previous period": "select run_id, period, started_at from check_runs where framework = ? "
                       "and period_end <= ? order by period_end desc, started_at desc limit 1",
    "same period": "select run_id, period, started_at from check_runs where framework = ? "
                   "and period_start = ? and period_end = ? order by started_at desc limit 1",
}


def _compare_with_previous(wh: Warehouse, run: CheckRun, p_start, p_end) -> list[Comparison]:
    """Alarms new and resolved since the previous period's latest run and since this period's last run."""
    comparisons = []
    for kind, query in _PREVIOUS.items():
        params = [run.framework.id, p_start] if kind == "previous period" else [run.framework.id, p_start, p_end]
        _, last = wh.query(query, params)
        if not last:
            continue
        run_id, label, started_at = last[0]
        cols, prev = wh.query('select control_id, "check", resource, status, reason from control_results '
                              "where run_id = ?", [run_id])
        previous = [dict(zip(cols, r)) for r in prev]
        before, now = _alarm_keys(previous), _alarm_keys(run.results)
        new = [r for r in run.results if r["status"] == "alarm" and _key(r) not in before]
        resolved = [r for r in previous if r["status"] == "alarm" and _key(r) not in now]
        comparisons.append(Comparison(kind, label, run_id, started_at.astimezone(timezone.utc), new, resolved))
    return comparisons


def _key(row: dict) -> tuple:
    return row["control_id"], row["check"], row["resource"]


def _record(wh: Warehouse, run: CheckRun, p_start, p_end, exceptions_path) -> None:
    with wh.transaction() as cur:
        cur.execute("insert into check_runs values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [run.run_id, run.framework.id, run.period.label, p_start, p_end,
                     datetime.now(timezone.utc), json.dumps(run.thresholds, default=str),
                     str(exceptions_path) if exceptions_path else None, __version__])
        rows = [[run.run_id, r["framework"], r["control_id"], r["check"], r["resource"], r["status"],
                 r["reason"], json.dumps(r["exception"]) if r["exception"] else None] for r in run.results]
        # one statement for every row (executemany runs one insert per row: ~1 ms each)
        cur.execute("insert into control_results select " + ", ".join(f"unnest(${i}::varchar[])" for i in range(1, 9)),
                    [list(column) for column in zip(*rows)] if rows else [[]] * 8)
