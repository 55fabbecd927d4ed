"""`vaultlab check` output: per requirement its status and failing resources, in four formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from vaultlab import output
from vaultlab.controls.run import LACKING, CheckRun

FORMATS = ("table", "json", "csv", "junit")


def partial_note(run: CheckRun) -> str | None:
    """What every output of a run over a period not ended yet says first."""
    if not run.partial:
        return None
    return (f"PARTIAL: the period {run.period.label} has not ended; these are its results so far "
            f"(as of {run.as_of}), not a verdict on the whole period.")


def comparison_lines(run: CheckRun) -> list[str]:
    """What the run is compared with: the previous period's latest run, and this period's last run."""
    if not run.comparisons:
        return ["first run of this framework for this period or an earlier one: nothing to compare with"]
    return [c.describe() for c in run.comparisons]


def _summary_rows(run: CheckRun) -> list[tuple]:
    rows = []
    for req in run.framework.requirements:
        mine = [r for r in run.results if r["control_id"] == req.id]
        alarms = sum(r["status"] == "alarm" for r in mine)
        excepted = sum(r["status"] == "excepted" for r in mine)
        rows.append((req.id, req.title, run.requirement_status[req.id], alarms, excepted,
                     ", ".join(req.checks) or "manual"))
    return rows


def as_json(run: CheckRun) -> str:
    new, resolved = run.history or ([], [])
    return json.dumps({
        "run_id": run.run_id, "framework": run.framework.id, "period": run.period.label,
        "as_of": run.as_of.isoformat(), "partial": run.partial, "exit_code": run.exit_code,
        "lacking_evidence": run.lacking_evidence(), "thresholds": run.thresholds,
        "requirements": [
            {"id": req.id, "title": req.title, "status": run.requirement_status[req.id], "checks": req.checks,
             "manual": req.manual, "thresholds": {t: run.thresholds[t] for t in req.applied_thresholds},
             "results": [{k: r[k] for k in ("check", "resource", "status", "reason", "exception")}
                         for r in run.results if r["control_id"] == req.id]}
            for req in run.framework.requirements],
        "first_run": run.history is None,
        "new": [_finding(r) for r in new], "resolved": [_finding(r) for r in resolved],
        "comparisons": [{"kind": c.kind, "period": c.period, "run_id": c.run_id, "started_at": c.started_at,
                         "summary": c.describe(), "new": [_finding(r) for r in c.new],
                         "resolved": [_finding(r) for r in c.resolved]} for c in run.comparisons],
        "expired_exceptions": [e.as_dict() for e in run.expired_exceptions],
    }, indent=2, default=str) + "\n"


def _finding(row: dict) -> dict:
    return {k: row[k] for k in ("control_id", "check", "resource", "reason")}


def as_csv(run: CheckRun) -> str:
    cols = ["framework", "control_id", "check", "resource", "status", "reason"]
    return output.render(cols, [tuple(r[c] for c in cols) for r in run.results], "csv")


def as_junit(run: CheckRun) -> str:
    """One test suite per framework, one test case per requirement; alarms, missing evidence
    (not_evaluated, incomplete) and errors fail it."""
    statuses = run.requirement_status.values()
    partial = " (partial: the period has not ended)" if run.partial else ""
    suite = ET.Element("testsuite", name=f"vaultlab {run.framework.id} {run.period.label}{partial}",
                       tests=str(len(run.requirement_status)),
                       failures=str(sum(s in ("alarm", *LACKING) for s in statuses)),
                       errors=str(sum(s == "error" for s in statuses)),
                       skipped=str(sum(s == "manual" for s in statuses)))
    for req in run.framework.requirements:
        case = ET.SubElement(suite, "testcase", classname=f"vaultlab.{run.framework.id}",
                             name=f"{req.id} {req.title}")
        status = run.requirement_status[req.id]
        mine = [r for r in run.results if r["control_id"] == req.id]
        lines = "\n".join(f"[{r['status']}] {r['check']}: {r['resource'] or ''}: {r['reason']}"
                          for r in mine if r["status"] in ("alarm", "error", "excepted", *LACKING))
        if status == "alarm":
            alarms = sum(r["status"] == "alarm" for r in mine)
            ET.SubElement(case, "failure", message=f"{alarms} finding(s)").text = lines
        elif status in LACKING:
            ET.SubElement(case, "failure", message=f"{status}: its checks lack evidence for the period").text = lines
        elif status == "error":
            ET.SubElement(case, "error", message="a check failed").text = lines
        elif status == "manual":
            ET.SubElement(case, "skipped", message=req.manual or "evidence a person attaches")
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


# status words on a terminal: green, red, magenta, yellow, blue, grey
STATUS_COLOURS = {"ok": "32", "alarm": "31", "error": "35", "excepted": "33", "manual": "34",
                  "not_evaluated": "31;1", "incomplete": "31;1", "info": "90"}


def as_table(run: CheckRun, width: int | None = None, colour: bool = False) -> str:
    parts = [f"{run.framework.name}\nperiod {run.period.label}, as of {run.as_of}, run {run.run_id}\n"]
    if run.partial:
        parts.append(partial_note(run) + "\n")
    parts.append("\n")
    colours = STATUS_COLOURS if colour else None
    parts.append(output.render(["requirement", "title", "status", "alarms", "excepted", "checks"],
                               _summary_rows(run), "table", max_cell=60, width=width, colours=colours))
    findings: dict[tuple, list[str]] = {}  # one line per finding, with every requirement it fails
    for r in run.results:
        if r["status"] in ("alarm", "error", "excepted", *LACKING):
            findings.setdefault((r["check"], r["resource"], r["status"], r["reason"]), []).append(r["control_id"])
    if findings:
        parts.append("\nfindings\n")
        parts.append(output.render(["check", "resource", "status", "requirements", "reason"],
                                   [(c, res, st, " ".join(reqs), why) for (c, res, st, why), reqs in findings.items()],
                                   "table", width=width, colours=colours))
    parts.append("\n")
    for line in comparison_lines(run):
        parts.append(line + "\n")
    if run.comparisons:
        for tag, rows in (("new", run.comparisons[0].new), ("resolved", run.comparisons[0].resolved)):
            for r in rows:
                parts.append(output.visible(f"  {tag:8s} {r['control_id']} {r['check']}: {r['resource']}") + "\n")
    for e in run.expired_exceptions:
        parts.append("\n" + output.visible(f"expired exception (no longer applied): {e.check} {e.resource} "
                                            f"(ticket {e.ticket}, approved by {e.approver}, expired {e.expires})")
                     + "\n")
    lacking = run.lacking_evidence()
    if lacking:
        parts.append("\n" + output.visible(lacking) + "\n")
    return "".join(parts)


def render(run: CheckRun, fmt: str, *, width: int | None = None, colour: bool = False) -> str:
    """`width` and `colour` apply to the table on a terminal; piped output is plain and whole."""
    if fmt == "table":
        return as_table(run, width, colour)
    return {"json": as_json, "csv": as_csv, "junit": as_junit}[fmt](run)
