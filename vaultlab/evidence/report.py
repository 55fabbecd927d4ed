"""The evidence report: what the notebook shows, as escaped HTML and static SVG charts.

The notebook `notebooks/evidence_report.ipynb` is a thin layer over `build_report`; every
string that came from a log goes through `html.escape`, and charts are SVG rendered by
vl-convert (no script, no network), so the exported page works offline and runs nothing.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import altair as alt
import vl_convert

from vaultlab.controls.output import comparison_lines
from vaultlab.controls.run import CheckRun, run_checks
from vaultlab.evidence.tables import write_evidence
from vaultlab.period import parse_period
from vaultlab.views import query_text
from vaultlab.warehouse import Warehouse

INLINE_ROWS = 15
STATUS_COLOURS = {"ok": "#1a7f37", "alarm": "#cf222e", "error": "#8250df", "excepted": "#9a6700",
                  "manual": "#0969da", "not_evaluated": "#bc4c00", "incomplete": "#bc4c00", "info": "#6e7781"}
LACKING = ("not_evaluated", "incomplete")
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;color:#1f2328}
h1,h2,h3{line-height:1.2} table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa} .status{font-weight:600} .muted{color:#6e7781} .req{border-top:2px solid #d0d7de;margin-top:2rem}
.chart svg{max-width:100%;height:auto}
.partial,.lacking{border:2px solid #bc4c00;background:#fff1e5;padding:.5rem 1rem}
"""


def esc(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, default=str)
    elif hasattr(value, "isoformat"):
        value = value.isoformat()
    return html.escape(str(value), quote=True)


def status_html(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#1f2328")
    return f'<span class="status" style="color:{colour}">{esc(status)}</span>'


def table_html(columns: list[str], rows: list[tuple], limit: int | None = INLINE_ROWS, file: str | None = None) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows[:limit])
    more = ""
    if limit is not None and len(rows) > limit:
        more = f'<p class="muted">{limit} of {len(rows)} rows shown; all of them are in {esc(file or "the pack")}.</p>'
    if not rows:
        return '<p class="muted">No rows.</p>'
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def svg(chart: alt.TopLevelMixin) -> str:
    """A chart as inline SVG (text in it is escaped by the renderer)."""
    return '<div class="chart">' + vl_convert.vegalite_to_svg(chart.to_json()) + "</div>"


@dataclass
class Report:
    run: CheckRun
    organisation: str
    tables: dict
    charts: dict[str, str]


def build_report(warehouse: str, framework: str, period: str, *, organisation: str = "",
                 exceptions: str | None = None, config: str | None = None, out_dir: str | None = None,
                 partial: bool = False, record: bool = False) -> Report:
    """Run the framework's checks for the period and gather what the report shows.

    With `out_dir`, the complete evidence (evidence/*.csv, controls.json) is written there. The run
    is recorded in the warehouse only with `record=True` (what `vaultlab report` asks for); otherwise
    the warehouse is opened read-only and nothing is written to it. A period not ended yet renders
    only with `partial`, and says so on every section.
    """
    from vaultlab.config import load_config

    with Warehouse(warehouse, read_only=not record, create=False, thresholds=load_config(config or None)) as wh, \
            wh.views_computed(parse_period(period)):  # once for the checks, the evidence and the charts
        run = run_checks(wh, framework, parse_period(period), exceptions_path=exceptions or None, record=record,
                         partial=partial)
        if out_dir:
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            tables = write_evidence(out, wh, run)
            (out / "run.json").write_text(json.dumps({"run_id": run.run_id}) + "\n")
        else:
            from vaultlab.evidence.tables import evidence_tables

            tables = evidence_tables(wh, run)
        charts = _charts(wh, run)
    return Report(run, organisation, tables, charts)


