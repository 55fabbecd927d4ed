"""Never green without evidence (issue 13, items 1, 2, 4, 5): not_evaluated and incomplete
statuses, per-source coverage of the period, the snapshot in force, and what a run compares with."""

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import load_synth_month, rows, run_cli

from vaultlab import Warehouse, ingest
from vaultlab.controls.run import check_status, run_checks
from vaultlab.errors import VaultlabError
from vaultlab.evidence.report import Report, summary_html
from vaultlab.period import parse_period
from vaultlab.snapshots.collected import Collected, store_collected
from vaultlab.snapshots.inventory import load_inventory
from vaultlab.snapshots.policies import load_policies

UTC = timezone.utc


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    """A fixed "today" well after October and November 2026, whatever the machine's clock."""
    monkeypatch.setenv("VAULTLAB_TODAY", "2026-12-15")


def _check(db, *args, period="2026-10", framework="soc2"):
    return run_cli("check", "--framework", framework, "--period", period, *args, db=db)


def _results(doc) -> dict[str, list[dict]]:
    """check name -> its rows (once per check, whatever requirement shows it)."""
    out: dict[str, list[dict]] = {}
    seen = set()
    for req in doc["requirements"]:
        for r in req["results"]:
            key = (r["check"], r["resource"], r["status"], r["reason"])
            if key not in seen:
                seen.add(key)
                out.setdefault(r["check"], []).append(r)
    return out


