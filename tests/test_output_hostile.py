"""Output that attacks its reader: CSV formulas, terminal escapes, iCalendar injection (issue 11, items 12-14)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from conftest import run_cli

from vaultlab import Warehouse
from vaultlab.evidence.tables import table_csv as evidence_csv
from vaultlab.output import render
from vaultlab.queries.rotation_plan import to_ical

FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def _cells(text):
    return list(csv.reader(io.StringIO(text)))


def test_formula_cells_are_neutralised_in_every_csv_and_numbers_stay_numbers():
    rows = [(f, -5, Decimal("-1.50"), -0.25, "plain", None) for f in FORMULAS]
    columns = ["c", "n", "d", "f", "p", "z"]
    for text in (render(columns, rows, "csv"), evidence_csv(columns, rows)):
        parsed = _cells(text)[1:]
        assert [r[0] for r in parsed] == ["'" + f for f in FORMULAS]
        assert {(r[1], r[2], r[3], r[4], r[5]) for r in parsed} == {("-5", "-1.50", "-0.25", "plain", "")}


def test_sql_format_csv_and_column_names(tmp_path):
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()
    result = run_cli("sql", "select '=1+1' as \"=name\", -3 as n, '-3' as t, 'ok' as s", "--format", "csv", db=db)
    assert result.returncode == 0, result.stderr
    assert _cells(result.stdout) == [["'=name", "n", "t", "s"], ["'=1+1", "-3", "'-3", "ok"]]


def test_control_characters_are_shown_not_sent_to_the_terminal(tmp_path):
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()
    hostile = "chr(27) || ']0;pwned' || chr(7) || chr(27) || '[31mred' || chr(155) || chr(8238) || chr(13)"
    result = run_cli("sql", f"select {hostile} as name, 1 as \"a\u001b[2Jb\"", db=db)
    assert result.returncode == 0, result.stderr
    assert not any(ch in result.stdout for ch in "\x1b\x07\x9b\u202e\r")
    assert "\\x1b]0;pwned\\x07\\x1b[31mred\\x9b\\u202e\\r" in result.stdout
    assert "a\\x1b[2Jb" in result.stdout
    bad = run_cli("sql", "select * from \"no\u001b[31mtable\"", db=db)
    assert bad.returncode == 2 and "\x1b" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_table_render_escapes_every_control_character():
    text = render(["x"], [("a\x00b\x1b[0m\u2066c\x7fd",)], "table")
    assert text.splitlines()[2] == "a\\x00b\\x1b[0m\\u2066c\\x7fd"


def _plan(owner, secret_id="secret/prod/db"):
    return [{"owner": owner, "secret_id": secret_id, "store": "vault", "kind": "database", "status": "overdue",
             "due_at": date(2026, 10, 1), "days_overdue": 30, "urgency": "critical", "rotation_days": 30}]


@pytest.mark.parametrize("owner", ["evil\rBEGIN:VEVENT\rSUMMARY:forged\rEND:VEVENT",
                                   "evil\r\nBEGIN:VEVENT\nSUMMARY:forged", "a\\;b,c\x0bd" + "é" * 80])
def test_ical_escapes_every_line_break_and_folds_at_75_octets(owner):
    text = to_ical(_plan(owner, secret_id="secret/" + "x" * 120), date(2026, 10, 31))
    raw = text.encode()
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines), [len(line) for line in lines]
    unfolded = text.replace("\r\n ", "").split("\r\n")[:-1]
    assert unfolded.count("BEGIN:VEVENT") == 1 and not any(u.startswith("SUMMARY:forged") for u in unfolded)
    assert not any(ch in "".join(unfolded) for ch in "\x0b")
    category = next(u for u in unfolded if u.startswith("CATEGORIES:"))
    if owner.startswith("a\\"):
        assert category == "CATEGORIES:a\\\\\\;b\\,c d" + "é" * 80
    else:
        assert "\\nBEGIN:VEVENT" in category


def test_check_table_shows_control_characters_in_resources_visibly(tmp_path):
    import json

    from vaultlab.period import parse_period
    from vaultlab.snapshots.inventory import load_inventory

    db = tmp_path / "w.duckdb"
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps([{"name": "secret/prod/\u001b]0;owned\u0007\u001b[31mdb", "kind": "database",
                                      "owner": "=cmd|'/C calc'!A0", "last_rotated_at": "2025-01-01",
                                      "rotation_days": 30}]))
    with Warehouse(db) as wh:
        load_inventory(wh, [str(inventory)], as_of=parse_period(as_of="2026-10-31").end)
    table = run_cli("check", "--framework", "soc2", "--period", "2026-10", db=db)
    assert table.returncode in (0, 1), table.stderr
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout
    assert "\\x1b]0;owned\\x07\\x1b[31mdb" in table.stdout
    as_csv = run_cli("check", "--framework", "soc2", "--period", "2026-10", "--format", "csv", db=db)
    assert not any(cell.startswith(("=", "+", "@")) for row in _cells(as_csv.stdout) for cell in row)
