"""Boundaries: due today vs overdue, 90 vs 91 days unread, the edges of business hours,
another time zone, bad inventory and policy files, thresholds from vaultlab.toml."""

import json

import pytest
from conftest import rows, run_cli

from vaultlab import VaultlabError, Warehouse, ingest
from vaultlab.config import load_config
from vaultlab.period import parse_period
from vaultlab.snapshots.inventory import load_inventory
from vaultlab.snapshots.policies import load_policies

OCTOBER = parse_period("2026-10")
ZOE = {"client_token": "hmac-sha256:" + "7" * 64, "accessor": "hmac-sha256:" + "8" * 64,
       "display_name": "ldap-zoe", "entity_id": "ent-zoe", "policies": ["default"]}
BOT = {**ZOE, "display_name": "approle", "entity_id": "ent-bot", "accessor": "hmac-sha256:" + "9" * 64}


def event(ts, path, op="read", auth=ZOE, error=None, n=[0]):  # noqa: B006  (n counts calls)
    n[0] += 1
    entry = {"time": ts, "type": "request", "auth": auth,
             "request": {"id": f"r{n[0]}", "operation": op, "path": path, "mount_type": "kv",
                         "namespace": {"id": "root"}, "remote_address": "10.0.0.7"}}
    if error:
        entry["error"] = error
    return json.dumps(entry)


def load(wh, tmp_path, lines, inventory=None):
    log = tmp_path / "audit.log"
    log.write_text("\n".join(lines) + "\n")
    ingest(wh, [str(log)], progress=False)
    if inventory is not None:
        inv = tmp_path / "inventory.json"
        inv.write_text(json.dumps(inventory))
        load_inventory(wh, [str(inv)], as_of=parse_period(as_of="2026-10-31").end)


def test_rotation_boundaries(warehouse, tmp_path):
    inventory = [
        {"name": "secret/a", "kind": "database", "last_rotated_at": "2026-10-01"},   # due today
        {"name": "secret/b", "kind": "database", "last_rotated_at": "2026-09-30"},   # due yesterday
        {"name": "secret/c", "kind": "database", "last_rotated_at": "2026-10-02"},   # due tomorrow
        {"name": "secret/d", "kind": "api-key", "last_rotated_at": "2026-10-01T09:00:00Z"},
        {"name": "secret/e", "kind": "password"},                                     # no date at all
        {"name": "secret/f", "kind": "tls-certificate", "expires_at": "2026-12-30"},  # 60 days before: today
        {"name": "secret/g", "kind": "tls-certificate", "expires_at": "2026-12-29"},
        {"name": "secret/h", "kind": "database", "rotation_days": 7, "last_rotated_at": "2026-10-20"},
        {"name": "secret/i", "kind": "database", "last_rotated_at": "2026-11-05"},   # after the period
        {"name": "secret/data/j", "kind": "database", "last_rotated_at": "2026-06-01"},  # KV v2 name form
    ]
    load(warehouse, tmp_path, [event("2026-10-25T10:00:00Z", "secret/data/j", "update"),
                               event("2026-11-03T10:00:00Z", "secret/data/b", "update")], inventory)
    got = {r["secret_id"]: r for r in rows(warehouse, "select * from rotation_status", period=OCTOBER)}
    summary = {k: (v["status"], v["days_overdue"], str(v["due_at"])) for k, v in got.items()}
    assert summary == {
        "secret/a": ("due_soon", 0, "2026-10-31"),
        "secret/b": ("overdue", 1, "2026-10-30"),  # the write of November does not count for October
        "secret/c": ("due_soon", 0, "2026-11-01"),
        "secret/d": ("ok", 0, "2026-12-30"),
        "secret/e": ("never", 0, "None"),
        "secret/f": ("due_soon", 0, "2026-10-31"),
        "secret/g": ("overdue", 1, "2026-10-30"),
        "secret/h": ("overdue", 4, "2026-10-27"),
        "secret/i": ("unknown", 0, "None"),  # only rotated after the period end: its state then is unknown
        "secret/j": ("ok", 0, "2026-11-24"),
    }
    assert got["secret/j"]["rotation_seen_in"] == "audit log"
    assert got["secret/a"]["rotation_seen_in"] == "inventory"
    # the same warehouse as of November: secret/b was rotated on 2026-11-03
    november = {r["secret_id"]: r["status"] for r in rows(warehouse, "select * from rotation_status",
                                                         period="2026-11")}
    assert november["secret/b"] == november["secret/i"] == "due_soon"  # due 2026-12-03 and 12-05


