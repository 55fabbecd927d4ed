"""The evidence report: what the notebook shows, as escaped HTML and static SVG charts.

The notebook `notebooks/evidence_report.ipynb` is a thin layer over `build_report`; every
string that came from a log goes through `html.escape`, and charts are SVG rendered by
vl-convert (no script, no network), so the exported page works offline and runs nothing.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import altair as alt
import vl_convert

from vaultlab import __version__
from vaultlab.controls.accepted_risks import AcceptedRisk, load_accepted_risks
from vaultlab.controls.run import CheckRun, run_checks
from vaultlab.evidence.document import (
    cover_html,
    evidence_anchor,
    partial_html,
    requirement_anchor,
    scope_html,
    signoff_html,
    summary_html,
)
from vaultlab.evidence.html import CSS, esc, link, status_html, style_html, table_html
from vaultlab.evidence.methodology import check_anchor, methodology_html
from vaultlab.evidence.samples import read_samples, samples_html
from vaultlab.evidence.tables import FINDING_STATUSES, csv_sha256, evidence_tables, findings_behind, write_evidence
from vaultlab.period import parse_period
from vaultlab.sqlfiles import sql_header
from vaultlab.views import query_text
from vaultlab.warehouse import Warehouse

__all__ = ["CSS", "Report", "build_report", "front_html", "charts_html", "requirement_html", "appendices_html",
           "summary_html", "style_html"]

INLINE_ROWS = 15  # rows of an evidence table shown beside those behind findings


def svg(chart: alt.TopLevelMixin) -> str:
    """A chart as inline SVG (text in it is escaped by the renderer)."""
    return '<div class="chart">' + vl_convert.vegalite_to_svg(chart.to_json()) + "</div>"


@dataclass
class Report:
    run: CheckRun
    organisation: str
    tables: dict  # evidence table -> (columns, rows), complete and ordered as its CSV
    charts: dict[str, str]
    samples: dict = field(default_factory=dict)  # samples/index.json of the pack, with rows (report --sample)
    population: dict = field(default_factory=dict)  # scope: sources, stores, counts, input_files
    csv_sha256: dict[str, str] = field(default_factory=dict)  # evidence table -> SHA-256 of its CSV
    behind: dict[int, dict[str, list[int]]] = field(default_factory=dict)  # finding -> table -> rows
    accepted_risks: list[AcceptedRisk] = field(default_factory=list)
    accepted_risks_path: str = ""
    accepted_risks_sha256: str = ""
    generated_at: str = ""
    version: str = __version__
    lake: str = ""  # the lake read instead of a warehouse file (`report --lake`), and its engine
    engine: str = ""


@contextmanager
def _sources(warehouse: str, lake: str, engine: str, thresholds: dict, record: bool, period):
    """(what runs the checks and the evidence queries, the Warehouse the charts and population read),
    views computed once for the period. A lake is read-only: DuckDB over it (a LakeWarehouse), or
    Spark for the checks and evidence with DuckDB over the same lake for the charts and population."""
    if not lake:
        with Warehouse(warehouse, read_only=not record, create=False, thresholds=thresholds) as wh, \
                wh.views_computed(period):
            yield wh, wh
        return
    from vaultlab.lake.engines import open_engine

    with open_engine(lake, "duckdb", thresholds=thresholds) as duck, duck.views_computed(period):
        yield (open_engine(lake, engine, thresholds=thresholds) if engine == "spark" else duck), duck


def build_report(warehouse: str, framework: str, period: str, *, organisation: str = "",
                 exceptions: str | None = None, config: str | None = None, out_dir: str | None = None,
                 partial: bool = False, record: bool = False, lake: str = "", engine: str = "") -> Report:
    """Run the framework's checks for the period and gather what the report shows.

    With `out_dir`, the complete evidence (evidence/*.csv, controls.json) is written there. The run
    is recorded in the warehouse only with `record=True` (what `vaultlab report` asks for); otherwise
    the warehouse is opened read-only and nothing is written to it. A period not ended yet renders
    only with `partial`, and says so on every section.

    With `lake` (a folder or s3:// URI written by `vaultlab lake export`) the lake is read instead of the
    warehouse, by `engine` (duckdb, the default, or spark); a lake is read-only, so no run is recorded
    (the run still has its id, in run.json and controls.json).
    """
    from vaultlab.config import load_config

    engine = (engine or "duckdb") if lake else ""
    record = record and not lake
    with _sources(warehouse, lake, engine, load_config(config or None), record, parse_period(period)) as (eng, wh):
        run = run_checks(eng, framework, parse_period(period), exceptions_path=exceptions or None, record=record,
                         partial=partial)
        if out_dir:
            out = Path(out_dir)
            out.mkdir(parents=True, exist_ok=True)
            tables = write_evidence(out, eng, run)
            (out / "run.json").write_text(json.dumps({"run_id": run.run_id}) + "\n")
        else:
            tables = evidence_tables(eng, run)
        charts = _charts(wh, run)
        population = {name: wh.query(query_text(f"questions/population_{name}"), period=run.period)
                      for name in ("sources", "stores", "counts")}
        population["input_files"] = wh.query(query_text("evidence/input_files") + " order by file_id")
    risks_sha = hashlib.sha256(Path(exceptions).read_bytes()).hexdigest() if exceptions else ""
    return Report(run, organisation, tables, charts, population=population,
                  csv_sha256={name: csv_sha256(*table) for name, table in tables.items()},
                  behind=findings_behind(run, tables), accepted_risks=load_accepted_risks(exceptions or None),
                  accepted_risks_path=str(exceptions or ""), accepted_risks_sha256=risks_sha,
                  generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  samples=read_samples(out_dir), lake=lake, engine=engine)


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


def front_html(report: Report) -> str:
    """The stylesheet, the cover, scope and population, and the executive summary: the report's start."""
    return style_html() + cover_html(report) + scope_html(report) + summary_html(report)


def charts_html(report: Report) -> str:
    return ('<div class="charts" id="charts"><h2>Activity in the period</h2>' + partial_html(report.run)
            + "\n".join(f"<h3>{esc(name)}</h3>{chart}" for name, chart in report.charts.items()) + "</div>")


PROVENANCE_SUFFIXES = ("event_id", "snapshot_id", "run_id")


def trace_commands(columns: list[str], row: tuple) -> list[str]:
    """The `vaultlab trace` commands that reach the source lines behind an evidence row."""
    events = [row[i] for i, c in enumerate(columns) if c.endswith("event_id") and row[i]]
    commands = [f"vaultlab trace {e}" for e in dict.fromkeys(events)]
    if not commands and "file_id" in columns and "line" in columns and row[columns.index("line")] is not None:
        commands.append(f"vaultlab trace {row[columns.index('file_id')]}:{row[columns.index('line')]}")
    return commands


def provenance(columns: list[str], row: tuple) -> list[str]:
    """Snapshot and collection ids of an evidence row (what stands in for a log line)."""
    return [f"{c} {row[i]}" for i, c in enumerate(columns)
            if c.endswith(("snapshot_id", "run_id")) and row[i] is not None]


def _finding_html(report: Report, index: int, result: dict) -> str:
    parts = [f"{status_html(result['status'])} {esc(result['reason'])}"]
    if result.get("exception"):
        e = result["exception"]
        parts.append(f" <em>Accepted risk: {esc(e['reason'])} (ticket {esc(e['ticket'])}, approved by "
                     f"{esc(e['approver'])}, until {esc(e['expires'])})</em>")
    evidence = []
    for table, hits in report.behind.get(index, {}).items():
        columns, rows = report.tables[table]
        for n in hits[:3]:
            cmds = trace_commands(columns, rows[n])
            extra = provenance(columns, rows[n])
            evidence.append(link(evidence_anchor(table, n), f"{table} row {n + 1}")
                            + "".join(f' <code class="cmd">{esc(c)}</code>' for c in cmds)
                            + (f' <span class="muted">({esc(", ".join(extra))})</span>' if extra else ""))
        if len(hits) > 3:
            evidence.append(f"and {len(hits) - 3} more row(s) of {link(evidence_anchor(table), table)}")
    if evidence:
        parts.append('<ul class="behind">' + "".join(f"<li>{e}</li>" for e in evidence) + "</ul>")
    elif result["status"] in ("alarm", "excepted", "error"):
        parts.append(' <span class="muted">(no evidence row: the reason above is the whole finding)</span>')
    return f'<li class="finding">{"".join(parts)}</li>'


def _check_summary(run: CheckRun, req) -> list[tuple]:
    rows = []
    for check in req.checks:
        mine = [r for r in run.results if r["control_id"] == req.id and r["check"] == check]
        counts: dict[str, int] = {}
        for r in mine:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
        rows.append((link(check_anchor(check), check),
                     ", ".join(f"{n} {esc(s)}" for s, n in sorted(counts.items())) or "no rows"))
    return rows


def requirement_html(report: Report, req) -> str:
    run = report.run
    status = run.requirement_status[req.id]
    parts = [f'<div class="req" id="{esc(requirement_anchor(req))}"><h2>{esc(req.id)} {esc(req.title)} — '
             f"{status_html(status)}</h2>", partial_html(run), f"<p>{esc(req.text)}</p>"]
    if req.manual:
        parts.append(f"<p><strong>Evidence to attach:</strong> {esc(req.manual)}</p>")
    thresholds = [(t, run.thresholds[t]) for t in req.applied_thresholds]
    thresholds += [(f"{name} (stated by {req.id})", limit) for name, limit in req.thresholds.items()]
    if thresholds:
        parts.append("<h3>Thresholds</h3>" + table_html(["threshold", "value"], thresholds, css="kv"))
    if req.checks:
        parts.append("<h3>Checks</h3>" + table_html(["check", "results"], _check_summary(run, req), css="kv",
                                                    raw_columns=frozenset({0, 1})))
    findings = [(i, r) for i, r in enumerate(run.results) if r["control_id"] == req.id
                and r["status"] in FINDING_STATUSES]
    if findings:
        parts.append("<h3>Findings</h3><ul>" + "".join(_finding_html(report, i, r) for i, r in findings) + "</ul>")
    if req.evidence:
        parts.append("<p>Evidence (Appendix B): " + ", ".join(link(evidence_anchor(t), t) for t in req.evidence)
                     + ".</p>")
    parts.append(samples_html(report.samples, req))  # report --sample: the rows drawn from its populations
    parts.append("</div>")
    return "\n".join(parts)


def evidence_table_html(report: Report, name: str) -> str:
    """One evidence table: the rows behind findings first, then the first others, then where the rest is."""
    columns, rows = report.tables[name]
    behind = sorted({n for tables in report.behind.values() for n in tables.get(name, [])})
    others = [n for n in range(len(rows)) if n not in set(behind)][:INLINE_ROWS]
    shown = behind + others
    users = [r for r in report.run.framework.requirements if name in r.evidence]
    body = table_html(["row", *columns], [(n + 1, *rows[n]) for n in shown],
                      row_ids=[evidence_anchor(name, n) for n in shown],
                      row_classes=["behind" if n in behind else "" for n in shown])
    return (f'<div class="evidence" id="{esc(evidence_anchor(name))}"><h3>{esc(name)}</h3>'
            f"<p>{esc(query_about(name))} Used by " + ", ".join(link(requirement_anchor(r), r.id) for r in users)
            + f". {len(behind)} row(s) behind findings (highlighted) come first.</p>" + body
            + f'<p class="muted">{len(shown)} of {len(rows)} rows shown; the full population is '
              f"<code>evidence/{esc(name)}.csv</code> (SHA-256 <code>{esc(report.csv_sha256.get(name, ''))}</code>); "
              "row numbers count its data rows.</p></div>")


def query_about(name: str) -> str:
    about = sql_header(query_text(f"evidence/{name}")).get("about", "")
    return (about[0].upper() + about[1:] + ".") if about else ""


def evidence_appendix_html(report: Report) -> str:
    return ('<div class="appendix" id="evidence"><h2>Appendix B: evidence tables</h2>' + partial_html(report.run)
            + "<p>Each table appears once. Every row carries where it came from: event ids "
              "(<code>vaultlab trace EVENT_ID</code> prints the source records), a file and line, or the snapshot "
              "or collection it was read from.</p>"
            + "".join(evidence_table_html(report, name) for name in sorted(report.tables)) + "</div>")


def appendices_html(report: Report) -> str:
    """Appendix A (methodology), Appendix B (evidence tables) and the sign-off block."""
    return methodology_html(report) + evidence_appendix_html(report) + signoff_html(report)
