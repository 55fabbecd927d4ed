"""`vaultlab report --sample N [--seed S]`: samples/<population>.csv in the pack, the rows `vaultlab sample`
draws for the same seed, recorded in the manifest, shown under the requirements, and the pack verifies."""

import json
import re

import pytest
from conftest import load_synth_month, run_cli

from vaultlab import Warehouse
from vaultlab.evidence.manifest import file_digest
from vaultlab.evidence.pack import make_pack
from vaultlab.evidence.samples import default_seed, populations

SOC2_POPULATIONS = ["access_inventory", "anomalies", "audit_gaps", "orphaned_secrets", "policy_changes",
                    "policy_drift", "policy_findings", "rotation_status", "source_coverage"]


@pytest.fixture(scope="module")
def packs(tmp_path_factory, synth_small):
    out, _ = synth_small
    folder = tmp_path_factory.mktemp("samples")
    db = folder / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, out)
    first = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(folder / "a"),
                    "--sample", "5", "--seed", "7", db=db)
    assert first.returncode == 0, first.stderr[-3000:]
    again = make_pack(db, "soc2", "2026-10", folder / "b", sample=5, seed="7")
    derived = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(folder / "c"),
                      "--sample", "5", db=db)
    assert derived.returncode == 0, derived.stderr[-3000:]
    return db, folder / "a" / "soc2-2026-10", again, folder / "c" / "soc2-2026-10", first.stdout, derived.stdout


def _samples(pack):
    return {p.name: p.read_bytes() for p in sorted((pack / "samples").glob("*.csv"))}


def test_the_populations_are_the_framework_evidence_tables_that_are_views():
    assert populations("soc2") == SOC2_POPULATIONS


def test_the_same_seed_gives_identical_files_and_another_seed_others(packs):
    _, first, again, derived, _, _ = packs
    assert sorted(_samples(first)) == [f"{name}.csv" for name in SOC2_POPULATIONS]
    assert _samples(first) == _samples(again)
    assert (first / "samples" / "index.json").read_bytes() == (again / "samples" / "index.json").read_bytes()
    other = _samples(derived)
    assert other["access_inventory.csv"] != _samples(first)["access_inventory.csv"]  # 5 of more than 50 rows
    assert other["rotation_status.csv"] != _samples(first)["rotation_status.csv"]


def test_the_rows_are_what_vaultlab_sample_draws(packs):
    db, first, _, derived, _, _ = packs
    for pack, seed in ((first, "7"), (derived, str(default_seed("soc2", "2026-10")))):
        for name in ("access_inventory", "rotation_status", "policy_findings"):
            cli = run_cli("sample", "--population", name, "--size", "5", "--seed", seed, "--period", "2026-10",
                          "--format", "csv", db=db)
            assert cli.returncode == 0, cli.stderr
            assert (pack / "samples" / f"{name}.csv").read_text() == cli.stdout
            entry = json.loads((pack / "samples" / "index.json").read_text())["populations"][name]
            assert cli.stdout.startswith("population_row,")
            assert len(cli.stdout.splitlines()) - 1 == entry["drawn"] == min(5, entry["population_size"])


def test_the_manifest_records_seed_and_population_size_and_the_pack_verifies(packs):
    db, first, _, derived, _, _ = packs
    manifest = json.loads((first / "manifest.json").read_text())
    recorded = manifest["samples"]
    assert recorded["seed"] == 7 and recorded["size"] == 5 and recorded["period"] == "2026-10"
    with Warehouse(db, read_only=True) as wh:
        _, [(total,)] = wh.query("select count(*) from access_inventory", period="2026-10")
    entry = recorded["populations"]["access_inventory"]
    assert entry == {"file": "samples/access_inventory.csv", "population_size": total, "drawn": 5,
                     "command": "vaultlab sample --population access_inventory --size 5 --seed 7 --period 2026-10 "
                                "--format csv"}
    for name in SOC2_POPULATIONS:
        assert manifest["files"][f"samples/{name}.csv"]["sha256"] == file_digest(first / "samples" / f"{name}.csv")
    assert "samples/index.json" in manifest["files"] and "assessment-results.json" in manifest["files"]
    assert json.loads((derived / "manifest.json").read_text())["samples"]["seed"] == default_seed("soc2", "2026-10")
    for pack in (first, derived):
        assert run_cli("verify", str(pack)).returncode == 0
    (first / "samples" / "access_inventory.csv").write_text("population_row\n1\n")
    tampered = run_cli("verify", str(first))
    assert tampered.returncode == 1 and "changed: samples/access_inventory.csv" in tampered.stdout


def test_the_seed_is_printed_and_shown_under_the_requirements(packs):
    _, _, again, derived, first_out, derived_out = packs
    seed = default_seed("soc2", "2026-10")
    assert seed == default_seed("soc2", "2026-10") != default_seed("soc2", "2026-09")
    assert "samples (seed 7)" in first_out
    assert f"samples (seed {seed})" in derived_out and f"--seed {seed} --period 2026-10" in derived_out
    page = (again / "report.html").read_text()
    # CC6.1's section (between its heading and the next requirement's) shows the rotation_status sample
    section = re.search(r"<h2>CC6\.1 .*?(?=<h2>CC6\.2 )", page, re.S).group(0)
    assert "Sample: rotation_status" in section and "seed 7" in section
    assert "vaultlab sample --population rotation_status --size 5 --seed 7 --period 2026-10" in section
    assert "Sample: policy_drift" not in section  # CC6.1 does not draw on policy_drift
    assert page.count("Sample: rotation_status") == sum(
        "rotation_status" in r["evidence"] for r in json.loads((again / "controls.json").read_text())["requirements"])


def test_seed_without_sample_is_refused(tmp_path):
    result = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(tmp_path), "--seed", "3",
                     db=tmp_path / "none.duckdb")
    assert result.returncode == 2 and "--sample" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())
