"""Every command and every public column is documented in the README."""

import re

from conftest import ROOT

from vaultlab import Warehouse
from vaultlab.cli import build_parser

README = (ROOT / "README.md").read_text()


def test_every_command_has_a_section():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        assert re.search(rf"^### `vaultlab {name}\b", README, re.M), f"README has no section for `vaultlab {name}`"


def test_every_public_column_is_documented(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as wh:
        for table in ("events", "ingest_files", "quarantine"):
            assert f"`{table}`" in README, f"README does not mention {table}"
        columns = [c for c in wh.query("select * from events limit 0")[0]]
    missing = [c for c in columns if f"`{c}`" not in README]
    assert not missing, f"columns of events not documented in README: {missing}"


def test_quick_start_is_exactly_two_commands():
    block = README.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line for line in block.splitlines() if line.strip()]
    assert [c.split("#")[0].strip() for c in commands] == ["make demo", "make test"]


def test_every_view_and_its_columns_are_documented(tmp_path):
    from vaultlab.views import VIEWS

    with Warehouse(tmp_path / "w.duckdb") as wh:
        for view in VIEWS + ["control_results"]:
            [row] = [line for line in README.splitlines() if line.startswith(f"| `{view}` |")] or [None]
            assert row, f"README's table of views has no row for {view}"
            for column in wh.query(f"select * from {view} limit 0")[0]:
                assert re.search(rf"\b{column}\b", row), f"README does not document {view}.{column}"
