"""Never destroy evidence: `report` swaps a pack in only once it is complete and verified; a pack's
notebook re-executed writes nothing; `report` and `check` wait for a busy warehouse (issue 13, item 7)."""

import hashlib
import os
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT, load_synth_month, run_cli

from vaultlab import Warehouse
from vaultlab.evidence import pack as pack_module
from vaultlab.evidence.manifest import verify_pack

REPORT = ["report", "--framework", "soc2", "--period", "2026-10"]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, synth_small):
    out, _ = synth_small
    folder = tmp_path_factory.mktemp("safety")
    db = folder / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, out)
    result = run_cli(*REPORT, "--out", str(folder / "packs"), db=db)
    assert result.returncode == 0, result.stderr[-3000:]
    return db, folder / "packs"


def _snapshot(out):
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(out.rglob("*"))}


def _runs(db):
    with Warehouse(db, read_only=True) as wh:
        return wh.query("select count(*) from check_runs")[1][0][0]


class Holder:
    """Another process holding the warehouse open for writing until `release`."""

    def __init__(self, db):
        self.process = subprocess.Popen(
            [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
             "sys.stdin.read()", str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "held"

    def release(self):
        self.process.stdin.close()
        self.process.wait()


def test_a_busy_warehouse_fails_report_without_touching_the_previous_pack(rendered):
    db, out = rendered
    before = _snapshot(out)
    holder = Holder(db)
    try:
        result = run_cli(*REPORT, "--out", str(out), "--wait", "0", db=db)
    finally:
        holder.release()
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "is in use by another" in line and "--wait" in line
    assert _snapshot(out) == before


def test_a_failure_after_the_notebook_ran_leaves_the_previous_pack_and_no_partial_folder(rendered, monkeypatch):
    db, out = rendered
    before = _snapshot(out)

    def broken(*_args, **_kwargs):
        raise OSError("disk full while sealing")

    monkeypatch.setattr(pack_module, "write_manifest", broken)
    with pytest.raises(OSError, match="disk full"):
        pack_module.make_pack(db, "soc2", "2026-10", out)
    assert _snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["soc2-2026-10", "soc2-2026-10.zip"]


def test_a_packs_notebook_run_again_writes_neither_into_the_pack_nor_the_warehouse(rendered, tmp_path):
    import papermill

    db, out = rendered
    pack = out / "soc2-2026-10"
    before, runs = _snapshot(out), _runs(db)
    [injected] = [c for c in nbformat.read(pack / "report.ipynb", as_version=4).cells
                  if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'out_dir = ""' in injected.source and "record = False" in injected.source
    papermill.execute_notebook(str(pack / "report.ipynb"), str(tmp_path / "again.ipynb"), kernel_name="python3",
                               progress_bar=False, cwd=str(tmp_path))
    assert _snapshot(out) == before and verify_pack(pack).intact
    assert _runs(db) == runs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.ipynb"]


def test_report_and_check_wait_for_a_busy_warehouse(rendered):
    db, out = rendered
    runs = _runs(db)
    for command in ([*REPORT, "--out", str(out)], ["check", "--framework", "soc2", "--period", "2026-10"]):
        holder = Holder(db)
        waiting = subprocess.Popen([sys.executable, "-m", "vaultlab", "--db", str(db), *command, "--wait", "600"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        first = waiting.stderr.readline()
        assert "in use by another process" in first and "waiting up to 600 s" in first
        holder.release()
        stdout, stderr = waiting.communicate()
        assert waiting.returncode in (0, 1), stderr
    assert _runs(db) == runs + 2
    assert verify_pack(out / "soc2-2026-10").intact
