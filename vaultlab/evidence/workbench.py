"""The evidence notebook's workbench: what an auditor works with beside the rendered report.

Per requirement, the SQL of each check behind it, its findings and its evidence as polars frames
(to filter, sort, join), a reproducible sample of any population (`vaultlab sample`'s draw), and
interactive charts. The workbench only reads: every warehouse it opens is opened read-only, and
it writes no file. The cells that use it carry the tag `workbench` and are left out of the pack's
HTML (see `pack.export_html`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

from vaultlab.controls.catalog import check_names, load_check
from vaultlab.errors import VaultlabError
from vaultlab.evidence import live_charts
from vaultlab.evidence.report import Report
from vaultlab.queries.sample import Sample, draw, view_query
from vaultlab.views import VIEWS, query_text
from vaultlab.warehouse import Warehouse

FINDING_STATUSES = ("alarm", "error", "excepted", "not_evaluated", "incomplete")
SHOWN_ROWS = 5  # rows a displayed frame shows (the frame itself holds them all)


def frame(columns: list[str], rows: list[tuple]) -> pl.DataFrame:
    """A (columns, rows) table as a polars frame; nested values (lists, maps) as JSON text."""
    plain = [tuple(json.dumps(v, default=str, sort_keys=True) if isinstance(v, (list, dict)) else v for v in row)
             for row in rows]
    return pl.DataFrame(plain, schema=columns, orient="row", infer_schema_length=None, strict=False)


def show_markdown(text: str) -> None:
    """Markdown (rendered in any notebook, trusted or not), without a text copy beside it."""
    from IPython.display import display

    display({"text/markdown": text}, raw=True)


@dataclass
class Workbench:
    report: Report
    warehouse: str = ""  # empty: $VAULTLAB_DB, else vaultlab.duckdb (as `build_report`)
    config: str = ""

    @property
    def requirement_ids(self) -> list[str]:
        return [r.id for r in self.report.run.framework.requirements]

    def _requirement(self, requirement: str):
        for req in self.report.run.framework.requirements:
            if req.id == requirement:
                return req
        raise VaultlabError(f"unknown requirement {requirement!r}; the requirements are "
                            f"{', '.join(self.requirement_ids)}")

    def requirements(self) -> pl.DataFrame:
        """One row per requirement: status, findings, checks and evidence tables."""
        run = self.report.run
        return pl.DataFrame([{
            "requirement": req.id, "title": req.title, "status": run.requirement_status[req.id],
            "findings": sum(1 for r in run.results if r["control_id"] == req.id and r["status"] in FINDING_STATUSES),
            "checks": ", ".join(req.checks) or "manual", "evidence": ", ".join(req.evidence)}
            for req in run.framework.requirements])

    def findings(self, requirement: str | None = None, *, every_row: bool = False) -> pl.DataFrame:
        """The results behind a requirement (all requirements with None): its findings, or every row."""
        if requirement is not None:
            self._requirement(requirement)
        rows = [{"requirement": r["control_id"], "check": r["check"], "resource": r["resource"],
                 "status": r["status"], "reason": r["reason"],
                 "accepted_risk": r["exception"]["ticket"] if r.get("exception") else None}
                for r in self.report.run.results
                if (requirement is None or r["control_id"] == requirement)
                and (every_row or r["status"] in FINDING_STATUSES)]
        schema = {"requirement": pl.String, "check": pl.String, "resource": pl.String, "status": pl.String,
                  "reason": pl.String, "accepted_risk": pl.String}
        return pl.DataFrame(rows, schema=schema).sort("requirement", "check", "status", "resource",
                                                      nulls_last=True)

    def evidence_names(self, requirement: str | None = None) -> list[str]:
        return list(self._requirement(requirement).evidence) if requirement else sorted(self.report.tables)

    def evidence(self, name: str) -> pl.DataFrame:
        """One evidence table, complete (what evidence/<name>.csv holds)."""
        if name not in self.report.tables:
            raise VaultlabError(f"unknown evidence table {name!r}; the tables are "
                                f"{', '.join(sorted(self.report.tables))}")
        return frame(*self.report.tables[name])

    def evidence_behind(self, requirement: str) -> dict[str, pl.DataFrame]:
        """For each evidence table of the requirement, its rows that name a finding's resource (in any
        text column); tables with no such row are left out."""
        resources = set(self.findings(requirement)["resource"].drop_nulls().to_list())
        behind = {}
        for name in self._requirement(requirement).evidence:
            table = self.evidence(name)
            text = [c for c, t in table.schema.items() if t == pl.String]
            if resources and text:
                rows = table.filter(pl.any_horizontal(pl.col(c).is_in(list(resources)) for c in text))
                if rows.height:
                    behind[name] = rows
        return behind

    def check_sql(self, check: str) -> str:
        """A check's SQL as it is run (controls/checks/<check>.sql)."""
        return load_check(check).sql

    def sql_markdown(self, requirement: str, shown: set[str] | None = None) -> str:
        """The SQL of every check behind the requirement, as Markdown code blocks; a check already
        in `shown` is named, not repeated (and each one shown is added to it)."""
        req = self._requirement(requirement)
        if not req.checks:
            return f"No automated check: {req.manual or 'evidence a person attaches'}"
        blocks = []
        for check in req.checks:
            if shown is not None and check in shown:
                blocks.append(f"**check `{check}`**: its SQL is shown above (`wb.check_sql({check!r})`).")
                continue
            blocks.append(f"**check `{check}`**\n\n```sql\n{self.check_sql(check).strip()}\n```")
            if shown is not None:
                shown.add(check)
        return "\n\n".join(blocks)

    def _open(self) -> Warehouse:
        from vaultlab.config import load_config

        if self.report.lake:  # a report from a lake: DuckDB over the same lake, read-only
            from vaultlab.lake.engines import open_engine

            return open_engine(self.report.lake, "duckdb", thresholds=load_config(self.config or None))
        return Warehouse(self.warehouse or None, read_only=True, create=False,
                         thresholds=load_config(self.config or None))

    def sample(self, population: str, *, size: int = 25, seed: int | str = 2026) -> tuple[Sample, pl.DataFrame]:
        """A reproducible sample of a view or a check's result rows in the report's period, as
        `vaultlab sample --population P --size N --seed S --period <period>` draws it."""
        if population in VIEWS:
            query = view_query(population)
        elif population in check_names():
            query = load_check(population).sql
        else:
            raise VaultlabError(f"unknown population {population!r}: give a view ({', '.join(VIEWS)}) "
                                f"or a check ({', '.join(check_names())})")
        with self._open() as wh:
            drawn = draw(wh, population, query, size=size, seed=seed, period=self.report.run.period)
        return drawn, frame(drawn.columns, drawn.rows)

    def charts(self) -> list[live_charts.LiveChart]:
        """The report's charts, interactive (zoom, selection) with a static image beside them."""
        period = self.report.run.period
        with self._open() as wh:
            reads = wh.sql(query_text("charts/reads_per_day"), period=period)
            anomalies = wh.sql(query_text("charts/anomalies"), period=period)
            rotation = wh.sql(query_text("charts/rotation_age"), period=period)
        made = []
        if reads.height:
            made.append(live_charts.reads_per_day(reads))
        if anomalies.height:
            made.append(live_charts.anomalies(anomalies))
        if rotation.height:
            made.append(live_charts.rotation_age(rotation))
        return made

    def show_requirement(self, requirement: str, shown: set[str] | None = None) -> None:
        """Display one requirement's status, check SQL (once per check across calls sharing
        `shown`), findings (first rows) and the evidence tables it rests on."""
        from IPython.display import display

        req = self._requirement(requirement)
        status = self.report.run.requirement_status[req.id]
        found = self.findings(requirement)
        tables = ", ".join(f"`{name}` ({len(self.report.tables[name][1])} rows)" for name in req.evidence)
        show_markdown(f"### {req.id} {req.title}: `{status}`\n\n" + self.sql_markdown(requirement, shown)
                      + f"\n\n**Findings**: {found.height} (`wb.findings({requirement!r})`)")
        if found.height:
            with pl.Config(tbl_rows=SHOWN_ROWS, fmt_str_lengths=80, tbl_width_chars=160):
                display(found)
        show_markdown(f"**Evidence**: {tables or 'none'}; each complete with `wb.evidence(name)`")
        for name, rows in self.evidence_behind(requirement).items():
            show_markdown(f"Rows of `{name}` behind the findings: `wb.evidence_behind({requirement!r})[{name!r}]`")
            with pl.Config(tbl_rows=SHOWN_ROWS, tbl_cols=8, fmt_str_lengths=40, tbl_width_chars=160):
                display(rows)
