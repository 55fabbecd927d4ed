"""The audit document's front and back matter: the cover, scope and population, the executive
summary of every requirement, and the sign-off block.

Each function takes the `Report` that `report.build_report` gathered and returns escaped HTML.
"""

from __future__ import annotations

from vaultlab.controls.output import comparison_lines
from vaultlab.evidence.html import anchor, esc, kv_html, link, status_html, table_html
from vaultlab.evidence.tables import FINDING_STATUSES

LACKING = ("not_evaluated", "incomplete")


def requirement_anchor(req) -> str:
    return anchor("req", req.id)


def evidence_anchor(table: str, row: int | None = None) -> str:
    """The anchor of an evidence table in the appendix, or of its row (0-based, as in the CSV)."""
    return anchor("ev", table) if row is None else anchor("ev", table, row + 1)


def partial_html(run) -> str:
    """The banner of a period not ended yet (every section repeats it); empty otherwise."""
    if not run.partial:
        return ""
    return (f'<p class="partial"><strong>PARTIAL:</strong> the period {esc(run.period.label)} has not ended; '
            f"these are its results so far (as of {esc(run.as_of)}), not a verdict on the whole period.</p>")


def cover_html(report) -> str:
    run = report.run
    title = f"{esc(report.organisation)} — " if report.organisation else ""
    period = run.period
    window = (f"{period.label} ({period.start.isoformat()} to {period.end.isoformat()}, end excluded)"
              if period.start and period.end else period.label)
    pairs = [("Organisation", report.organisation or "(not given)"),
             ("Framework (and its version)", f"{run.framework.name} [{run.framework.id}]"),
             ("Period", window), ("As of", run.as_of), ("Run id", run.run_id),
             ("Generated at", report.generated_at), ("vaultlab version", report.version)]
    table = kv_html(pairs)
    return (f'<div class="cover" id="cover"><h1>{title}{esc(run.framework.name)}</h1>'
            f"<p>Evidence report on the management of secrets, for an external audit.</p>{table}"
            f"{partial_html(run)}</div>")


def scope_html(report) -> str:
    pop = report.population
    counts_cols, counts_rows = pop["counts"]
    pairs = list(zip(counts_cols, counts_rows[0])) if counts_rows else []
    files_cols, files_rows = pop["input_files"]
    keep = [c for c in ("file_id", "path", "sha256", "format", "lines_read", "events_loaded", "quarantined")
            if c in files_cols]
    files = [tuple(r[files_cols.index(c)] for c in keep) for r in files_rows]
    return ('<div class="scope" id="scope"><h2>Scope and population</h2>' + partial_html(report.run)
            + "<p>What this report rests on: the audit sources and how their events cover the period, the "
              "secret stores with the inventory and policy snapshots in force, and every input file with the "
              "SHA-256 the ingest ledger recorded when it was loaded.</p>"
            + "<h3>Populations</h3>" + kv_html(pairs)
            + "<h3>Audit sources in the period</h3>" + table_html(*pop["sources"])
            + "<h3>Secret stores and snapshots in force</h3>" + table_html(*pop["stores"])
            + "<h3>Input files (ingest ledger)</h3>" + table_html(keep, files) + "</div>")


def _counts(report, req) -> tuple[int, int]:
    rows = [r for r in report.run.results if r["control_id"] == req.id]
    findings = sum(r["status"] in FINDING_STATUSES and r["status"] != "excepted" for r in rows)
    return findings, sum(r["status"] == "excepted" for r in rows)


def _lacking_html(run) -> str:
    """Requirements without evidence: how many, which, and why."""
    lacking = [r for r in run.framework.requirements if run.requirement_status[r.id] in LACKING]
    if not lacking:
        return ""
    items = []
    for req in lacking:
        reasons = dict.fromkeys(r["reason"] for r in run.results
                                if r["control_id"] == req.id and r["status"] in LACKING)
        items.append(f"<li>{esc(req.id)} {status_html(run.requirement_status[req.id])}: "
                     + " ".join(esc(x) for x in reasons) + "</li>")
    return (f'<div class="lacking"><p><strong>{len(lacking)} requirement(s) lack evidence</strong> for this period '
            "and count as failing:</p><ul>" + "".join(items) + "</ul></div>")


def summary_html(report) -> str:
    """The executive summary: one row per requirement, linked to its section and its evidence."""
    run = report.run
    counts: dict[str, int] = {}
    for status in run.requirement_status.values():
        counts[status] = counts.get(status, 0) + 1
    rows = []
    for req in run.framework.requirements:
        findings, accepted = _counts(report, req)
        evidence = ", ".join(link(evidence_anchor(t), t) for t in req.evidence) or "—"
        rows.append((link(requirement_anchor(req), req.id), esc(req.title), status_html(run.requirement_status[req.id]),
                     str(findings), str(accepted), evidence))
    history = "; ".join(comparison_lines(run)) + "."
    lines = ['<div class="summary" id="summary"><h2>Executive summary</h2>', partial_html(run), _lacking_html(run),
             "<p>" + ", ".join(f"{n} requirement(s) {status_html(s)}" for s, n in sorted(counts.items())) + ".</p>",
             table_html(["requirement", "title", "status", "findings", "accepted risks", "evidence"], rows,
                        css="summary-table", raw_columns=frozenset(range(6))),
             f'<p class="muted">{esc(history[0].upper() + history[1:])} Findings count alarms, errors and '
             "requirements without sufficient evidence (not_evaluated, incomplete); an alarm covered by an accepted "
             "risk counts under accepted risks.</p>"]
    for e in run.expired_exceptions:
        lines.append(f"<p>Expired exception, no longer applied: {esc(e.check)} {esc(e.resource)} "
                     f"(ticket {esc(e.ticket)}, approved by {esc(e.approver)}, expired {esc(e.expires)}).</p>")
    return "\n".join(lines) + "</div>"


def signoff_html(report) -> str:
    """Blank lines for the people who prepare, review and approve the report."""
    blank = "&nbsp;"
    rows = [(role, blank, blank, blank, blank) for role in ("Prepared by", "Reviewed by", "Approved by")]
    return ('<div class="signoff-section" id="signoff"><h2>Sign-off</h2>'
            f"<p>Run {esc(report.run.run_id)} of {esc(report.run.framework.id)} for {esc(report.run.period.label)}, "
            "generated by vaultlab; the pack's manifest.json holds the SHA-256 of every file "
            "(<code>vaultlab verify</code> checks it).</p>"
            + table_html(["role", "name", "title", "signature", "date"], rows, css="signoff",
                         raw_columns=frozenset(range(1, 5))) + "</div>")
