"""Evidence files are complete and reproducible: the same period renders the same bytes."""

import csv
import json

from vaultlab import Warehouse, ingest
from vaultlab.controls.run import run_checks
from vaultlab.evidence.tables import write_evidence
from vaultlab.period import parse_period
from vaultlab.snapshots.inventory import load_inventory


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_period_same_bytes_and_complete_tables(db_path, synth_small, tmp_path):
    out, answers = synth_small
    with Warehouse(db_path) as wh:
        ingest(wh, [str(out / "vault_audit.log")], progress=False)
        load_inventory(wh, [str(out / "inventory.json")], as_of=parse_period(as_of="2026-10-31").end)
        first = run_checks(wh, "hipaa", parse_period("2026-10"))
        write_evidence(tmp_path / "a", wh, first)
        # more data for a later month must not change October's evidence
        ingest(wh, [str(out / "vault_audit.log")], progress=False)  # a no-op: already loaded
        second = run_checks(wh, "hipaa", parse_period("2026-10"))
        write_evidence(tmp_path / "b", wh, second)
        total = wh.query("select count(*) from access_inventory", period="2026-10")[1][0][0]
    assert first.run_id != second.run_id
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    with open(tmp_path / "a" / "evidence" / "access_inventory.csv") as fh:
        assert len(list(csv.DictReader(fh))) == total  # every row, not a top-N
    doc = json.loads((tmp_path / "a" / "controls.json").read_text())
    assert doc["as_of"] == "2026-10-31" and doc["thresholds"]["orphan_days"] == 90
    [orphans] = [r for r in doc["requirements"] if r["id"] == "164.308(a)(3)(ii)(C)"]
    assert "orphaned_secrets" in orphans["evidence"]
    alarms = {r["resource"] for r in orphans["results"] if r["check"] == "orphaned_secrets" and r["status"] == "alarm"}
    assert alarms == set(answers["secrets_never_read"])
