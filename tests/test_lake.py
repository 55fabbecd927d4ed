"""The lake: `vaultlab lake export` (local and s3:// on moto), DuckDB over the lake, and bad input."""

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT, load_synth_month, run_cli

from vaultlab import Warehouse, output
from vaultlab.controls.catalog import check_names
from vaultlab.errors import VaultlabError
from vaultlab.evidence.samples import population_query
from vaultlab.lake import export as export_module
from vaultlab.lake.duck import LakeWarehouse
from vaultlab.lake.export import export_lake
from vaultlab.lake.layout import LAKE_FILE, LAKE_TABLES, NULL_PARTITION, open_lake
from vaultlab.period import parse_period
from vaultlab.queries.sample import draw
from vaultlab.schema import LATEST
from vaultlab.views import VIEWS

OCTOBER = parse_period("2026-10")


@pytest.fixture(scope="module")
def synth_db(synth_small, tmp_path_factory):
    """The synthetic month with its planted findings, plus one event without a time (NULL partition)."""
    db = tmp_path_factory.mktemp("lakewh") / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, synth_small[0])
        with wh.transaction() as cur:
            cur.execute("insert into event_store (event_id, source, ts, category, outcome) "
                        "values ('no-time', 'vault', null, 'secret.read', 'ok')")
    return db


@pytest.fixture(scope="module")
def lake(synth_db, tmp_path_factory):
    path = tmp_path_factory.mktemp("lake") / "lake"
    with Warehouse(synth_db, read_only=True) as wh:
        export_lake(wh, str(path))
    return path


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def normal_rows(rows):
    def plain(v):
        if hasattr(v, "astimezone"):
            return v.astimezone(__import__("datetime").timezone.utc).isoformat() if hasattr(v, "hour") else str(v)
        if isinstance(v, float):
            return round(v, 6)
        if isinstance(v, list):
            return tuple(plain(x) for x in v)
        return v
    return sorted(repr(tuple(plain(v) for v in r)) for r in rows)


def test_the_layout_is_hive_partitioned_parquet_with_a_description(lake, synth_db):
    document = json.loads((lake / LAKE_FILE).read_text())
    assert document == {"format": "vaultlab-lake", "lake_version": 1, "schema_version": LATEST}
    assert open_lake(str(lake)).schema_version == LATEST
    files = _files(lake)
    days = sorted({f.split("/")[2] for f in files if f.startswith("event_store/")})
    assert days[0] == "event_date=2026-10-01" and f"event_date={NULL_PARTITION}" in days
    assert all(f.endswith("/part-0.parquet") for f in files if f.startswith("event_store/"))
    for table in LAKE_TABLES:
        if table != "event_store":
            assert f"{table}/part-0.parquet" in files, table
    assert not [f for f in files if ".staging" in f or ".trash" in f]


def test_every_view_reads_the_same_over_the_lake_with_duckdb(lake, synth_db):
    with Warehouse(synth_db, read_only=True) as wh, LakeWarehouse(open_lake(str(lake))) as lw:
        for view in VIEWS + ["events", "ingest_files", "quarantine", "policy_rules"]:
            mine, theirs = wh.query(f"select * from {view}", period=OCTOBER), lw.query(f"select * from {view}",
                                                                                         period=OCTOBER)
            assert mine[0] == theirs[0], view
            assert normal_rows(mine[1]) == normal_rows(theirs[1]), view
        # the hash columns Parquet has no type for come back as the warehouse's
        assert lw.query("select typeof(request_hash) from event_store limit 1")[1] == [("UHUGEINT",)]
        assert lw.query("select count(*) from events where ts is null")[1] == [(1,)]


# -- `vaultlab sample` over the lake: the warehouse's rows for the same seed -------------------------

POPULATIONS = VIEWS + check_names()  # every population `vaultlab sample` accepts


