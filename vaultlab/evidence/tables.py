"""The evidence behind a check run: complete tables and controls.json, byte-for-byte reproducible.

Rendering the same period twice from the same warehouse writes identical files: tables are
fully ordered, and nothing here depends on the wall clock or the run id. Each table's SQL header
names its `key` columns: a row is behind a finding when each of its key values appears, as a whole
word, in the finding's resource or reason (`rows_behind`).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from vaultlab.controls.catalog import check_names, load_check
from vaultlab.controls.run import CheckRun
from vaultlab.output import write_csv
from vaultlab.sqlfiles import header_list, sql_header
from vaultlab.views import query_text
from vaultlab.warehouse import Warehouse

FINDING_STATUSES = ("alarm", "error", "excepted", "not_evaluated", "incomplete")
_WORD = r"[\w/-]"  # a key value must not run on into a longer name (secret/db vs secret/db2)


def evidence_tables(wh: Warehouse, run: CheckRun) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table the run's checks rest on, complete and totally ordered."""
    needed = sorted({t for req in run.framework.requirements for t in req.evidence})
    return {name: wh.query("select * from (" + query_text(f"evidence/{name}") + ") order by all", period=run.period)
            for name in needed}


def _csv_cell(v):
    return ("" if v is None else v.isoformat() if hasattr(v, "isoformat")
            else json.dumps(v) if isinstance(v, (list, dict)) else v)


def table_csv(columns: list[str], rows: list[tuple]) -> str:
    """One evidence table as CSV, through the one CSV writer (formula-like text cells neutralised)."""
    return write_csv(columns, rows, _csv_cell)


def csv_sha256(columns: list[str], rows: list[tuple]) -> str:
    """The SHA-256 of evidence/<name>.csv as the pack holds it."""
    return hashlib.sha256(table_csv(columns, rows).encode("utf-8")).hexdigest()


def table_keys(name: str) -> list[str]:
    """The columns that tie a row of an evidence table to a finding (its SQL header's `key`)."""
    return header_list(sql_header(query_text(f"evidence/{name}")), "key")


def _key_text(value) -> str | None:
    if value is None or isinstance(value, (list, dict)):
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def rows_behind(finding: dict, name: str, columns: list[str], rows: list[tuple]) -> list[int]:
    """Indexes of the rows of table `name` behind a finding: every key value of the row appears as a
    whole word in the finding's resource or reason. Only the tables its check names are searched."""
    if finding["check"] not in check_names() or name not in load_check(finding["check"]).evidence:
        return []  # a manual or stated-threshold row, or a table its check does not read
    keys = [columns.index(k) for k in table_keys(name) if k in columns]
    if not keys:
        return []
    text = f"{finding.get('resource') or ''}\n{finding.get('reason') or ''}"
    found = []
    for n, row in enumerate(rows):
        values = [_key_text(row[k]) for k in keys]
        if all(v and re.search(f"(?<!{_WORD}){re.escape(v)}(?!{_WORD})", text) for v in values):
            found.append(n)
    return found


def findings_behind(run: CheckRun, tables: dict) -> dict[int, dict[str, list[int]]]:
    """For each finding (its index in run.results): table -> indexes of the rows behind it."""
    out = {}
    for i, result in enumerate(run.results):
        if result["status"] not in FINDING_STATUSES:
            continue
        out[i] = {name: hits for name in sorted(tables)
                  if (hits := rows_behind(result, name, *tables[name]))}
    return out


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
        (folder / "evidence" / f"{name}.csv").write_text(table_csv(columns, rows), encoding="utf-8")
    (folder / "controls.json").write_text(
        json.dumps(controls_document(run), indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    return tables
