"""The evidence behind a check run: complete tables and controls.json, byte-for-byte reproducible.

Rendering the same period twice from the same warehouse writes identical files: tables are
fully ordered, and nothing here depends on the wall clock or the run id.
"""

from __future__ import annotations

import json
from pathlib import Path

from vaultlab.controls.run import CheckRun
from vaultlab.output import write_csv
from vaultlab.views import query_text
from vaultlab.warehouse import Warehouse


def evidence_tables(wh: Warehouse, run: CheckRun) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table the run's checks rest on, complete and totally ordered."""
    needed = sorted({t for req in run.framework.requirements for t in req.evidence})
    return {name: wh.query("select * from (" + query_text(f"evidence/{name}") + ") order by all", period=run.period)
            for name in needed}


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
             "evidence": req.evidence,
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
