"""Read commands never create a warehouse: a path that holds none is one line, exit 2, nothing created
(issue 13, item 3)."""

import pytest
from conftest import run_cli

from vaultlab import Warehouse

READ_COMMANDS = [
    ["check", "--framework", "soc2", "--period", "2026-10"],
    ["report", "--framework", "soc2", "--period", "2026-10"],
    ["sql", "select 1"],
    ["info"],
    ["rotation", "plan"],
    ["policies", "suggest", "--actor", "someone"],
    ["leak", "--audit-device", "file/"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_read_command_on_a_missing_warehouse_creates_nothing(tmp_path, command):
    db = tmp_path / "typo.duckdb"
    args = [*command, "--out", str(tmp_path / "reports")] if command[0] == "report" else command
    result = run_cli(*args, db=db, input="a leaked value\n")
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"vaultlab: error: no warehouse at {db}; create one with `vaultlab ingest`"]
    assert list(tmp_path.iterdir()) == []


def test_check_still_records_its_run_in_an_existing_warehouse(tmp_path):
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()
    result = run_cli("check", "--framework", "soc2", "--period", "2026-10", db=db)
    assert result.returncode in (0, 1), result.stderr
    with Warehouse(db, read_only=True) as wh:
        assert wh.query("select count(*) from check_runs")[1] == [(1,)]
