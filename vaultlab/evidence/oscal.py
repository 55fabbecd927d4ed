"""OSCAL Assessment Results (`assessment-results.json`) for an evidence pack, built with
compliance-trestle's OSCAL models (pydantic), never as hand-written JSON.

One result for the run; a finding per requirement, whose target (an objective id, the requirement
id) is `satisfied` only when the requirement is ok: alarm, error, excepted, manual, not_evaluated
and incomplete are `not-satisfied`, with vaultlab's status as the reason and its reasons in the
remarks. Observations point at the pack's files (evidence/<table>.csv, controls.json, samples/)
with their SHA-256: one per check, and one per result row that is not ok. Accepted risks are
risks with status `deviation-approved` (or `open` once expired), their approver, ticket and expiry.

UUIDs are version 5, derived from the run's inputs (framework, period, requirement, check,
resource, ...), and every time in the document comes from the period, never the clock, but for
`metadata.last-modified` (when it was generated) and the run id (a prop of the result): two renders
of the same period differ in those two values only.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, time, timezone
from pathlib import Path

from trestle.oscal import OSCAL_VERSION, common
from trestle.oscal import assessment_results as ar

from vaultlab import __version__
from vaultlab.controls.accepted_risks import AcceptedRisk
from vaultlab.controls.catalog import load_check
from vaultlab.evidence.manifest import file_digest

FILE = "assessment-results.json"
NS = "urn:vaultlab:oscal"  # the namespace of vaultlab's own props
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, NS)
NOT_OK = ("alarm", "error", "excepted", "not_evaluated", "incomplete")  # result rows that get an observation
MAX_REASONS = 20  # reasons quoted in one finding's remarks; the rest are in controls.json


def stable_uuid(*parts: object) -> str:
    """A UUID v5 of the parts: the same inputs give the same id on any machine."""
    return str(uuid.uuid5(NAMESPACE, "\x1f".join("" if p is None else str(p) for p in parts)))


def objective_id(framework: str, requirement: str) -> str:
    """A requirement id as an OSCAL token (a letter or `_` first; letters, digits, `.`, `-`, `_`):
    CC6.1 stays; 5.9 becomes iso27001_5.9 and 164.312(a)(1) hipaa_164.312_a_1. The real id is a prop."""
    token = re.sub(r"[^A-Za-z0-9._-]+", "_", requirement).strip("_")
    return token if re.match(r"[A-Za-z_]", token) else f"{framework}_{token}"


def _line(value: object) -> str:
    """Text on one line with single blanks (OSCAL titles and prop values; log fields may hold newlines)."""
    return " ".join(str(value).split()) or "-"


def _prop(name: str, value: object) -> common.Property:
    return common.Property(name=name, value=_line(value), ns=NS)


def _moment(text: str | None, fallback: datetime) -> datetime:
    if not text:
        return fallback
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _evidence(pack: Path, href: str, description: str) -> common.RelevantEvidence:
    digest = file_digest(pack / href)
    return common.RelevantEvidence(href=href, description=description, props=[_prop("sha256", digest)],
                                   remarks=f"SHA-256 {digest}")


def _reasons(rows: list[dict], status: str) -> str:
    """The distinct reasons of the rows that gave the requirement its status, a line each."""
    reasons = list(dict.fromkeys(r["reason"] for r in rows if r["status"] == status and r["reason"]))
    shown = reasons[:MAX_REASONS]
    more = len(reasons) - len(shown)
    return "\n\n".join(shown) + (f"\n\n… and {more} more reason(s) in controls.json." if more else "")


def assessment_results(pack: Path, *, run_id: str, generated_at: datetime,
                       accepted_risks: list[AcceptedRisk]) -> ar.AssessmentResults:
    """The pack's Assessment Results, from its controls.json and the files beside it."""
    doc = json.loads((pack / "controls.json").read_text(encoding="utf-8"))
    fw, period = doc["framework"], doc["period"]
    as_of = datetime.combine(date.fromisoformat(doc["as_of"]), time(0), timezone.utc)
    end = _moment(doc["period_end"], as_of)
    start = _moment(doc["period_start"], end)

    def uid(*parts):
        return stable_uuid(fw, period, *parts)

    observations: dict[str, common.Observation] = {}
    check_obs = {check: uid("observation", check) for req in doc["requirements"] for check in req["checks"]}
    for req in doc["requirements"]:
        for check in req["checks"]:
            if check_obs[check] not in observations:
                observations[check_obs[check]] = _check_observation(pack, doc, req, check, check_obs[check], end)
    risks = _risks(doc, accepted_risks, uid, end)
    findings = []
    for req in doc["requirements"]:
        row_obs = []
        for row in req["results"]:
            if row["status"] not in NOT_OK:
                continue
            key = uid("observation", row["check"], row["resource"], row["status"], row["reason"])
            if key not in observations:
                observations[key] = _row_observation(row, key, check_obs.get(row["check"]), observations, end)
            row_obs.append(key)
        findings.append(_finding(req, objective_id(fw, req["id"]), uid("finding", req["id"]),
                                 [check_obs[c] for c in req["checks"]] + row_obs,
                                 [r["uuid"] for r in risks.values() if _excepts(r["risk"], req)]))
    for entry in risks.values():
        excepted = [uid("observation", row["check"], row["resource"], row["status"], row["reason"])
                    for req in doc["requirements"] for row in req["results"]
                    if row["exception"] == entry["risk"].as_dict()]
        if excepted:
            entry["model"].related_observations = [common.RelatedObservation(observation_uuid=o)
                                                   for o in dict.fromkeys(excepted)]
    result = ar.Result(
        uuid=uid("result"), title=_line(f"{doc['framework_name']}, {period}"),
        description=(f"vaultlab's automated assessment of {doc['framework_name']} for {period} "
                     f"(as of {doc['as_of']}): one finding per requirement."),
        start=start, end=end,
        props=[_prop("run-id", run_id), _prop("framework", fw), _prop("period", period), _prop("as-of", doc["as_of"])],
        reviewed_controls=common.ReviewedControls(control_selections=[common.ControlSelections(
            include_controls=[common.SelectControlById(control_id=objective_id(fw, r["id"]))
                              for r in doc["requirements"]])]),
        observations=list(observations.values()) or None,
        risks=[e["model"] for e in risks.values()] or None, findings=findings or None)
    return ar.AssessmentResults(
        uuid=uid("assessment-results"),
        metadata=common.Metadata(title=_line(f"vaultlab assessment results: {doc['framework_name']}, {period}"),
                                 last_modified=generated_at, version=__version__,
                                 oscal_version=common.OscalVersion(OSCAL_VERSION),
                                 props=[_prop("generator", f"vaultlab {__version__}")]),
        import_ap=ar.ImportAp(href="controls.json", remarks=(
            "No OSCAL assessment plan: the framework's requirements, the checks behind each and the "
            "thresholds applied are in controls.json of this pack.")),
        results=[result])


