"""assessment-results.json: OSCAL Assessment Results that compliance-trestle parses and validates,
identical for the same inputs but for the run id and the generation time."""

import argparse
import json
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import trestle.core.validator_factory as validators  # before all_validator: trestle's own import order
from conftest import load_synth_month
from trestle.common import const
from trestle.oscal.assessment_results import AssessmentResults

from vaultlab import Warehouse
from vaultlab.controls.accepted_risks import load_accepted_risks
from vaultlab.evidence.manifest import file_digest
from vaultlab.evidence.oscal import FILE, objective_id, stable_uuid, write_assessment_results
from vaultlab.evidence.report import build_report

RISKS = """\
- check: rotation_overdue
  resource: secret/prod/payments/db
  reason: the payments database password rotates with the Q1 migration
  approver: CISO
  ticket: SEC-101
  expires: 2027-01-31
- check: orphaned_secrets
  resource: secret/prod/legacy/*
  reason: legacy secrets kept until the archive is signed off
  approver: CISO
  ticket: SEC-099
  expires: 2026-09-30
"""


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, synth_small):
    out, _ = synth_small
    folder = tmp_path_factory.mktemp("oscal")
    with Warehouse(folder / "w.duckdb") as wh:
        load_synth_month(wh, out)
    (folder / "risks.yaml").write_text(RISKS)
    return folder


def _render(folder: Path, name: str, framework: str, period: str, run_id: str, at: datetime) -> Path:
    pack = folder / name
    build_report(str(folder / "w.duckdb"), framework, period, out_dir=str(pack),
                 exceptions=str(folder / "risks.yaml"))
    write_assessment_results(pack, run_id=run_id, generated_at=at,
                             accepted_risks=load_accepted_risks(folder / "risks.yaml"))
    return pack / FILE


@pytest.fixture(scope="module")
def iso(warehouse):
    return _render(warehouse, "iso-a", "iso27001", "2026-10", "run-a", datetime(2026, 11, 2, 8, tzinfo=timezone.utc))


def _findings(path: Path) -> dict:
    model = AssessmentResults.oscal_read(path)
    return {{p.name: p.value for p in f.props}["requirement"]: f for f in model.results[0].findings}


