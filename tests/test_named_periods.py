"""Periods as users say them: last-month, this-month, YYYY-MM, YYYY-Qn, YYYY; "today" from one
function that honours $VAULTLAB_TODAY (issue 13, item 5)."""

from datetime import date, datetime, timezone

import pytest
from conftest import run_cli

from vaultlab import Warehouse
from vaultlab.errors import VaultlabError
from vaultlab.period import parse_period, today


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, start, end, label", [
    ("2026-10", utc(2026, 10, 1), utc(2026, 11, 1), "2026-10"),
    ("2026-12", utc(2026, 12, 1), utc(2027, 1, 1), "2026-12"),
    ("2026-Q3", utc(2026, 7, 1), utc(2026, 10, 1), "2026-Q3"),
    ("2026-q4", utc(2026, 10, 1), utc(2027, 1, 1), "2026-Q4"),
    ("2026", utc(2026, 1, 1), utc(2027, 1, 1), "2026"),
])
def test_calendar_periods(text, start, end, label):
    assert parse_period(text) == parse_period(text) and (parse_period(text).start, parse_period(text).end,
                                                          parse_period(text).label) == (start, end, label)


@pytest.mark.parametrize("day, last, this", [
    ("2026-12-01", "2026-11", "2026-12"),
    ("2027-01-15", "2026-12", "2027-01"),
    ("2026-03-31", "2026-02", "2026-03"),
])
def test_last_and_this_month_follow_vaultlab_today(monkeypatch, day, last, this):
    monkeypatch.setenv("VAULTLAB_TODAY", day)
    assert today() == date.fromisoformat(day)
    assert parse_period("last-month") == parse_period(last)
    assert parse_period("this-month") == parse_period(this)


def test_today_without_the_variable_is_the_utc_day(monkeypatch):
    monkeypatch.delenv("VAULTLAB_TODAY", raising=False)
    assert today() == datetime.now(timezone.utc).date()


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "2026-Q0", "26", "last month", "2026-10 ", "next-month"])
def test_a_bad_period_names_every_form(bad):
    with pytest.raises(VaultlabError, match="last-month, this-month, a month YYYY-MM"):
        parse_period(bad)


def test_a_bad_vaultlab_today_is_one_line(monkeypatch):
    monkeypatch.setenv("VAULTLAB_TODAY", "2026-12")
    with pytest.raises(VaultlabError, match=r"VAULTLAB_TODAY '2026-12' is not a date"):
        today()


def test_the_cli_takes_named_periods(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    Warehouse(db).close()
    monkeypatch.setenv("VAULTLAB_TODAY", "2026-12-01")
    query = "select timezone('UTC', vl_period_start()) as s, timezone('UTC', vl_period_end()) as e"
    for period, expected in (("last-month", "2026-11-01T00:00:00,2026-12-01T00:00:00"),
                             ("2026-Q4", "2026-10-01T00:00:00,2027-01-01T00:00:00"),
                             ("2026", "2026-01-01T00:00:00,2027-01-01T00:00:00")):
        result = run_cli("sql", query, "--period", period, "--format", "csv", db=db)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[1] == expected
    result = run_cli("check", "--framework", "soc2", "--period", "last-month", "--format", "json", db=db)
    assert result.returncode in (0, 1), result.stderr
    assert '"2026-11"' in result.stdout


def test_rotation_plan_defaults_to_vaultlab_today(tmp_path, monkeypatch, synth_small):
    from conftest import load_synth_month

    out, _ = synth_small
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, out)
    plans = {}
    for day in ("2026-10-31", None):
        if day:
            monkeypatch.setenv("VAULTLAB_TODAY", day)
        else:
            monkeypatch.delenv("VAULTLAB_TODAY", raising=False)
        args = ("rotation", "plan", "--format", "json") + (() if day else ("--as-of", "2026-10-31"))
        result = run_cli(*args, db=db)
        assert result.returncode == 0, result.stderr
        plans[day] = result.stdout
    assert plans["2026-10-31"] == plans[None]