def _check_observation(pack: Path, doc: dict, req: dict, check: str, key: str, end: datetime) -> common.Observation:
    """One check's outcome: its rows by status, and the evidence files it rests on."""
    rows = [r for r in req["results"] if r["check"] == check]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no rows (not_evaluated)"
    title = load_check(check).title
    evidence = [_evidence(pack, "controls.json", f"the results of every check, {check}'s among them")]
    for table in load_check(check).evidence:
        evidence.append(_evidence(pack, f"evidence/{table}.csv",
                                  f"evidence table {table}: the complete population the check {check} reads"))
        if (pack / "samples" / f"{table}.csv").is_file():
            evidence.append(_evidence(pack, f"samples/{table}.csv",
                                      f"a reproducible random sample of {table} (seed and command in "
                                      "samples/index.json)"))
    return common.Observation(uuid=key, title=_line(f"{check}: {title}"),
                              description=f"The check {check} ({title}): {summary}.", props=[_prop("check", check)],
                              methods=["TEST"], collected=end, relevant_evidence=evidence)


def _row_observation(row: dict, key: str, check_key: str | None, observations: dict,
                     end: datetime) -> common.Observation:
    """One result row that is not ok: the check, the resource, the status and its reason."""
    parent = observations.get(check_key) if check_key else None
    props = [_prop("check", row["check"]), _prop("status", row["status"])]
    if row["resource"]:
        props.append(_prop("resource", row["resource"]))
    return common.Observation(
        uuid=key, title=_line(f"{row['check']} {row['status']}: {row['resource'] or '(no resource)'}"),
        description=row["reason"] or row["status"], props=props, methods=["TEST"],
        types=["finding"] if row["status"] in ("alarm", "excepted") else None, collected=end,
        relevant_evidence=parent.relevant_evidence if parent else None)