def _november_trickle(synth_dir: Path, out: Path) -> Path:
    """13 events, all in the first 6 hours of November (copies of October's first pairs)."""
    lines = (synth_dir / "vault_audit.log").read_text().splitlines()[:26]
    start = datetime(2026, 11, 1, 0, 10, tzinfo=UTC)
    written = []
    for i, line in enumerate(lines):
        record = json.loads(line)
        record["time"] = (start + timedelta(minutes=27 * (i // 2), microseconds=i % 2)).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ")
        record["request"]["id"] = f"nov-{i // 2:04d}"
        written.append(json.dumps(record))
    out.write_text("\n".join(written) + "\n")
    return out


# -- item 1: statuses ------------------------------------------------------------------------

def test_an_empty_warehouse_is_not_green(tmp_path):
    db = tmp_path / "empty.duckdb"
    Warehouse(db).close()
    result = _check(db, "--format", "json")
    assert result.returncode == 1, result.stderr
    doc = json.loads(result.stdout)
    statuses = {r["id"]: r["status"] for r in doc["requirements"]}
    assert "ok" not in statuses.values()
    assert {s for s in statuses.values()} == {"not_evaluated", "manual"}
    assert doc["lacking_evidence"].startswith("13 requirement(s) lack evidence (13 not_evaluated)")
    assert "requirement(s) lack evidence" in result.stderr  # the line, beside parseable JSON

    table = _check(db)
    assert table.returncode == 1
    last = table.stdout.strip().splitlines()[-1]
    assert last.startswith("13 requirement(s) lack evidence") and "vaultlab ingest" in last

    junit = _check(db, "--format", "junit")
    assert 'failures="13"' in junit.stdout and "not_evaluated" in junit.stdout
    csv = _check(db, "--format", "csv")
    assert ",not_evaluated," in csv.stdout and ",skip," not in csv.stdout


def test_check_and_requirement_status_rules():
    assert check_status([{"status": "info"}]) == "info"  # notes alone evidence nothing
    assert check_status([]) == "not_evaluated"
    assert check_status([{"status": "ok"}, {"status": "incomplete"}]) == "incomplete"
    assert check_status([{"status": "ok"}, {"status": "info"}]) == "ok"
    assert check_status([{"status": "incomplete"}, {"status": "not_evaluated"}]) == "not_evaluated"
    assert check_status([{"status": "ok"}, {"status": "skip"}]) == "error"  # an undefined status


def test_the_report_summary_shows_missing_evidence_first(tmp_path):
    with Warehouse(tmp_path / "empty.duckdb") as wh:
        run = run_checks(wh, "soc2", parse_period("2026-10"), record=False)
    page = summary_html(Report(run, "", {}, {}))
    assert page.index('class="lacking"') < page.index("<table")  # before the table of requirements
    assert "13 requirement(s) lack evidence" in page and "not_evaluated" in page


# -- item 2: coverage per source -------------------------------------------------------------

def test_thirteen_events_in_six_hours_do_not_cover_november(synth_small, tmp_path, db_path):
    out, _ = synth_small
    with Warehouse(db_path) as wh:
        load_synth_month(wh, out, _november_trickle(out, tmp_path / "november.log"))
        cov = rows(wh, "select * from source_coverage", period="2026-11")
        october = rows(wh, "select * from source_coverage", period="2026-10")
        # the synthetic October spills a few events into November's first hour
        spill = rows(wh, "select count(*) as n from events where ts >= '2026-11-01' and path not like 'nov-%' "
                         "and request_id not like 'nov-%'")[0]["n"]
    assert len(cov) == 1
    nov = cov[0]
    assert nov["events"] == 13 + spill and nov["coverage"] == "partial"
    assert nov["start_covered"] and not nov["end_covered"]
    assert nov["first_event"] == datetime(2026, 11, 1, 0, 10, tzinfo=UTC)
    assert nov["hours_covered"] == 6 and nov["hours_in_period"] == 720
    assert nov["days_without_events"] == 29
    assert nov["usual_gap_seconds"] > 0
    assert october[0]["coverage"] == "full" and october[0]["days_without_events"] == 0

    result = _check(db_path, "--format", "json", period="2026-11")
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    continuity = _results(doc)["audit_log_continuity"]
    assert ("vault end of period", "alarm") in {(r["resource"], r["status"]) for r in continuity}
    assert "ok" not in {r["status"] for r in continuity}
    assert {r["id"]: r["status"] for r in doc["requirements"]}["CC2.1"] != "ok"
    assert "incomplete" in {r["status"] for r in _results(doc)["root_token_use"]}


def test_a_month_without_events_is_not_evaluated(synth_small, db_path):
    out, _ = synth_small
    with Warehouse(db_path) as wh:
        load_synth_month(wh, out)
        run = run_checks(wh, "soc2", parse_period("2026-09"), record=False)
    by_check = {}
    for r in run.results:
        by_check.setdefault(r["check"], []).append(r)
    for name in ("audit_log_continuity", "root_token_use", "failed_access", "access_inventory"):
        assert check_status(by_check[name]) == "not_evaluated", name


def test_a_future_period_is_an_error_and_an_open_one_needs_partial(synth_small, db_path):
    out, _ = synth_small
    with Warehouse(db_path) as wh:
        load_synth_month(wh, out)
    future = _check(db_path, period="2027-01")
    assert future.returncode == 2 and "has not begun" in future.stderr
    assert len(future.stderr.strip().splitlines()) == 1
    still_open = _check(db_path, period="2026-12")
    assert still_open.returncode == 2 and "--partial" in still_open.stderr
    partial = _check(db_path, "--partial", period="2026-12")
    assert partial.returncode == 1
    assert "PARTIAL: the period 2026-12 has not ended" in partial.stdout
    as_json = _check(db_path, "--partial", "--format", "json", period="2026-12")
    assert json.loads(as_json.stdout)["partial"] is True and "PARTIAL" in as_json.stderr


def test_make_pack_refuses_a_future_period_before_touching_anything(tmp_path, db_path):
    from vaultlab.evidence.pack import make_pack

    Warehouse(db_path).close()
    with pytest.raises(VaultlabError, match="has not begun"):
        make_pack(db_path, "soc2", "2027-01", tmp_path / "reports")
    with pytest.raises(VaultlabError, match="--partial"):
        make_pack(db_path, "soc2", "2026-12", tmp_path / "reports")
    assert not (tmp_path / "reports").exists()


# -- item 4: the snapshot in force -------------------------------------------------------------

def _inventory(tmp_path, rotated="2026-10-20") -> Path:
    path = tmp_path / "inventory.csv"
    path.write_text(f"name,kind,last_rotated_at\nsecret/prod/app/db,database,{rotated}\n")
    return path


def _rotation(db, framework="iso27001") -> tuple[str, list[dict]]:
    doc = json.loads(_check(db, "--format", "json", framework=framework).stdout)
    req = next(r for r in doc["requirements"] if r["id"] == "8.24")  # rotation_overdue alone
    return req["status"], req["results"]


def test_an_inventory_taken_after_the_period_is_labelled_and_late_is_incomplete(tmp_path, db_path):
    with Warehouse(db_path) as wh:
        load_inventory(wh, [str(_inventory(tmp_path))], as_of=datetime(2026, 11, 3, tzinfo=UTC))
    status, results = _rotation(db_path)
    assert status == "ok"
    notes = [r["reason"] for r in results if r["status"] == "info"]
    assert any("vault inventory as collected on 2026-11-03, after the period end" in n for n in notes)

    late = tmp_path / "late.duckdb"
    with Warehouse(late) as wh:
        load_inventory(wh, [str(_inventory(tmp_path))], as_of=datetime(2026, 11, 20, tzinfo=UTC))
    status, results = _rotation(late)
    assert status == "incomplete"
    assert any("more than snapshot_grace_days (7)" in r["reason"] for r in results if r["status"] == "incomplete")


def test_a_rotation_after_the_period_end_is_not_no_known_rotation(tmp_path, db_path):
    with Warehouse(db_path) as wh:
        load_inventory(wh, [str(_inventory(tmp_path, rotated="2026-11-01"))], as_of=datetime(2026, 11, 2, tzinfo=UTC))
        status = rows(wh, "select status from rotation_status", period="2026-10")
    assert status == [{"status": "unknown"}]
    req_status, results = _rotation(db_path)
    assert req_status == "incomplete"
    reasons = " ".join(r["reason"] for r in results)
    assert "no known rotation" not in reasons and "after the period end" in reasons


def test_policies_loaded_after_the_period_are_in_force_for_it(synth_small, tmp_path, db_path):
    out, _ = synth_small
    with Warehouse(db_path) as wh:
        ingest(wh, [str(out / "vault_audit.log")], progress=False)
        day = datetime(2026, 11, 1, 9, tzinfo=UTC)
        load_policies(wh, [str(out / "policies" / "baseline")], baseline=True, as_of=day)
        load_policies(wh, [str(out / "policies" / "current")], as_of=day + timedelta(minutes=1))
        drift = rows(wh, "select policy, change from policy_drift order by policy", period="2026-10")
        findings = rows(wh, "select distinct policy from policy_findings order by 1", period="2026-10")
    assert drift == [{"policy": "app-ci", "change": "modified"}, {"policy": "payments-admin", "change": "added"}]
    assert findings == [{"policy": "app-ci"}, {"policy": "payments-admin"}]
    checks = _results(json.loads(_check(db_path, "--format", "json").stdout))
    assert {r["status"] for r in checks["policy_drift"]} == {"alarm", "info"}
    assert any("policies as collected on 2026-11-01, after the period end" in r["reason"]
               for r in checks["policy_drift"])


def test_a_live_collection_after_the_period_is_in_force_for_it(db_path):
    with Warehouse(db_path) as wh:
        store_collected(wh, Collected(
            store="vault", source="https://vault.example:8200", taken_at=datetime(2026, 11, 1, 8, tzinfo=UTC),
            facts={"audit_devices": [{"name": "file/", "log_raw": False, "hmac_accessor": True},
                                     {"name": "syslog/", "log_raw": False, "hmac_accessor": True}]}))
    checks = _results(json.loads(_check(db_path, "--format", "json").stdout))
    statuses = {r["status"] for r in checks["audit_device_coverage"]}
    assert statuses == {"ok", "info"}
    assert any("live Vault collection as collected on 2026-11-01" in r["reason"]
               for r in checks["audit_device_coverage"])


# -- item 5: what a run compares with ----------------------------------------------------------

def test_a_run_compares_with_the_previous_period_and_the_same_period(synth_small, db_path):
    out, _ = synth_small
    with Warehouse(db_path) as wh:
        load_synth_month(wh, out)
        for month in ("2026-09", "2026-10", "2026-08"):
            run_checks(wh, "soc2", parse_period(month))
        run = run_checks(wh, "soc2", parse_period("2026-10"), record=False)
    kinds = [(c.kind, c.period) for c in run.comparisons]
    assert kinds == [("previous period", "2026-09"), ("same period", "2026-10")]
    previous, same = run.comparisons
    assert previous.new  # September had no events: October's log findings are all new
    assert not same.new and not same.resolved
    assert previous.describe().startswith("since 2026-09 (run of ") and previous.describe().endswith(
        f"{len(previous.new)} new, {len(previous.resolved)} resolved")
    from vaultlab.controls.output import as_table

    table = as_table(run)
    assert "since 2026-09" in table and "since the last run of 2026-10" in table