def drawn_csvs(source, size=3, seed=2026):
    """Every population drawn from `source` (a warehouse or an engine over the lake), as
    `vaultlab sample --format csv` prints it, with the population's size."""
    drawn = {}
    for name in POPULATIONS:
        sample = draw(source, name, population_query(name), size=size, seed=seed, period=OCTOBER)
        drawn[name] = (sample.population_size, output.render(sample.columns, sample.rows, "csv"))
    return drawn


@pytest.fixture(scope="module")
def warehouse_samples(synth_db):
    with Warehouse(synth_db, read_only=True) as wh:
        drawn = drawn_csvs(wh)
    # the populations are not trivial: several larger than the sample, none empty, NULLs, lists and times
    assert sum(total > 3 for total, _ in drawn.values()) >= 6 and all(total for total, _ in drawn.values())
    assert '"[' in drawn["access_inventory"][1] and "+00:00" in drawn["anomalies"][1]
    assert ",," in drawn["rotation_status"][1]
    return drawn


def test_every_population_samples_the_same_rows_over_the_lake_with_duckdb(lake, warehouse_samples):
    with LakeWarehouse(open_lake(str(lake))) as lw:
        assert drawn_csvs(lw) == warehouse_samples


def test_the_sample_command_over_the_lake_prints_the_warehouses_rows(lake, synth_db):
    args = ("sample", "--population", "access_inventory", "--size", "4", "--seed", "audit-2026", "--period",
            "2026-10", "--format", "csv")
    mine, theirs = run_cli(*args, db=synth_db), run_cli(*args, "--lake", str(lake), "--engine", "duckdb")
    assert mine.returncode == theirs.returncode == 0, theirs.stderr
    assert theirs.stdout == mine.stdout and len(mine.stdout.splitlines()) == 5
    assert theirs.stderr == mine.stderr == "population access_inventory: 117 row(s); seed audit-2026; 4 drawn\n"
    both = run_cli(*args, "--lake", str(lake), db=synth_db)
    assert both.returncode == 2 and both.stderr.strip() == "vaultlab: error: give --db or --lake, not both"


def test_a_second_export_gives_the_same_lake_and_a_period_replaces_only_its_days(lake, synth_db, tmp_path):
    copy = tmp_path / "lake"
    with Warehouse(synth_db, read_only=True) as wh:
        first = export_lake(wh, str(copy))
        files = _files(copy)
        again = export_lake(wh, str(copy))
        assert _files(copy) == files and again.rows == first.rows
        before = {f: (copy / f).stat().st_mtime_ns for f in files}
        october = export_lake(wh, str(copy), OCTOBER)
    assert len(october.partitions) == 31 and all("2026-10-" in p for p in october.partitions)
    after = {f: (copy / f).stat().st_mtime_ns for f in _files(copy)}
    assert sorted(after) == sorted(before)
    untouched = [f for f in after if f.startswith("event_store/") and "2026-10-" not in f]
    assert len(untouched) == 2 and all(after[f] == before[f] for f in untouched)  # 2026-11-01 and no time
    assert all(after[f] != before[f] for f in after if "event_date=2026-10-" in f)
    with LakeWarehouse(open_lake(str(copy))) as lw:
        assert lw.query("select count(*), count(distinct event_id) from event_store")[1] == [(3001, 3001)]


def test_a_failed_export_leaves_the_lake_as_it_was(lake, synth_db, tmp_path, monkeypatch):
    copy = tmp_path / "lake"
    with Warehouse(synth_db, read_only=True) as wh:
        export_lake(wh, str(copy))
        before = {f: (copy / f).read_bytes() for f in _files(copy)}
        real_copy = export_module.stage

        def fail_midway(wh, folder, period):
            real_copy(wh, folder, period)
            raise VaultlabError("disk full")
        monkeypatch.setattr(export_module, "stage", fail_midway)
        with pytest.raises(VaultlabError, match="disk full"):
            export_lake(wh, str(copy))
    assert {f: (copy / f).read_bytes() for f in _files(copy)} == before


