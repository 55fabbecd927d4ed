"""A warehouse from before schema 7 (records hashed another way) is marked, and the user told.

Its duplicate search cannot recognise a record of an old file that arrives again in a new one
(a rotated copy compressed later): the counts would be wrong silently. Migration 7 marks the old
ledger rows (record_identity 1), every later file is 2, and `ingest` and `info` say so in one line.
A lake written before the column existed still reads (the column is NULL).
"""

from __future__ import annotations

import duckdb
import pytest
from conftest import run_cli

from vaultlab import Warehouse
from vaultlab.ingest import ingest
from vaultlab.lake.duck import LakeWarehouse
from vaultlab.lake.export import export_lake
from vaultlab.lake.layout import open_lake

WARNING = "were loaded by a vaultlab older than schema 7"


def _log(folder, name: str, first: int, count: int):
    """Vault request records `first`.. `first+count-1`, one per line."""
    path = folder / name
    path.write_text("".join(
        f'{{"time":"2026-10-01T00:{n // 60:02d}:{n % 60:02d}Z","type":"request","auth":{{"display_name":"app",'
        f'"entity_id":"e1","policies":["default"]}},"request":{{"id":"req-{n}","operation":"read",'
        f'"path":"secret/data/app{n}","remote_address":"10.0.0.1"}}}}\n' for n in range(first, first + count)))
    return path


def _as_schema_6(db) -> None:
    """What vaultlab wrote before migration 7: no record_identity column, schema_version 6."""
    con = duckdb.connect(str(db))
    con.execute("alter table ingest_files drop column record_identity")
    con.execute("delete from schema_version where version = 7")
    con.close()


def test_files_loaded_before_schema_7_are_marked_and_each_ingest_and_info_says_so(tmp_path):
    db = tmp_path / "old.duckdb"
    with Warehouse(db) as wh:
        ingest(wh, [str(_log(tmp_path, "a.log", 0, 5))], progress=False)
    _as_schema_6(db)

    done = run_cli("ingest", "--quiet", str(_log(tmp_path, "b.log", 5, 3)), db=db)
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(WARNING) == 1 and "1 file(s) in this warehouse" in done.stderr
    with Warehouse(db, read_only=True) as wh:
        _, ledger = wh.query("select path, record_identity from ingest_files order by file_id")
    assert [(p.rsplit("/", 1)[-1], i) for p, i in ledger] == [("a.log", 1), ("b.log", 2)]

    info = run_cli("info", db=db)
    assert info.returncode == 0 and info.stderr.count(WARNING) == 1

    again = run_cli("ingest", "--quiet", str(tmp_path / "b.log"), db=db)  # nothing new loaded: no warning
    assert again.returncode == 0 and "already loaded" in again.stdout and WARNING not in again.stderr


def test_a_warehouse_of_this_version_never_warns(tmp_path):
    db = tmp_path / "new.duckdb"
    for name, first in (("a.log", 0), ("b.log", 5)):
        done = run_cli("ingest", "--quiet", str(_log(tmp_path, name, first, 5)), db=db)
        assert done.returncode == 0 and WARNING not in done.stderr
    assert WARNING not in run_cli("info", db=db).stderr
    with Warehouse(db, read_only=True) as wh:
        assert wh.query("select record_identity, count(*) from ingest_files group by all")[1] == [(2, 2)]


@pytest.fixture()
def old_lake(tmp_path):
    """A lake exported from this version, its ledger then rewritten without record_identity."""
    with Warehouse(tmp_path / "wh.duckdb") as wh:
        ingest(wh, [str(_log(tmp_path, "a.log", 0, 4))], progress=False)
        export_lake(wh, str(tmp_path / "lake"))
    ledger = next((tmp_path / "lake" / "ingest_files").glob("*.parquet"))
    con = duckdb.connect()
    con.execute(f"copy (select * exclude (record_identity) from read_parquet('{ledger}')) "
                f"to '{tmp_path / 'old.parquet'}' (format parquet)")
    con.close()
    (tmp_path / "old.parquet").replace(ledger)
    return tmp_path / "lake"


def test_a_lake_written_before_the_column_reads_it_as_null_with_duckdb(old_lake):
    with LakeWarehouse(open_lake(str(old_lake))) as lake:
        _, rows = lake.query("select lines_read, events_loaded, record_identity from ingest_files")
    assert rows == [(4, 4, None)]


def test_a_lake_written_before_the_column_reads_it_as_null_with_spark(old_lake, spark):
    from vaultlab.lake.spark import SparkLake

    rows = SparkLake(open_lake(str(old_lake)), spark=spark).query(
        "select lines_read, events_loaded, record_identity from ingest_files")[1]
    assert [tuple(r) for r in rows] == [(4, 4, None)]
