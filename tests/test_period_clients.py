"""One period in every client: a date-only period is UTC in the Python API, the CLI, `%sql` and plain
DuckDB, whatever the session's TimeZone; a wrong form says what to set (issue 13, item 8)."""

import json
import os
import subprocess
import sys

import duckdb
import nbformat
import pytest
from conftest import ROOT, load_synth_month

from vaultlab import Warehouse
from vaultlab.evidence.notebooks import notebook_path

QUESTION = ("select count(*) as overdue, max(days_overdue) as most, min(vl_as_of_date())::varchar as as_of, "
            "(select count(*) from events where ts >= vl_period_start() and ts < vl_period_end()) as events "
            "from rotation_status where status <> 'ok'")


@pytest.fixture(scope="module")
def db(tmp_path_factory, synth_small):
    out, _ = synth_small
    path = tmp_path_factory.mktemp("clients") / "w.duckdb"
    with Warehouse(path) as wh:
        load_synth_month(wh, out)
    return path


def _api(db, period="2026-10"):
    with Warehouse(db, read_only=True) as wh:
        return list(wh.sql(QUESTION, period=period).row(0))


def _plain_duckdb(db, start, end, timezone="Asia/Tokyo"):
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute(f"set TimeZone = '{timezone}'")
        con.execute(f"set variable period_start = {start}")
        con.execute(f"set variable period_end = {end}")
        return list(con.execute(QUESTION).fetchall()[0])
    finally:
        con.close()


def test_as_of_is_the_last_utc_day_of_the_period_in_a_tokyo_session(db):
    expected = _api(db)
    assert expected[2] == "2026-10-31"
    for start, end in (("'2026-10-01'", "'2026-11-01'"), ("DATE '2026-10-01'", "DATE '2026-11-01'"),
                       ("TIMESTAMP '2026-10-01 00:00'", "TIMESTAMP '2026-11-01 00:00'"),
                       ("TIMESTAMPTZ '2026-10-01 00:00+00'", "TIMESTAMPTZ '2026-11-01 00:00+00'"),
                       ("'2026-10-01T09:00:00+09'", "'2026-11-01T00:00:00Z'")):
        assert _plain_duckdb(db, start, end) == expected, (start, end)


def test_the_cli_answers_the_same_in_any_time_zone(db):
    expected = _api(db)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TZ": "Asia/Tokyo"}
    result = subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(db), "sql", QUESTION, "--period",
                             "2026-10", "--format", "json"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    [answer] = json.loads(result.stdout)
    assert list(answer.values()) == expected


def test_a_month_in_a_variable_gets_an_error_that_says_what_to_set(db):
    con = duckdb.connect(str(db), read_only=True)
    con.execute("set variable period_end = '2026-10'")
    with pytest.raises(duckdb.Error) as caught:
        con.execute("select count(*) from rotation_status").fetchall()
    con.close()
    message = str(caught.value)
    assert "period_end = '2026-10' is not a day or a time" in message
    assert "SET VARIABLE period_start = '2026-10-01'; SET VARIABLE period_end = '2026-11-01'" in message


def test_sql_magic_in_explore_is_bound_to_the_period(db, tmp_path):
    import papermill

    nb = nbformat.read(notebook_path("explore"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import json\n"
        f"answer = %sql {QUESTION}\n"
        "print('ANSWER', json.dumps([list(r) for r in answer]))"))
    source, executed = tmp_path / "explore.ipynb", tmp_path / "explore.out.ipynb"
    nbformat.write(nb, source)
    papermill.execute_notebook(str(source), str(executed), parameters={"warehouse": str(db), "period": "2026-10"},
                               kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    text = "".join(o.get("text", "") for o in nbformat.read(executed, as_version=4).cells[-1].outputs)
    [line] = [x for x in text.splitlines() if x.startswith("ANSWER ")]
    assert json.loads(line.removeprefix("ANSWER ")) == [_api(db)]