def test_check_json_is_the_same_over_the_lake_and_the_warehouse(lake, synth_db):
    for framework in ("soc2", "iso27001", "hipaa"):
        rows = []
        for where in (["--db", str(synth_db)], ["--lake", str(lake)], ["--lake", str(lake), "--engine", "duckdb"]):
            result = run_cli("check", *where, "--framework", framework, "--period", "2026-10", "--format", "json")
            assert result.returncode == 1, result.stderr
            rows.append(sorted((r["requirement"], r["check"], r["resource"] or "", r["status"])
                               for r in _results(json.loads(result.stdout))))
        assert rows[0] == rows[1] == rows[2] and len(rows[0]) > 50, framework


def _results(document):
    for req in document["requirements"]:
        for r in req.get("results", []):
            yield {"requirement": req["id"], **r}


def test_the_cli_exports_and_refuses_bad_input_in_one_line(lake, synth_db, tmp_path):
    out = tmp_path / "cli-lake"
    result = run_cli("lake", "export", str(out), "--warehouse", str(synth_db), "--period", "2026-10")
    assert result.returncode == 0 and "2997 event(s) of the period 2026-10 in 31 partition(s)" in result.stdout
    missing = run_cli("sql", "--lake", str(tmp_path / "nothing"), "select 1")
    assert missing.returncode == 2 and missing.stderr.strip().splitlines() == [
        f"vaultlab: error: no vaultlab lake at {tmp_path / 'nothing'}; create one with `vaultlab lake export`"]
    assert not (tmp_path / "nothing").exists()
    engine = run_cli("check", "--lake", str(lake), "--engine", "presto", "--framework", "soc2", "--period", "2026-10")
    assert engine.returncode == 2 and "argument --engine: invalid choice: 'presto'" in engine.stderr
    alone = run_cli("sql", "--engine", "spark", "select 1")
    assert alone.returncode == 2 and "--engine reads a lake: give --lake LAKE too" in alone.stderr
    locked = run_cli("sql", "--lake", str(lake), "select * from read_csv('/etc/passwd')")
    assert locked.returncode == 2 and "unless --allow-files is given" in locked.stderr


def test_spark_without_java_is_one_line(lake):
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env.update(PATH="/nonexistent", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "vaultlab", "sql", "--lake", str(lake), "--engine", "spark",
                             "select 1"], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 2 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert "Java 17" in line or "needs pyspark" in line


@pytest.fixture(scope="module")
def aws_endpoint():
    from aws_server import moto_endpoint

    with moto_endpoint() as url:
        yield url


def test_an_s3_lake_on_moto(aws_endpoint, synth_db):
    import boto3

    boto3.client("s3").create_bucket(Bucket="lake-bucket")
    with Warehouse(synth_db, read_only=True) as wh:
        export_lake(wh, "s3://lake-bucket/vaultlab")
        export_lake(wh, "s3://lake-bucket/vaultlab", OCTOBER)  # again, per partition: same objects
        keys = sorted(o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket="lake-bucket")["Contents"])
        assert "vaultlab/_lake.json" in keys and "vaultlab/event_store/source=vault/event_date=2026-10-01/part-0.parquet" in keys
        with LakeWarehouse(open_lake("s3://lake-bucket/vaultlab/")) as lw:
            for view in ("events", "anomalies", "rotation_status"):
                assert normal_rows(wh.query(f"select * from {view}", period=OCTOBER)[1]) == \
                    normal_rows(lw.query(f"select * from {view}", period=OCTOBER)[1]), view
    with pytest.raises(VaultlabError, match="no vaultlab lake at s3://lake-bucket/other"):
        open_lake("s3://lake-bucket/other")


# -- `vaultlab report --lake`: the same pack as from the warehouse ---------------------------------

SAMPLED = ("--sample", "5", "--seed", "2026")  # every pack below draws its samples with the same seed


