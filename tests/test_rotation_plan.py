"""The rotation planner: urgency, grouping by owner, and an iCalendar file a calendar accepts."""

import json
from datetime import date

from conftest import run_cli

from vaultlab.queries.rotation_plan import rotation_plan, to_ical
from vaultlab.snapshots.inventory import load_inventory

INVENTORY = [
    {"name": "secret/over", "kind": "database", "owner": "team-b", "last_rotated_at": "2026-09-01"},
    {"name": "secret/never", "kind": "password", "owner": "team-a"},
    {"name": "secret/week", "kind": "database", "owner": "team-a", "last_rotated_at": "2026-10-07"},   # due 11-06
    {"name": "secret/fortnight", "kind": "database", "owner": "team-a", "last_rotated_at": "2026-10-14"},  # 11-13
    {"name": "secret/month", "kind": "database", "owner": "team-b", "last_rotated_at": "2026-10-25"},  # 11-24
    {"name": "secret/later, with; odd\\chars", "kind": "api-key", "owner": "team-b", "last_rotated_at": "2026-10-25"},
]


def test_plan_urgency_and_owner_grouping(warehouse, tmp_path):
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(INVENTORY))
    load_inventory(warehouse, [str(inv)])
    plan = rotation_plan(warehouse, as_of=date(2026, 10, 31), horizon=30)
    assert [(p["owner"], p["secret_id"], p["urgency"]) for p in plan] == [
        ("team-a", "secret/never", "critical"),
        ("team-a", "secret/week", "high"),
        ("team-a", "secret/fortnight", "medium"),
        ("team-b", "secret/over", "critical"),
        ("team-b", "secret/month", "low"),
    ]  # the api-key, due 2027-01-23, is beyond the horizon
    assert [p["days_left"] for p in plan] == [None, 6, 13, -30, 24]

    ics = to_ical(plan, date(2026, 10, 31))
    assert ics == to_ical(plan, date(2026, 10, 31))  # deterministic
    lines = ics.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert ics.count("BEGIN:VEVENT") == 5 and all(len(line.encode()) <= 75 for line in lines)
    assert "DTSTART;VALUE=DATE:20261106" in lines  # secret/week on its due day
    assert lines.count("DTSTART;VALUE=DATE:20261031") == 2  # overdue and never: on the as-of day


def test_plan_command_writes_ics_and_escapes(db_path, tmp_path):
    inv = tmp_path / "inventory.json"
    inv.write_text(json.dumps(INVENTORY))
    assert run_cli("inventory", "load", str(inv), db=db_path).returncode == 0
    ics = tmp_path / "rotations.ics"
    result = run_cli("rotation", "plan", "--as-of", "2026-10-31", "--horizon", "120", "--ics", str(ics),
                     "--format", "json", db=db_path)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert len(plan) == 6 and plan[-1]["secret_id"].startswith("secret/later")
    text = ics.read_bytes().decode()
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:[low] rotate secret/later\\, with\\; odd\\\\chars" in unfolded