def test_orphan_boundaries(warehouse, tmp_path):
    inventory = [{"name": f"secret/{x}"} for x in "klnop"] + [
        {"name": "secret/m", "created_at": "2026-09-01"}, {"name": "secret/q", "created_at": "2026-08-01"}]
    load(warehouse, tmp_path, [
        event("2026-08-01T23:00:00Z", "secret/data/k"),  # 91 days before 2026-10-31
        event("2026-08-02T00:30:00Z", "secret/data/l"),  # 90 days
        event("2026-10-10T10:00:00Z", "secret/data/o", "update"),  # a write is not a read
        event("2026-10-10T10:00:00Z", "secret/data/p", error="permission denied"),  # nor a denied read
    ], inventory)
    got = {r["secret_id"]: r["days_since_read"] for r in rows(warehouse, "select * from orphaned_secrets",
                                                              period=OCTOBER)}
    assert got == {"secret/k": 91, "secret/n": None, "secret/o": None, "secret/p": None, "secret/q": None}


def _hours_log():
    return [
        event("2026-10-05T07:59:59Z", "secret/data/x"),   # Monday, one second early
        event("2026-10-05T08:00:00Z", "secret/data/x"),   # first second of business
        event("2026-10-05T17:59:59Z", "secret/data/x"),   # last second of business
        event("2026-10-05T18:00:00Z", "secret/data/x"),   # closed
        event("2026-10-10T10:00:00Z", "secret/data/x"),   # Saturday
        event("2026-10-05T03:00:00Z", "secret/data/x", auth=BOT),  # a service at night: never flagged
        event("2026-10-06T03:00:00Z", "secret/data/x", error="permission denied"),  # not a successful request
    ]


def test_business_hours_edges_in_utc(warehouse, tmp_path):
    load(warehouse, tmp_path, _hours_log())
    got = rows(warehouse, "select actor, events, first_seen, last_seen from anomalies "
                          "where signal = 'off_hours_human' order by first_seen", period=OCTOBER)
    assert [(r["actor"], r["events"]) for r in got] == [("ent-zoe", 2), ("ent-zoe", 1)]
    assert got[0]["first_seen"].isoformat() == "2026-10-05T07:59:59+00:00"
    assert got[0]["last_seen"].isoformat() == "2026-10-05T18:00:00+00:00"


def test_business_hours_in_another_time_zone(db_path, tmp_path):
    thresholds = {**load_config(), "business_timezone": "America/New_York"}  # UTC-4 in October
    with Warehouse(db_path, thresholds=thresholds) as wh:
        load(wh, tmp_path, _hours_log())
        got = rows(wh, "select events, reason from anomalies where signal = 'off_hours_human' order by first_seen",
                   period=OCTOBER)
    # in New York the Monday events are at 03:59:59 and 04:00 (outside 08-18), 13:59:59 and
    # 14:00 (inside); Saturday 06:00 is outside
    assert [r["events"] for r in got] == [2, 1]
    assert "America/New_York" in got[0]["reason"] and "first at 03:59" in got[0]["reason"]


def test_bad_inventory_rows_are_reported_and_good_rows_load(warehouse, tmp_path):
    csv_file = tmp_path / "inventory.csv"
    csv_file.write_text("name,kind,last_rotated_at,rotation_days\n"
                        "secret/ok1,database,2026-10-01,\n"
                        ",database,2026-10-01,\n"
                        "secret/bad-date,database,31/10/2026,\n"
                        "secret/bad-kind,floppy-disk,2026-10-01,\n"
                        "secret/bad-days,database,2026-10-01,soon\n"
                        "secret/ok2,db,2026-10-02T10:00:00+02:00,14\n")
    result = load_inventory(warehouse, [str(csv_file)])
    assert result.rows_loaded == 2
    assert [(row, reason.split(" ")[0]) for _, row, reason in result.rejects] == [
        (2, "no"), (3, "last_rotated_at"), (4, "unknown"), (5, "rotation_days")]
    got = rows(warehouse, "select secret_id, kind, rotation_days from secrets order by 1")
    assert got == [{"secret_id": "secret/ok1", "kind": "database", "rotation_days": None},
                   {"secret_id": "secret/ok2", "kind": "database", "rotation_days": 14}]
    yaml_file = tmp_path / "inventory.yaml"
    yaml_file.write_text("secrets:\n  - name: secret/data/from-yaml\n    kind: tls\n    expires_at: 2027-01-01\n")
    load_inventory(warehouse, [str(yaml_file)])
    assert rows(warehouse, "select secret_id, kind from secrets") == [
        {"secret_id": "secret/from-yaml", "kind": "tls-certificate"}]  # the newer snapshot
    result = run_cli("inventory", "load", str(csv_file), db=tmp_path / "cli.duckdb")
    assert result.returncode == 0 and "2 secret(s) loaded, 4 row(s) rejected" in result.stdout
    assert "row 3: last_rotated_at '31/10/2026' is not a date" in result.stderr


