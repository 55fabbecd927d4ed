"""The warehouse opens in the DuckDB CLI users install (`pip install duckdb-cli`, 1.5.x): it is written
in that CLI's storage format (issue 13, item 9)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import load_synth_month

from vaultlab import Warehouse


def _cli() -> str:
    beside = Path(sys.executable).with_name("duckdb")  # installed by the test extra (pyproject.toml)
    found = str(beside) if beside.exists() else shutil.which("duckdb")
    if not found:
        pytest.fail("the DuckDB CLI is not installed: pip install -e '.[test]' installs duckdb-cli")
    return found


def test_the_cli_reads_a_demo_like_warehouse_and_its_views(tmp_path, synth_small):
    out, _ = synth_small
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, out)
        expected = wh.query("select count(*) from rotation_status where status <> 'ok'", period="2026-10")[1][0][0]
    assert expected > 0
    version = subprocess.run([_cli(), "-version"], capture_output=True, text=True)
    assert version.stdout.startswith("v1."), version.stdout
    result = subprocess.run(
        [_cli(), "-readonly", "-csv", "-noheader", str(db), "-c",
         "SET VARIABLE period_start = '2026-10-01'; SET VARIABLE period_end = '2026-11-01'; "
         "SELECT count(*) FROM rotation_status WHERE status <> 'ok';"],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(expected)