def _charts(wh: Warehouse, run: CheckRun) -> dict[str, str]:
    p = run.period
    reads = wh.sql(query_text("charts/reads_per_day"), period=p)
    anomalies = wh.sql(query_text("charts/anomalies"), period=p)
    rotation = wh.sql(query_text("charts/rotation_age"), period=p)
    heat = wh.sql(query_text("charts/human_hours"), period=p)
    charts = {}
    if reads.height:
        charts["reads per day by actor type"] = svg(alt.Chart(reads).mark_line(point=True).encode(
            x=alt.X("day:T", title="day (UTC)"), y=alt.Y("reads:Q"), color="actor_type:N").properties(width=640))
    if anomalies.height:
        charts["anomalies in the period"] = svg(alt.Chart(anomalies).mark_circle(size=120).encode(
            x=alt.X("first_seen:T", title="first seen"), y=alt.Y("signal:N"), color="severity:N",
            size="events:Q", tooltip=["reason:N"]).properties(width=640))
    if rotation.height:
        charts["rotation age against the allowed interval"] = svg(alt.layer(
            alt.Chart(rotation).mark_tick(thickness=3, color="#cf222e").encode(x="rotation_days:Q", y="kind:N"),
            alt.Chart(rotation).mark_circle(size=60).encode(x=alt.X("age_days:Q", title="days since rotation"),
                                                            y=alt.Y("kind:N"), tooltip=["secret_id:N"]),
        ).properties(width=640))
    if heat.height:
        charts["human access by hour and weekday (UTC)"] = svg(alt.Chart(heat).mark_rect().encode(
            x=alt.X("hour:O"), y=alt.Y("weekday:O", title="weekday (1 = Monday)"),
            color=alt.Color("requests:Q")).properties(width=640))
    return charts


def partial_html(run: CheckRun) -> str:
    """The banner of a period not ended yet (every section repeats it); empty otherwise."""
    if not run.partial:
        return ""
    return (f'<p class="partial"><strong>PARTIAL:</strong> the period {esc(run.period.label)} has not ended; '
            f"these are its results so far (as of {esc(run.as_of)}), not a verdict on the whole period.</p>")


def _lacking_html(run: CheckRun) -> str:
    """Requirements without evidence, first: how many, which, and why."""
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


def summary_html(report: Report) -> str:
    run = report.run
    counts: dict[str, int] = {}
    for status in run.requirement_status.values():
        counts[status] = counts.get(status, 0) + 1
    history = "; ".join(comparison_lines(run)) + "."
    title = f"{esc(report.organisation)} — " if report.organisation else ""
    lines = [f"<h1>{title}{esc(run.framework.name)}</h1>", partial_html(run), _lacking_html(run),
             f"<p>Period {esc(run.period.label)}, as of {esc(run.as_of)}. Run {esc(run.run_id)}.</p>",
             "<p>" + ", ".join(f"{n} requirement(s) {status_html(s)}" for s, n in sorted(counts.items())) + ".</p>",
             f"<p>{esc(history[0].upper() + history[1:])}</p>"]
    for e in run.expired_exceptions:
        lines.append(f"<p>Expired exception, no longer applied: {esc(e.check)} {esc(e.resource)} "
                     f"(ticket {esc(e.ticket)}, approved by {esc(e.approver)}, expired {esc(e.expires)}).</p>")
    return "\n".join(lines)


def requirement_html(report: Report, req) -> str:
    run = report.run
    status = run.requirement_status[req.id]
    rows = [r for r in run.results if r["control_id"] == req.id]
    parts = [f'<div class="req"><h2>{esc(req.id)} {esc(req.title)} — {status_html(status)}</h2>',
             partial_html(run), f"<p>{esc(req.text)}</p>"]
    if req.manual:
        parts.append(f"<p><strong>Evidence to attach:</strong> {esc(req.manual)}</p>")
    if req.applied_thresholds:
        parts.append("<p class=\"muted\">Thresholds applied: " + ", ".join(
            f"{esc(t)} = {esc(run.thresholds[t])}" for t in req.applied_thresholds) + "</p>")
    findings = [r for r in rows if r["status"] in ("alarm", "error", "excepted", *LACKING)]
    if findings:
        parts.append("<h3>Findings</h3><ul>" + "".join(
            f"<li>{status_html(r['status'])} {esc(r['reason'])}"
            + (f" <em>Accepted risk: {esc(r['exception']['reason'])} (ticket {esc(r['exception']['ticket'])}, "
               f"approved by {esc(r['exception']['approver'])}, until {esc(r['exception']['expires'])})</em>"
               if r.get("exception") else "") + "</li>" for r in findings) + "</ul>")
    for table in req.evidence:
        columns, data = report.tables[table]
        parts.append(f"<h3>Evidence: {esc(table)}</h3>" + table_html(columns, data, file=f"evidence/{table}.csv"))
    parts.append("</div>")
    return "\n".join(parts)


def charts_html(report: Report) -> str:
    return partial_html(report.run) + "\n".join(f"<h2>{esc(name)}</h2>{chart}" for name, chart in report.charts.items())