def test_it_parses_back_with_trestle_and_passes_its_validators(iso):
    model = AssessmentResults.oscal_read(iso)  # raises on any schema error
    assert json.loads(iso.read_text())["assessment-results"]["metadata"]["oscal-version"] == "1.2.1"
    mode = argparse.Namespace(mode=const.VAL_MODE_ALL)
    assert validators.validator_factory.get(mode).model_is_valid(model, True, iso.parent)  # duplicates, refs, links
    trestle = Path(sys.executable).with_name("trestle")
    if trestle.is_file():  # the same through trestle's own command line
        done = subprocess.run([str(trestle), "partial-object-validate", "-f", str(iso), "-e", "assessment-results"],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "VALID" in done.stdout + done.stderr, done.stdout + done.stderr
    result = model.results[0]
    controls = json.loads((iso.parent / "controls.json").read_text())
    assert [f.target.target_id for f in result.findings] == [objective_id("iso27001", r["id"])
                                                             for r in controls["requirements"]]
    assert result.findings[0].target.target_id == "iso27001_5.9" and objective_id("soc2", "CC6.1") == "CC6.1"
    assert objective_id("hipaa", "164.312(a)(2)(i)") == "hipaa_164.312_a_2_i"
    assert {p.name: p.value for p in result.props}["run-id"] == "run-a"
    assert result.start == datetime(2026, 10, 1, tzinfo=timezone.utc)
    assert result.end == datetime(2026, 11, 1, tzinfo=timezone.utc)


def test_a_planted_alarm_is_not_satisfied_and_an_ok_requirement_satisfied(iso):
    findings = _findings(iso)
    controls = {r["id"]: r for r in json.loads((iso.parent / "controls.json").read_text())["requirements"]}
    assert controls["5.9"]["status"] == "ok"  # access_inventory only: the synthetic month has it all
    ok = findings["5.9"].target.status
    assert ok.state.value == "satisfied" and ok.reason == "ok"
    assert controls["8.5"]["status"] == "alarm"  # the planted root-token use and long-lived tokens
    alarm = findings["8.5"].target.status
    assert alarm.state.value == "not-satisfied" and alarm.reason == "alarm"
    planted = [r["reason"] for r in controls["8.5"]["results"] if r["status"] == "alarm"]
    assert planted and all(reason in alarm.remarks for reason in dict.fromkeys(planted))
    # every requirement that is not ok is not-satisfied (manual too: nothing automated decides it)
    for rid, req in controls.items():
        assert findings[rid].target.status.state.value == ("satisfied" if req["status"] == "ok" else "not-satisfied")
        assert findings[rid].target.type.value == "objective-id"
    assert findings["5.33"].target.status.reason == "manual" and "evidence to attach" in findings["5.33"].target.status.remarks


def test_observations_point_at_the_evidence_files_with_their_sha256(iso):
    model = AssessmentResults.oscal_read(iso)
    result = model.results[0]
    observations = {o.uuid: o for o in result.observations}
    finding = _findings(iso)["5.9"]
    related = [observations[r.observation_uuid] for r in finding.related_observations]
    check = next(o for o in related if {p.name: p.value for p in o.props}.get("check") == "access_inventory")
    hrefs = {e.href: e for e in check.relevant_evidence}
    assert set(hrefs) == {"controls.json", "evidence/access_inventory.csv"}
    for href, evidence in hrefs.items():
        digest = file_digest(iso.parent / href)
        assert {p.name: p.value for p in evidence.props}["sha256"] == digest and digest in evidence.remarks
    assert check.uuid == stable_uuid("iso27001", "2026-10", "observation", "access_inventory")
    assert all(r.observation_uuid in observations for f in result.findings for r in f.related_observations or [])


def test_accepted_risks_are_risks_with_their_deviation_and_expiry(iso):
    result = AssessmentResults.oscal_read(iso).results[0]
    risks = {{p.name: p.value for p in r.props}["ticket"]: r for r in result.risks}
    live, expired = risks["SEC-101"], risks["SEC-099"]
    assert live.status.model_dump(mode="json") == "deviation-approved"
    assert {p.name: p.value for p in live.props}["expires"] == "2027-01-31"
    assert live.deadline == datetime(2027, 1, 31, 23, 59, 59, tzinfo=timezone.utc)
    assert "CISO" in live.statement and "2027-01-31" in live.statement
    assert expired.status.model_dump(mode="json") == "open" and {p.name: p.value for p in expired.props}["deviation"] == "expired"
    # the excepted row is an observation of the risk, and the requirements it touches cite the risk
    observed = {o.uuid: o for o in result.observations}
    [row] = [observed[r.observation_uuid] for r in live.related_observations]
    assert {p.name: p.value for p in row.props} == {"check": "rotation_overdue", "status": "excepted",
                                                    "resource": "secret/prod/payments/db"}
    citing = [f for f in result.findings if any(r.risk_uuid == live.uuid for r in f.related_risks or [])]
    assert citing and all(f.target.status.state.value == "not-satisfied" for f in citing)


def test_a_requirement_without_evidence_is_not_satisfied_with_its_reason(warehouse):
    path = _render(warehouse, "iso-sept", "iso27001", "2026-09", "run-s", datetime(2026, 10, 2, tzinfo=timezone.utc))
    findings = _findings(path)
    controls = {r["id"]: r for r in json.loads((path.parent / "controls.json").read_text())["requirements"]}
    assert controls["5.9"]["status"] == "not_evaluated"  # no events in September
    status = findings["5.9"].target.status
    assert status.state.value == "not-satisfied" and status.reason == "not_evaluated"
    reasons = {r["reason"] for r in controls["5.9"]["results"] if r["status"] == "not_evaluated"}
    assert reasons and all(reason in status.remarks for reason in reasons)


def _without_run(path: Path) -> dict:
    doc = json.loads(path.read_text())["assessment-results"]
    doc["metadata"].pop("last-modified")
    result = doc["results"][0]
    result["props"] = [p for p in result["props"] if p["name"] != "run-id"]
    return doc


def test_two_renders_of_the_same_period_differ_only_in_run_id_and_time(warehouse, iso):
    again = _render(warehouse, "iso-b", "iso27001", "2026-10", "run-b", datetime(2027, 3, 1, tzinfo=timezone.utc))
    assert again.read_bytes() != iso.read_bytes()
    assert _without_run(again) == _without_run(iso)
    other = _render(warehouse, "iso-c", "iso27001", "2026-09", "run-a", datetime(2026, 11, 2, 8, tzinfo=timezone.utc))
    assert _without_run(other)["uuid"] != _without_run(iso)["uuid"]
    shutil.rmtree(again.parent)


def test_log_fields_with_newlines_and_markup_still_make_a_valid_document(iso, tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(iso.parent, pack)
    doc = json.loads((pack / "controls.json").read_text())
    hostile = "secret/x\n\n<script>alert(1)</script>\t\u2028end "
    req = next(r for r in doc["requirements"] if r["id"] == "8.5")
    req["results"].append({"check": "root_token_use", "resource": hostile, "status": "alarm",
                           "reason": "a reason\nover lines", "exception": None})
    (pack / "controls.json").write_text(json.dumps(doc))
    write_assessment_results(pack, run_id="r\n1", generated_at=datetime(2026, 11, 2, tzinfo=timezone.utc),
                             accepted_risks=[])
    model = AssessmentResults.oscal_read(pack / FILE)
    [row] = [o for o in model.results[0].observations if "<script>" in o.title]
    assert "\n" not in row.title and {p.name: p.value for p in row.props}["resource"] == (
        "secret/x <script>alert(1)</script> end")
    assert row.description == "a reason\nover lines"
