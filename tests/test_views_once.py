"""Each view computed once per run (issue 15, item 5): checks, evidence tables and charts read the
views computed once for the period, and give exactly what computing each view per query gives."""

import pytest
from conftest import load_synth_month, rows

from vaultlab import Warehouse
from vaultlab.controls.catalog import load_check, load_framework
from vaultlab.controls.run import run_checks
from vaultlab.evidence.tables import evidence_tables
from vaultlab.period import parse_period
from vaultlab.views import VIEWS, views_read

OCTOBER = parse_period("2026-10")
FIRST_FORTNIGHT = parse_period(start="2026-10-01", end="2026-10-15")


@pytest.fixture(scope="module")
def month(synth_small, tmp_path_factory):
    out, answers = synth_small
    db = tmp_path_factory.mktemp("once") / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, out)
    return db, answers


def _recorded(wh: Warehouse, run_id: str) -> list[tuple]:
    _, data = wh.query('select framework, control_id, "check", resource, status, reason, exception '
                       "from control_results where run_id = ? order by all", [run_id])
    return data


@pytest.mark.parametrize("framework", ["soc2", "iso27001", "hipaa"])
@pytest.mark.parametrize("period", [OCTOBER, FIRST_FORTNIGHT], ids=["october", "first-fortnight"])
def test_views_computed_once_give_the_same_control_results(month, framework, period):
    db, answers = month
    with Warehouse(db) as wh:
        once = run_checks(wh, framework, period)
        direct = run_checks(wh, framework, period, views_once=False)
        assert _recorded(wh, once.run_id) == _recorded(wh, direct.run_id)
        assert once.requirement_status == direct.requirement_status
    statuses = {r["status"] for r in once.results}
    assert {"alarm", "ok", "not_evaluated"} <= statuses  # the planted findings, and no live collection
    if period is OCTOBER:  # every planted anomaly and unused secret is an alarm, both ways
        alarms = {r["resource"] for r in once.results if r["status"] == "alarm"}
        signals = {p["signal"] for p in answers["planted"] if "signal" in p}
        assert len(signals) == 6 and all(any(a.startswith(s + ":") for a in alarms) for s in signals)
        assert {"policy app-ci", "policy payments-admin"} <= alarms  # the planted drift
        assert any(a.startswith("root token @ ") for a in alarms)
        assert set(answers["secrets_never_read"]) <= alarms

def test_evidence_tables_and_charts_read_the_views_computed_once(month):
    db, _ = month
    with Warehouse(db) as wh:
        run = run_checks(wh, "soc2", OCTOBER, record=False)
        direct = evidence_tables(wh, run)
        with wh.views_computed(OCTOBER):
            once = evidence_tables(wh, run)
            inside = rows(wh, "select current_setting('search_path') as path", period=OCTOBER)[0]["path"]
            other = rows(wh, "select current_setting('search_path') as path", period=FIRST_FORTNIGHT)[0]["path"]
            _, computed = wh.query("select table_name from duckdb_tables() where starts_with(database_name, "
                                   "'vl_views_') order by all", period=OCTOBER)
        after = rows(wh, "select current_setting('search_path') as path", period=OCTOBER)[0]["path"]
    assert once == direct and len(once["anomalies"][1]) > 0 and len(once["access_inventory"][1]) > 0
    assert inside.startswith("vl_views_") and "vl_views_" not in other and "vl_views_" not in after
    assert sorted(name for (name,) in computed) == sorted(VIEWS)


def test_a_run_computes_the_views_its_checks_read():
    every = views_read(*(load_check(c).sql for r in load_framework("soc2").requirements for c in r.checks))
    assert every == VIEWS  # in dependency order
    assert views_read(load_check("failed_access").sql) == ["secrets", "anomalies", "source_coverage"]
    assert views_read(load_check("policy_drift").sql) == ["policy_drift"]  # macros read no view
    assert views_read(load_check("token_lifetimes").sql) == []
    assert views_read("-- reads anomalies\nselect 1") == []  # comments do not count
