"""`vaultlab sample`: the same rows for the same warehouse, period and seed; never DuckDB's own sampling."""

import json

import pytest
from conftest import load_synth_month, run_cli

from vaultlab import Warehouse
from vaultlab.controls.catalog import load_check
from vaultlab.queries.sample import draw, positions, view_query


@pytest.fixture(scope="module")
def month(tmp_path_factory, synth_small):
    out, _ = synth_small
    db = tmp_path_factory.mktemp("sample") / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, out)
    return db


def _draw(db, name, query, size, seed):
    with Warehouse(db, read_only=True) as wh:
        return draw(wh, name, query, size=size, seed=seed, period="2026-10")


def test_the_same_seed_draws_the_same_rows_and_another_seed_others(month):
    query = view_query("access_inventory")
    first, again, other = (_draw(month, "access_inventory", query, 25, seed) for seed in (7, 7, 8))
    assert first.population_size > 50 and len(first.rows) == 25
    assert first.rows == again.rows and first.rows != other.rows
    places = [r[0] for r in first.rows]
    assert places == sorted(set(places)) and places == positions(first.population_size, 25, 7)
    # the rows are those places of the population ordered by every column
    with Warehouse(month, read_only=True) as wh:
        _, ordered = wh.query(f"{query} order by all", period="2026-10")
    assert [tuple(r[1:]) for r in first.rows] == [ordered[p - 1] for p in places]


def test_positions_are_fixed_for_a_seed():
    # what any machine must draw for seed 2026: Python's Mersenne Twister, seeded by an integer
    assert positions(100, 5, 2026) == sorted(__import__("random").Random(2026).sample(range(1, 101), 5))
    assert positions(3, 25, 1) == [1, 2, 3]
    assert positions(100, 5, "7") == positions(100, 5, 7) and positions(100, 5, "audit-2026") != positions(100, 5, 7)


def test_a_check_population_and_one_larger_than_asked(month):
    check = load_check("rotation_overdue")
    drawn = _draw(month, "rotation_overdue", check.sql, 1000, 3)
    assert len(drawn.rows) == drawn.population_size > 0
    assert drawn.columns[0] == "population_row" and [r[0] for r in drawn.rows] == list(range(1, len(drawn.rows) + 1))


def test_the_command(month):
    args = ("sample", "--population", "rotation_overdue", "--size", "2", "--seed", "11", "--period", "2026-10")
    table = run_cli(*args, db=month)
    assert table.returncode == 0, table.stderr
    assert "seed 11" in table.stdout and "row(s)" in table.stdout
    as_json = json.loads(run_cli(*args, "--format", "json", db=month).stdout)
    assert as_json["seed"] == 11 and as_json["population_size"] >= len(as_json["rows"]) == min(
        2, as_json["population_size"])
    assert run_cli(*args, "--format", "json", db=month).stdout == json.dumps(as_json, indent=2) + "\n"
    unknown = run_cli("sample", "--population", "no_such_thing", "--seed", "1", "--period", "2026-10", db=month)
    assert unknown.returncode == 2 and len(unknown.stderr.strip().splitlines()) == 1
    assert "unknown population 'no_such_thing'" in unknown.stderr
