"""The three notebooks' committed outputs (from the sample data) validated by nbval, and run as a
user runs them (default parameters, Run All) without writing a byte into the warehouse.

The notebooks are run against a fresh sample warehouse (`build_sample_warehouse`, what
`scripts/refresh_notebooks.py` runs them on) through $VAULTLAB_DB, with VAULTLAB_TODAY fixed.
When what a notebook shows changes on purpose, run `make notebooks` and commit the outputs."""

import hashlib
import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT

from vaultlab import Warehouse
from vaultlab.synth.samples import build_sample_warehouse

NOTEBOOKS = ROOT / "vaultlab" / "evidence" / "notebooks"
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
TODAY = "2026-11-15"  # as scripts/refresh_notebooks.py


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    return build_sample_warehouse(tmp_path_factory.mktemp("nbval") / "sample.duckdb")


def _state(db):
    """The warehouse file's bytes (SHA-256) and its recorded runs and results."""
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    with Warehouse(db, read_only=True) as wh:
        _, [(runs, results)] = wh.query("select (select count(*) from check_runs), "
                                        "(select count(*) from control_results)")
    return digest, runs, results


def _nbval(db, *notebooks, lax=False):
    env = {**os.environ, "VAULTLAB_DB": str(db), "VAULTLAB_TODAY": TODAY, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--nbval-lax" if lax else "--nbval",
           "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZE), *map(str, notebooks)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)


def test_the_committed_outputs_validate_with_nbval_and_nothing_is_written(sample_db):
    before = _state(sample_db)
    # evidence_report: the workbench cells (nbval-check-output); the pack's HTML cells are run, not
    # compared (their outputs are not committed: tests/test_report_pack.py covers them)
    report = _nbval(sample_db, NOTEBOOKS / "evidence_report.ipynb", lax=True)
    assert report.returncode == 0, report.stdout[-4000:]
    others = _nbval(sample_db, NOTEBOOKS / "explore.ipynb", NOTEBOOKS / "incident.ipynb")
    assert others.returncode == 0, others.stdout[-4000:]
    assert " passed" in report.stdout and " passed" in others.stdout
    assert _state(sample_db) == before and before[1:] == (0, 0)


def test_nbval_catches_a_changed_finding(sample_db, tmp_path):
    nb = nbformat.read(NOTEBOOKS / "evidence_report.ipynb", as_version=4)
    [sample_cell] = [c for c in nb.cells if c.cell_type == "code" and "wb.sample(" in c.source]
    [stream] = [o for o in sample_cell.outputs if o.output_type == "stream"]
    assert stream.text == "population rotation_status: 54 row(s); seed 2026; 25 drawn\n"
    stream.text = stream.text.replace("54 row(s)", "53 row(s)")  # what a changed population would print
    nbformat.write(nb, tmp_path / "evidence_report.ipynb")
    result = _nbval(sample_db, tmp_path / "evidence_report.ipynb", lax=True)
    assert result.returncode == 1 and "1 failed," in result.stdout, result.stdout[-3000:]


def test_the_committed_outputs_hold_no_local_path_and_stay_small():
    for name in ("evidence_report", "explore", "incident"):
        path = NOTEBOOKS / f"{name}.ipynb"
        text = path.read_text()
        assert str(ROOT) not in text and "/tmp/" not in text and ".duckdb" not in text.replace("vaultlab.duckdb", "")
        assert path.stat().st_size < 400_000, name
        nb = nbformat.read(path, as_version=4)
        assert all(c.outputs for c in nb.cells if c.cell_type == "code" and "workbench" in c.metadata.get("tags", []))
        assert "papermill" not in nb.metadata


def test_running_the_evidence_notebook_with_its_defaults_writes_nothing(sample_db, tmp_path):
    """Run All in JupyterLab: the notebook's own defaults, a copy of the warehouse as $VAULTLAB_DB."""
    import papermill

    db = tmp_path / "copy.duckdb"
    shutil.copyfile(sample_db, db)
    before = _state(db)
    os.environ["VAULTLAB_DB"], saved = str(db), os.environ.get("VAULTLAB_DB")
    try:
        papermill.execute_notebook(str(NOTEBOOKS / "evidence_report.ipynb"), str(tmp_path / "run.ipynb"),
                                   kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    finally:
        os.environ.pop("VAULTLAB_DB") if saved is None else os.environ.update(VAULTLAB_DB=saved)
    assert _state(db) == before and before[1:] == (0, 0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.duckdb", "run.ipynb"]
    run = json.loads((tmp_path / "run.ipynb").read_text())
    assert not any(o.get("output_type") == "error" for c in run["cells"] for o in c.get("outputs", []))
