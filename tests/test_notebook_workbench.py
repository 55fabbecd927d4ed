"""The evidence notebook's workbench (issue 14, item 8): per requirement the checks' SQL, findings
and evidence as polars frames, a reproducible sample, interactive charts; left out of the pack's
HTML; and a pack's report.ipynb whose charts read without trusting the notebook."""

import json

import nbformat
import polars as pl
import pytest
from conftest import run_cli

from vaultlab import Warehouse
from vaultlab.evidence.live_charts import VEGALITE_MIMETYPE
from vaultlab.evidence.pack import make_pack
from vaultlab.evidence.report import build_report
from vaultlab.evidence.workbench import Workbench
from vaultlab.synth.samples import build_sample_warehouse

IMAGES = ("image/svg+xml", "image/png")


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    return build_sample_warehouse(tmp_path_factory.mktemp("workbench") / "sample.duckdb")


@pytest.fixture(scope="module")
def workbench(sample_db):
    return Workbench(build_report(str(sample_db), "soc2", "2026-10"), str(sample_db))


@pytest.fixture(scope="module")
def pack(sample_db, tmp_path_factory):
    return make_pack(sample_db, "soc2", "2026-10", tmp_path_factory.mktemp("packs"))


def test_the_workbench_gives_sql_findings_and_evidence_as_frames(workbench):
    overdue = workbench.evidence("rotation_status").filter(pl.col("status") == "overdue")
    assert overdue.select("secret_id", "days_overdue").rows() == [("secret/prod/payments/db", 169)]
    findings = workbench.findings()
    assert isinstance(findings, pl.DataFrame) and findings.height > 0
    rotation = findings.filter(pl.col("resource") == "secret/prod/payments/db")
    assert set(rotation["status"]) == {"alarm"} and "169" in rotation["reason"][0]
    req = rotation["requirement"].sort()[0]
    summary = workbench.requirements().filter(pl.col("requirement") == req).row(0, named=True)
    assert summary["status"] == "alarm" and summary["findings"] >= 1
    check = rotation["check"][0]
    assert workbench.check_sql(check).lstrip().startswith("-- title:")
    assert f"```sql\n{workbench.check_sql(check).strip()}\n```" in workbench.sql_markdown(req)
    behind = workbench.evidence_behind(req)["rotation_status"]
    assert "secret/prod/payments/db" in behind["secret_id"].to_list()
    assert behind.height < workbench.evidence("rotation_status").height
    shown = {check}
    assert "its SQL is shown above" in workbench.sql_markdown(req, shown)


def test_the_workbench_sample_is_vaultlab_samples(workbench, sample_db):
    drawn, frame = workbench.sample("rotation_status", size=25, seed=2026)
    cli = run_cli("sample", "--population", "rotation_status", "--size", "25", "--seed", "2026",
                  "--period", "2026-10", "--format", "json", db=sample_db)
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)
    assert (drawn.population_size, frame.height) == (expected["population_size"], 25) == (54, 25)
    assert frame["population_row"].to_list() == [r["population_row"] for r in expected["rows"]]
    assert frame["secret_id"].to_list() == [r["secret_id"] for r in expected["rows"]]
    assert workbench.sample("rotation_status", size=25, seed=2027)[1]["population_row"].to_list() != \
        frame["population_row"].to_list()


def test_the_workbench_charts_are_interactive_with_a_static_image(workbench):
    charts = workbench.charts()
    assert [c.title for c in charts] == ["reads per day by actor type", "anomalies in the period",
                                         "rotation age against the allowed interval"]
    for chart in charts:
        bundle = chart._repr_mimebundle_()
        assert set(bundle) == {VEGALITE_MIMETYPE, "image/svg+xml", "text/plain"}
        assert bundle["image/svg+xml"].startswith("<svg") and "<script" not in bundle["image/svg+xml"]
        params = [p for layer in [bundle[VEGALITE_MIMETYPE], *bundle[VEGALITE_MIMETYPE].get("layer", [])]
                  for p in layer.get("params", [])]
        assert params and all(not p["name"].startswith("param_") for p in params)  # named: the same every run


def test_the_pack_html_leaves_the_workbench_out_and_keeps_static_svg(pack):
    page = (pack / "report.html").read_text()
    assert "vnd.vegalite" not in page and "Interactive charts" not in page and "population rotation_status" not in page
    assert "<script" not in page.lower() and page.count("<svg") >= 3
    assert "secret/prod/payments/db" in page


def test_the_packs_notebook_shows_every_chart_without_trust(pack):
    nb = nbformat.read(pack / "report.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    charts = [o for o in outputs if any(k in o.get("data", {}) for k in (*IMAGES, VEGALITE_MIMETYPE))]
    assert len([o for o in charts if "image/png" in o["data"]]) >= 3  # the pack's own charts, as PNG too
    assert len([o for o in charts if VEGALITE_MIMETYPE in o["data"]]) == 3  # the workbench's
    for output in charts:
        assert any(k in output["data"] for k in IMAGES)
    for output in outputs:
        html = output.get("data", {}).get("text/html", "")
        assert "<svg" not in html and "<script" not in html.lower()  # JupyterLab drops both untrusted
    assert not any(o.get("output_type") == "error" for o in outputs)


def test_only_the_report_command_records_a_run(pack, sample_db):
    with Warehouse(sample_db, read_only=True) as wh:
        _, [(runs,)] = wh.query("select count(*) from check_runs")
    assert runs == 1  # the pack's; the workbench fixture's build_report and the notebook's cells recorded none
