"""A plain `pip install` of the built wheel, into a fresh virtual environment, runs every
command from an empty folder: the data files (queries, checks, notebooks, samples) ship
inside the package and nothing reaches back into the source checkout."""

import json
import os
import subprocess
import sys
import venv

import pytest
from conftest import ROOT

pytestmark = pytest.mark.slow


def _run(cmd, cwd, env=None, timeout=900):
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{cmd}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result


def test_the_wheel_installs_and_runs_demo_and_report_from_an_empty_folder(tmp_path):
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(ROOT)], cwd=tmp_path)
    [wheel] = wheels.glob("vaultlab-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], cwd=tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "VAULTLAB_DB")}
    clean_env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{clean_env.get('PATH', '')}"
    where = _run([str(python), "-c", "import vaultlab, sys; print(vaultlab.__file__)"], cwd=empty, env=clean_env)
    assert str(env_dir) in where.stdout and str(ROOT) not in where.stdout
    demo = subprocess.run([str(env_dir / "bin" / "vaultlab"), "demo"], cwd=empty, env=clean_env,
                          capture_output=True, text=True, timeout=900)
    assert demo.returncode == 0, demo.stderr[-3000:]
    for framework in ("soc2", "iso27001", "hipaa"):
        assert (empty / "reports" / "demo" / f"{framework}-2026-10" / "report.html").is_file()
    db = empty / "reports" / "demo" / "vaultlab.duckdb"
    _run([str(env_dir / "bin" / "vaultlab"), "--db", str(db), "report", "--framework", "soc2", "--period", "2026-10"],
         cwd=empty, env=clean_env)
    pack = empty / "reports" / "soc2-2026-10"
    controls = json.loads((pack / "controls.json").read_text())
    assert controls["framework"] == "soc2" and controls["requirements"]
    _run([str(env_dir / "bin" / "vaultlab"), "verify", str(pack)], cwd=empty, env=clean_env)