def report_pack(out, *where: str, in_process: bool = False):
    """`vaultlab report --sample 5 --seed 2026` of soc2 for October into `out`, reading `where` (--lake ...
    or --db); `in_process`: run in this process (Spark: its samples drawn on the tests' one session)."""
    import shutil

    if where and where[0] == "--db":  # a copy: the report records its run, the shared warehouse stays as it is
        shutil.copy(where[1], out.parent / "copy.duckdb")
        where = ("--db", str(out.parent / "copy.duckdb"), *where[2:])
    args = ["report", *where, *SAMPLED, "--framework", "soc2", "--period", "2026-10", "--out", str(out)]
    if in_process:
        from vaultlab.cli import main

        assert main(args) == 0
    else:
        result = run_cli(*args)
        assert result.returncode == 0, result.stderr[-3000:]
    pack = out / "soc2-2026-10"
    verified = run_cli("verify", str(pack))
    assert verified.returncode == 0 and verified.stdout.strip() == f"{pack}: intact", verified.stdout + verified.stderr
    return pack


def pack_contents(pack):
    """controls.json's results, every evidence CSV (header, rows in any order) and every file of samples/
    (bytes): what must not depend on what read the data."""
    import csv

    document = json.loads((pack / "controls.json").read_text())
    results = sorted((req["id"], req["status"], r["check"], r["resource"] or "", r["status"])
                     for req in document["requirements"] for r in req["results"])
    evidence = {}
    for path in sorted((pack / "evidence").glob("*.csv")):
        header, *rows = list(csv.reader(path.open(newline="", encoding="utf-8")))
        evidence[path.name] = (header, sorted(rows))
    samples = {path.name: path.read_bytes() for path in sorted((pack / "samples").iterdir())}
    return results, evidence, samples


@pytest.fixture(scope="module")
def warehouse_pack(synth_db, tmp_path_factory):
    return pack_contents(report_pack(tmp_path_factory.mktemp("whpack") / "packs", "--db", str(synth_db)))


def test_report_from_the_lake_with_duckdb_is_the_warehouses(lake, warehouse_pack, tmp_path):
    pack = report_pack(tmp_path / "packs", "--lake", str(lake), "--engine", "duckdb")
    results, evidence, samples = pack_contents(pack)
    assert results == warehouse_pack[0] and len(results) > 50
    assert ("audit_log_continuity", "alarm") in {(r[2], r[4]) for r in results}  # a planted finding
    assert evidence == warehouse_pack[1] and len(evidence) >= 10
    assert any(rows for _, rows in evidence.values())
    assert samples == warehouse_pack[2] and len(samples) == 10  # nine populations and index.json, byte for byte
    index = json.loads(samples["index.json"])
    assert index["seed"] == 2026 and index["populations"]["access_inventory"]["drawn"] == 5
    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["parameters"]["lake"] == str(lake) and manifest["parameters"]["engine"] == "duckdb"
    assert manifest["inputs"] and all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    html = (pack / "report.html").read_text()
    assert "Checks, evidence tables, charts and population counts: DuckDB over the lake." in html
    assert "human access by hour and weekday (UTC)" in html  # the charts were drawn
    assert len(json.loads((pack / "run.json").read_text())["run_id"]) == 36  # the run's id, recorded in the pack


def test_report_refuses_lake_with_db(lake, synth_db, tmp_path):
    result = run_cli("report", "--lake", str(lake), "--framework", "soc2", "--period", "2026-10",
                     "--out", str(tmp_path), db=synth_db)
    assert result.returncode == 2 and result.stderr.strip() == "vaultlab: error: give --db or --lake, not both"
    result = run_cli("report", "--lake", str(tmp_path / "nothing"), "--framework", "soc2", "--period", "2026-10",
                     "--out", str(tmp_path))
    assert result.returncode == 2 and "no vaultlab lake at" in result.stderr and len(result.stderr.splitlines()) == 1
    result = run_cli("report", "--lake", str(lake), "--seed", "3", "--framework", "soc2", "--period", "2026-10",
                     "--out", str(tmp_path))
    assert result.returncode == 2 and result.stderr.strip() == (
        "vaultlab: error: --seed is the seed of --sample N; give --sample too")
    assert not list(tmp_path.iterdir())
