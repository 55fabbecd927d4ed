"""The monthly schedule, as users run it (issue 13, item 6): on the 1st, ingest last month's logs,
load the baseline and today's policies and the inventory without --as-of, check last month. The
run must see what was loaded on the 1st: drift, rotation status and orphaned secrets of the month."""

import json
from datetime import datetime, timezone

import pytest
from conftest import run_cli

from vaultlab.errors import VaultlabError
from vaultlab.period import now
from vaultlab.synth.vault import OVERDUE_SECRET

LACKING = {"not_evaluated", "incomplete"}


def _by_check(doc) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for req in doc["requirements"]:
        for r in req["results"]:
            if r not in out.setdefault(r["check"], []):
                out[r["check"]].append(r)
    return out


def test_the_monthly_recipe_sees_the_snapshots_loaded_on_the_first(synth_small, tmp_path, monkeypatch):
    out, answers = synth_small
    monkeypatch.setenv("VAULTLAB_TODAY", "2026-11-01")  # the 1st: the day the schedule runs
    db = tmp_path / "vaultlab.duckdb"
    for step in (["ingest", str(out / "vault_audit.log"), "--quiet"],
                 ["policies", "load", str(out / "policies" / "baseline"), "--baseline"],
                 ["policies", "load", str(out / "policies" / "current")],
                 ["inventory", "load", str(out / "inventory.json")]):
        done = run_cli(*step, db=db)
        assert done.returncode == 0, (step, done.stderr)

    result = run_cli("check", "--framework", "soc2", "--period", "2026-10", "--format", "json", db=db)
    assert result.returncode == 1, result.stderr
    checks = _by_check(json.loads(result.stdout))
    for name in ("policy_drift", "privileged_policies", "rotation_overdue", "orphaned_secrets"):
        assert not {r["status"] for r in checks[name]} & LACKING, (name, checks[name])

    drift = {r["resource"] for r in checks["policy_drift"] if r["status"] == "alarm"}
    assert drift == {"policy app-ci", "policy payments-admin"}
    labels = " ".join(r["reason"] for r in checks["policy_drift"] if r["status"] == "info")
    assert "vault policies as collected on 2026-11-01, after the period end" in labels

    rotation = {r["resource"]: r["status"] for r in checks["rotation_overdue"] if r["resource"]}
    assert rotation[OVERDUE_SECRET] == "alarm"
    assert "ok" in rotation.values()
    assert not [r for r in checks["rotation_overdue"] if "no known rotation" in r["reason"]]

    orphaned = {r["resource"] for r in checks["orphaned_secrets"] if r["status"] == "alarm"}
    assert orphaned == set(answers["secrets_never_read"])
    inventory_label = " ".join(r["reason"] for r in checks["orphaned_secrets"] if r["status"] == "info")
    assert "vault inventory as collected on 2026-11-01, after the period end" in inventory_label


def test_today_is_read_from_the_environment_in_one_place(monkeypatch):
    monkeypatch.setenv("VAULTLAB_TODAY", "2026-11-01")
    assert now() == datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
    monkeypatch.setenv("VAULTLAB_TODAY", "2026-11-01T08:30:00Z")
    assert now() == datetime(2026, 11, 1, 8, 30, tzinfo=timezone.utc)
    monkeypatch.setenv("VAULTLAB_TODAY", "tomorrow")
    with pytest.raises(VaultlabError, match="VAULTLAB_TODAY"):
        now()