def _finding(req: dict, target_id: str, key: str, related: list[str], risk_keys: list[str]) -> common.Finding:
    status = req["status"]
    satisfied = status == "ok"
    if satisfied:
        remarks = "Every automated check behind it is ok for the period."
    elif status == "manual":
        remarks = f"No automated evidence decides it; evidence to attach: {req['manual']}"
    else:
        remarks = _reasons(req["results"], status) or status
    target = common.FindingTarget(
        type=common.FindingTargetTypeValidValues.objective_id, target_id=target_id,
        title=_line(f"{req['id']} {req['title']}"),
        status=common.ObjectiveStatus(
            state=common.ObjectiveStatusStateValidValues.satisfied if satisfied
            else common.ObjectiveStatusStateValidValues.not_satisfied,
            reason=status, remarks=remarks))
    return common.Finding(
        uuid=key, title=_line(f"{req['id']} {req['title']}"), description=req["text"],
        props=[_prop("requirement", req["id"]), _prop("status", status)],
        target=target, related_observations=[common.RelatedObservation(observation_uuid=o)
                                             for o in dict.fromkeys(related)] or None,
        related_risks=[common.AssociatedRisk(risk_uuid=r) for r in risk_keys] or None)


def _excepts(risk: AcceptedRisk, req: dict) -> bool:
    return any(row["exception"] == risk.as_dict() for row in req["results"])


def _risks(doc: dict, accepted: list[AcceptedRisk], uid, end: datetime) -> dict[str, dict]:
    """The accepted risks for the framework's checks: deviation-approved until they expire."""
    checks = {c for req in doc["requirements"] for c in req["checks"]}
    out = {}
    for risk in accepted:
        if risk.check not in checks:
            continue
        key = uid("risk", risk.check, risk.resource, risk.ticket)
        live = risk.expires >= date.fromisoformat(doc["as_of"])  # as run_checks applies them
        model = common.Risk(
            uuid=key, title=_line(f"Accepted risk: {risk.check} on {risk.resource}"), description=risk.reason,
            statement=(f"Deviation approved by {risk.approver} (ticket {risk.ticket}) until "
                       f"{risk.expires.isoformat()}: alarms of the check {risk.check} on resources matching "
                       f"{risk.resource} are reported as "
                       + ("excepted." if live else "alarms again, since the deviation has expired.")),
            props=[_prop("check", risk.check), _prop("resource-pattern", risk.resource),
                   _prop("approver", risk.approver), _prop("ticket", risk.ticket),
                   _prop("expires", risk.expires.isoformat()), _prop("deviation", "approved" if live else "expired")],
            status=common.RiskStatus(common.RiskStatusValidValues.deviation_approved if live
                                     else common.RiskStatusValidValues.open),
            deadline=datetime.combine(risk.expires, time(23, 59, 59), timezone.utc))
        out[key] = {"uuid": key, "risk": risk, "model": model}
    return out


def write_assessment_results(pack: Path, *, run_id: str, generated_at: datetime,
                             accepted_risks: list[AcceptedRisk]) -> Path:
    """assessment-results.json in the pack (OSCAL JSON, as trestle writes it)."""
    path = pack / FILE
    assessment_results(pack, run_id=run_id, generated_at=generated_at, accepted_risks=accepted_risks).oscal_write(path)
    return path