def test_bad_policy_files(warehouse, tmp_path):
    (tmp_path / "broken.hcl").write_text('path "secret/*" {\n  capabilities = ["read"\n')
    with pytest.raises(VaultlabError, match="policy broken is not valid HCL"):
        load_policies(warehouse, [str(tmp_path / "broken.hcl")])
    (tmp_path / "legacy.hcl").write_text(
        'path "secret/foo" {\n  policy = "write"\n}\npath "*" {\n  policy = "sudo"\n}\n')
    load_policies(warehouse, [str(tmp_path / "legacy.hcl")])
    got = rows(warehouse, "select path, finding from policy_findings order by all")
    assert got == [{"path": "*", "finding": "admin_without_deny"}, {"path": "*", "finding": "sudo"},
                   {"path": "*", "finding": "wildcard_path"}]
    result = run_cli("policies", "load", str(tmp_path / "missing"), db=tmp_path / "p.duckdb")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_thresholds_come_from_vaultlab_toml(db_path, tmp_path, monkeypatch):
    inventory = [{"name": "secret/k"}]
    with Warehouse(db_path) as wh:
        load(wh, tmp_path, [event("2026-08-01T23:00:00Z", "secret/data/k")], inventory)
    assert json.loads(run_cli("sql", "select secret_id from orphaned_secrets", "--period", "2026-10",
                              "--format", "json", db=db_path).stdout) == [{"secret_id": "secret/k"}]
    config = tmp_path / "vaultlab.toml"
    config.write_text("[thresholds]\norphan_days = 120\n")
    relaxed = run_cli("sql", "select secret_id from orphaned_secrets", "--period", "2026-10", "--config", str(config),
                      "--format", "json", db=db_path)
    assert json.loads(relaxed.stdout) == []
    shown = run_cli("config", "--config", str(config), "--format", "json")
    assert {r["threshold"]: r["value"] for r in json.loads(shown.stdout)}["orphan_days"] == 120
    config.write_text("[thresholds]\norphan_dayz = 120\n")
    bad = run_cli("config", "--config", str(config))
    assert bad.returncode == 2 and "unknown threshold(s) orphan_dayz" in bad.stderr


def test_period_arguments():
    assert (parse_period("2026-02").end - parse_period("2026-02").start).days == 28
    window = parse_period(start="2026-10-05", end="2026-10-06")
    assert (window.start.isoformat(), window.end.isoformat()) == ("2026-10-05T00:00:00+00:00",
                                                                  "2026-10-07T00:00:00+00:00")
    for bad in ("2026-13", "Oct 2026", "2026-1"):
        with pytest.raises(VaultlabError, match="YYYY-MM"):
            parse_period(bad)
    with pytest.raises(VaultlabError, match="empty"):
        parse_period(start="2026-10-07", end="2026-10-01")


def test_each_period_sees_the_inventory_of_its_time(warehouse, tmp_path):
    october, november = tmp_path / "oct.json", tmp_path / "nov.json"
    october.write_text(json.dumps([{"name": "secret/old", "kind": "database", "last_rotated_at": "2026-10-20"}]))
    november.write_text(json.dumps([{"name": "secret/new", "kind": "database", "last_rotated_at": "2026-11-10"}]))
    load_inventory(warehouse, [str(november)], as_of=parse_period(as_of="2026-11-15").end)
    load_inventory(warehouse, [str(october)], as_of=parse_period(as_of="2026-10-31").end)  # loaded later
    assert [r["secret_id"] for r in rows(warehouse, "select * from secrets", period=OCTOBER)] == ["secret/old"]
    assert [r["secret_id"] for r in rows(warehouse, "select * from secrets", period="2026-11")] == ["secret/new"]
    # before any snapshot existed, the earliest one stands in
    assert [r["secret_id"] for r in rows(warehouse, "select * from secrets", period="2026-09")] == ["secret/old"]
