"""The Spark engine (local mode) against DuckDB on the synthetic month with its planted findings:
every view and every check of the three frameworks give the same rows. One SparkSession and one
lake serve the whole module (a JVM takes long to start); without Java the tests skip, saying why."""

import json
from datetime import timezone

import pytest
from test_lake import (  # noqa: F401 (fixtures shared with the DuckDB tests)
    OCTOBER,
    drawn_csvs,
    lake,
    normal_rows,
    pack_contents,
    report_pack,
    synth_db,
    warehouse_pack,
    warehouse_samples,
)

from vaultlab import Warehouse
from vaultlab.controls.run import run_checks
from vaultlab.lake.layout import open_lake
from vaultlab.views import VIEWS


@pytest.fixture(scope="module")
def spark_lake(spark, lake):  # noqa: F811
    from vaultlab.lake.spark import SparkLake

    engine = SparkLake.shared(open_lake(str(lake)))
    yield engine
    engine.close()


def test_every_view_gives_the_same_rows_on_spark(spark_lake, synth_db):  # noqa: F811
    with Warehouse(synth_db, read_only=True) as wh:
        for view in VIEWS + ["events"]:
            mine = wh.query(f"select * from {view}", period=OCTOBER)
            theirs = spark_lake.query(f"select * from {view}", period=OCTOBER)
            assert theirs[0] == mine[0], view
            assert normal_rows(theirs[1]) == normal_rows(mine[1]), view
    assert spark_lake.view_errors == {}


def _rows(run):
    return sorted((r["control_id"], r["check"], r["resource"] or "", r["status"], r["reason"] or "")
                  for r in run.results)


def test_every_check_of_the_three_frameworks_gives_the_same_rows_on_spark(spark_lake, synth_db):  # noqa: F811
    with Warehouse(synth_db, read_only=True) as wh:
        for framework in ("soc2", "iso27001", "hipaa"):
            mine = run_checks(wh, framework, OCTOBER, record=False)
            theirs = run_checks(spark_lake, framework, OCTOBER, record=False)
            assert not [r for r in theirs.results if r["status"] == "error"], framework
            assert _rows(theirs) == _rows(mine), framework
            assert theirs.requirement_status == mine.requirement_status and theirs.as_of == mine.as_of
            # the planted findings are there on Spark too
            assert {r["check"] for r in theirs.results if r["status"] == "alarm"} >= {"audit_log_continuity"}


def test_check_json_with_spark_is_the_warehouses(spark_lake, lake, synth_db, capsys):  # noqa: F811
    from vaultlab.cli import main

    found = []
    for where in (["--db", str(synth_db)], ["--lake", str(lake), "--engine", "spark"]):
        assert main(["check", *where, "--framework", "soc2", "--period", "2026-10", "--format", "json"]) == 1
        document = json.loads(capsys.readouterr().out)
        found.append(sorted((req["id"], r["check"], r["resource"] or "", r["status"])
                            for req in document["requirements"] for r in req["results"]))
    assert found[0] == found[1] and len(found[0]) > 50


def test_times_come_back_as_utc_instants(spark_lake):
    _, rows = spark_lake.query("select min(ts) from events where ts >= '2026-10-01'")
    assert rows[0][0].tzinfo is not None and rows[0][0].astimezone(timezone.utc).date().isoformat() == "2026-10-01"


def test_a_query_spark_cannot_run_is_one_line(spark_lake):
    from vaultlab.errors import VaultlabError

    with pytest.raises(VaultlabError, match="^query failed on Spark: .*no_such_table"):
        spark_lake.query("select * from no_such_table")


def test_every_evidence_table_gives_the_same_rows_on_spark(spark_lake, synth_db):  # noqa: F811
    from vaultlab.sqlfiles import sql_names
    from vaultlab.views import query_text

    names = sql_names("vaultlab.queries", "evidence")
    assert len(names) >= 14
    with Warehouse(synth_db, read_only=True) as wh:
        for name in names:  # as vaultlab/evidence/tables.py asks them
            query = "select * from (" + query_text(f"evidence/{name}") + ") order by all"
            mine, theirs = wh.query(query, period=OCTOBER), spark_lake.query(query, period=OCTOBER)
            assert theirs[0] == mine[0] and normal_rows(theirs[1]) == normal_rows(mine[1]), name


def test_every_population_samples_the_same_rows_on_spark(spark_lake, warehouse_samples):  # noqa: F811
    """The total order (every column ascending, NULLs last, lists element by element), the bound positions
    and the values (times as UTC instants) are the warehouse's: the same CSV, byte for byte."""
    assert drawn_csvs(spark_lake) == warehouse_samples


def test_the_sample_command_with_spark_prints_the_warehouses_rows(spark_lake, lake, synth_db, capsys):  # noqa: F811
    from vaultlab.cli import main

    found = []
    for where in (["--db", str(synth_db)], ["--lake", str(lake), "--engine", "spark"]):
        assert main(["sample", *where, "--population", "rotation_status", "--size", "4", "--seed", "7",
                     "--period", "2026-10", "--format", "json"]) == 0
        found.append(json.loads(capsys.readouterr().out))
    assert found[1] == found[0] and found[0]["population_size"] == 54 and len(found[0]["rows"]) == 4


def test_report_from_the_lake_with_spark_is_the_warehouses(spark, lake, warehouse_pack, tmp_path):  # noqa: F811
    """The samples are drawn on the tests' Spark session (the report runs in this process); the notebook's
    kernel starts its own Spark (local mode): checks and evidence on Spark, the same pack."""
    pack = report_pack(tmp_path / "packs", "--lake", str(lake), "--engine", "spark", in_process=True)
    results, evidence, samples = pack_contents(pack)
    assert results == warehouse_pack[0] and len(results) > 50
    assert not [r for r in results if r[4] == "error"]
    assert evidence == warehouse_pack[1] and len(evidence) >= 10
    assert samples == warehouse_pack[2] and len(samples) == 10  # drawn on Spark: the same bytes
    assert json.loads((pack / "manifest.json").read_text())["parameters"]["engine"] == "spark"
    html = (pack / "report.html").read_text()
    assert "Checks and evidence tables: Spark; charts and population counts: DuckDB over the same lake." in html
