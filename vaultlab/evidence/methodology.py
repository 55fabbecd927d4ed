"""The methodology appendix: how each verdict was reached — each check's SQL as it ran, the
thresholds it read with their values, the evidence tables it draws on, the status model, and the
accepted-risks file with its approvers and expiry dates."""

from __future__ import annotations

from vaultlab.controls.catalog import load_check
from vaultlab.evidence.document import evidence_anchor, partial_html, requirement_anchor
from vaultlab.evidence.html import anchor, esc, link, table_html

STATUS_MODEL = [
    ("ok", "the check's inputs cover the period and it found nothing wrong"),
    ("alarm", "a finding"),
    ("excepted", "an alarm covered by an accepted risk that had not expired at the period end"),
    ("not_evaluated", "its inputs are absent for the period: counted as failing, never as ok"),
    ("incomplete", "its inputs cover only part of the period: counted as failing, never as ok"),
    ("error", "the check failed to run"),
    ("manual", "evidence a person attaches"),
    ("info", "a note beside a verdict, never evidence on its own"),
]


def check_anchor(name: str) -> str:
    return anchor("check", name)


def _check_html(report, name: str) -> str:
    check = load_check(name)
    run = report.run
    users = [req for req in run.framework.requirements if name in req.checks]
    thresholds = [(t, run.thresholds.get(t)) for t in check.thresholds]
    parts = [f'<h3 id="{esc(check_anchor(name))}">{esc(name)}: {esc(check.title)}</h3>',
             f"<p>{esc(check.about)}</p>",
             "<p>Used by " + ", ".join(link(requirement_anchor(r), r.id) for r in users) + ". Evidence: "
             + (", ".join(link(evidence_anchor(t), t) for t in check.evidence) or "none") + ".</p>"]
    if thresholds:
        parts.append(table_html(["threshold", "value used"], thresholds))
    parts.append(f"<p class=\"muted\">SQL as run (<code>controls/checks/{esc(name)}.sql</code>, against the views "
                 "of the period):</p>")
    parts.append(f"<pre>{esc(check.sql)}</pre>")
    return "\n".join(parts)


def accepted_risks_html(report) -> str:
    """The accepted-risks file: where it is, its SHA-256, and every risk with approver and expiry."""
    if not report.accepted_risks_path:
        return "<h3>Accepted risks</h3><p>No accepted-risks file was given: no alarm is excepted.</p>"
    as_of = report.run.as_of
    rows = [(r.check, r.resource, r.reason, r.approver, r.ticket, r.expires,
             "in force" if r.expires >= as_of else "expired, not applied") for r in report.accepted_risks]
    return (f"<h3>Accepted risks</h3><p>File {esc(report.accepted_risks_path)} (SHA-256 "
            f"<code>{esc(report.accepted_risks_sha256)}</code>), {len(rows)} risk(s). An alarm whose check matches "
            "and whose resource matches the pattern becomes <em>excepted</em> until the expiry date.</p>"
            + table_html(["check", "resource pattern", "reason", "approver", "ticket", "expires", "at the period end"],
                         rows))


def source_html(report) -> str:
    """What read the data, for a report rendered from a lake (`report --lake`): the engine of each part."""
    lake = getattr(report, "lake", "")
    if not lake:
        return ""
    if report.engine == "spark":
        engines = ("Checks and evidence tables: Spark; charts and population counts: DuckDB over the same "
                   "lake.")
    else:
        engines = "Checks, evidence tables, charts and population counts: DuckDB over the lake."
    return (f"<p><strong>Source:</strong> the lake <code>{esc(lake)}</code> (read-only: this run is not recorded "
            f"in a warehouse). {esc(engines)}</p>")


def methodology_html(report) -> str:
    run = report.run
    checks = sorted({c for req in run.framework.requirements for c in req.checks})
    status_rows = [(s, meaning) for s, meaning in STATUS_MODEL]
    return ('<div class="appendix" id="methodology"><h2>Appendix A: methodology</h2>' + partial_html(run)
            + "<p>Each requirement maps to automated checks (one SQL file each) and, where no check can evidence it, "
              "to evidence a person attaches (manual). A check returns rows of resource, status and reason over the "
              "warehouse's views, evaluated for the period and as of its end; a requirement takes the worst status "
              "of its checks, and is ok only when every check behind it is ok or excepted.</p>"
            + table_html(["status", "meaning"], status_rows)
            + source_html(report)
            + accepted_risks_html(report)
            + "<h3>Thresholds</h3>"
            + table_html(["threshold", "value used"], [(k, run.thresholds[k]) for k in sorted(run.thresholds)])
            + "".join(_check_html(report, name) for name in checks) + "</div>")
