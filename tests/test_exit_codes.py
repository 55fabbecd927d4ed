"""Exit codes for CI chains: `report` exits 0 when a pack was written, findings or not; `--fail-on
alarm|insufficient` makes findings of that kind exit 1, the pack still written (issue 13, item 10)."""

import json

import pytest
from conftest import load_synth_month, run_cli

from vaultlab import Warehouse
from vaultlab.cli.evidence import failing_requirements
from vaultlab.evidence.manifest import verify_pack


def test_report_fail_on_alarm_exits_1_with_the_pack_written(tmp_path, synth_small):
    out, _ = synth_small
    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, out)
    result = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(tmp_path / "packs"),
                     "--fail-on", "alarm", db=db)
    assert result.returncode == 1, result.stderr
    pack = tmp_path / "packs" / "soc2-2026-10"
    assert verify_pack(pack).intact
    alarms = sorted(r["id"] for r in json.loads((pack / "controls.json").read_text())["requirements"]
                    if r["status"] in ("alarm", "error"))
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"vaultlab: {len(alarms)} requirement(s) alarm") and line.endswith(", ".join(alarms))


def test_fail_on_insufficient_names_not_evaluated_and_incomplete(tmp_path):
    statuses = ["ok", "alarm", "not_evaluated", "incomplete", "excepted", "manual", "error"]
    (tmp_path / "controls.json").write_text(json.dumps(
        {"requirements": [{"id": f"R{i}", "status": s} for i, s in enumerate(statuses)]}))
    assert failing_requirements(tmp_path, ["insufficient"]) == {"R2": "not_evaluated", "R3": "incomplete"}
    assert failing_requirements(tmp_path, ["alarm"]) == {"R1": "alarm", "R6": "error"}
    assert len(failing_requirements(tmp_path, ["alarm", "insufficient"])) == 4
    assert failing_requirements(tmp_path, None) == {}


@pytest.mark.parametrize("value", ["alarms", "", "alarm,nope"])
def test_a_bad_fail_on_is_a_usage_error(tmp_path, value):
    result = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--fail-on", value,
                     db=tmp_path / "w.duckdb")
    assert result.returncode == 2 and "--fail-on" in result.stderr
    assert list(tmp_path.iterdir()) == []
