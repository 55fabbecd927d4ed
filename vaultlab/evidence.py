"""The evidence behind a check run: complete tables and controls.json, byte-for-byte reproducible.

Rendering the same period twice from the same warehouse writes identical files: tables are
fully ordered, and nothing here depends on the wall clock or the run id.
"""

from __future__ import annotations

import json
from pathlib import Path

from .controls import CheckRun
from .output import write_csv
from .warehouse import Warehouse

# evidence table -> the query that produces it (over the views, for the run's period)
TABLES = {
    "rotation_status": "select * from rotation_status",
    "orphaned_secrets": "select * from orphaned_secrets",
    "access_inventory": "select * from access_inventory",
    "anomalies": "select * from anomalies",
    "audit_gaps": "select * from audit_gaps",
    "policy_drift": "select * from policy_drift",
    "policy_changes": "select * from policy_changes",
    "policy_findings": "select * from policy_findings",
    "root_token_use": """select ts, actor_name, src_ip, category, resource, outcome, path from events
                         where actor_type = 'root' and ts >= vl_period_start() and ts < vl_period_end()""",
    "input_files": """select file_id, path, sha256, bytes, format, lines_read, events_loaded, duplicates,
                             quarantined, log_raw from ingest_files""",
    "live_vault": """select r.source, r.taken_at, f.kind, f.name, f.data from collect_runs r join collected_facts f
                     using (run_id) where r.store = 'vault' and f.kind in ('audit_devices', 'mounts', 'tokens')
                     qualify dense_rank() over (partition by r.source order by r.taken_at desc) = 1""",
    "collect_gaps": """select r.source, r.taken_at, g.path, g.reason
                       from collect_runs r join collect_gaps g using (run_id)
                       qualify dense_rank() over (partition by r.source order by r.taken_at desc) = 1""",
    "log_integrity": """select r.location, r.checked_at, r.valid_digests, r.valid_log_files, r.ok,
                               f.kind, f.path, f.detail
                        from integrity_runs r left join integrity_findings f using (run_id)
                        qualify dense_rank() over (partition by r.location order by r.checked_at desc) = 1""",
}
# the evidence each check rests on
CHECK_EVIDENCE = {
    "rotation_overdue": ["rotation_status"],
    "orphaned_secrets": ["orphaned_secrets"],
    "access_inventory": ["access_inventory"],
    "anomalous_access": ["anomalies"],
    "failed_access": ["anomalies"],
    "long_lived_tokens": ["anomalies"],
    "root_token_use": ["root_token_use"],
    "policy_drift": ["policy_drift"],
    "policy_changes": ["policy_changes"],
    "privileged_policies": ["policy_findings"],
    "audit_log_continuity": ["audit_gaps", "input_files"],
    "audit_log_integrity": ["log_integrity"],
    "audit_device_coverage": ["live_vault", "collect_gaps"],
    "token_lifetimes": ["live_vault"],
}


def evidence_tables(wh: Warehouse, run: CheckRun) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table the run's checks rest on, complete and totally ordered."""
    needed = sorted({t for req in run.framework.requirements for c in req.checks for t in CHECK_EVIDENCE[c]})
    return {name: wh.query("select * from (" + TABLES[name] + ") order by all", period=run.period) for name in needed}


def _csv_cell(v):
    return ("" if v is None else v.isoformat() if hasattr(v, "isoformat")
            else json.dumps(v) if isinstance(v, (list, dict)) else v)


def _csv(columns: list[str], rows: list[tuple]) -> str:
    """One evidence table as CSV, through the one CSV writer (formula-like text cells neutralised)."""
    return write_csv(columns, rows, _csv_cell)


def controls_document(run: CheckRun) -> dict:
    """controls.json: requirements, statuses, results and thresholds; no run id, no clock."""
    return {
        "framework": run.framework.id, "framework_name": run.framework.name, "period": run.period.label,
        "period_start": run.period.start.isoformat() if run.period.start else None,
        "period_end": run.period.end.isoformat() if run.period.end else None,
        "as_of": run.as_of.isoformat(), "thresholds": {k: run.thresholds[k] for k in sorted(run.thresholds)},
        "requirements": [
            {"id": req.id, "title": req.title, "text": req.text, "status": run.requirement_status[req.id],
             "checks": req.checks, "manual": req.manual,
             "thresholds": {t: run.thresholds[t] for t in req.applied_thresholds},
             "evidence": sorted({t for c in req.checks for t in CHECK_EVIDENCE[c]}),
             "results": sorted(({k: r[k] for k in ("check", "resource", "status", "reason", "exception")}
                                for r in run.results if r["control_id"] == req.id),
                               key=lambda r: (r["check"], r["resource"] or "", r["status"], r["reason"] or ""))}
            for req in run.framework.requirements],
        "expired_exceptions": [e.as_dict() for e in run.expired_exceptions],
    }


def write_evidence(folder: Path, wh: Warehouse, run: CheckRun) -> dict[str, tuple[list[str], list[tuple]]]:
    """evidence/<table>.csv and controls.json into `folder`; returns the tables."""
    tables = evidence_tables(wh, run)
    (folder / "evidence").mkdir(parents=True, exist_ok=True)
    for name, (columns, rows) in tables.items():
        (folder / "evidence" / f"{name}.csv").write_text(_csv(columns, rows), encoding="utf-8")
    (folder / "controls.json").write_text(
        json.dumps(controls_document(run), indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    return tables
