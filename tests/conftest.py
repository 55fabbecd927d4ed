import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from vaultlab import Warehouse, ingest
from vaultlab.period import parse_period
from vaultlab.snapshots.inventory import load_inventory
from vaultlab.snapshots.policies import load_policies
from vaultlab.synth.vault import synthesize

# The normal run (make test, CI) draws the same examples every time, so it cannot fail by
# chance; HYPOTHESIS_PROFILE=explore draws new ones (keep any failure found as an @example).
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT.parent / "shared" / "realdata"


@pytest.fixture
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.skip(f"real captures not present at {REALDATA}")
    return REALDATA


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def warehouse(db_path):
    with Warehouse(db_path) as wh:
        yield wh


@pytest.fixture(scope="session")
def synth_small(tmp_path_factory):
    """A small synthetic month with planted findings (and its answers)."""
    out = tmp_path_factory.mktemp("synth")
    synthesize(out, lines=6000, seed=11)
    return out, json.loads((out / "answers.json").read_text())


def run_cli(*args: str, db: Path | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run the real `vaultlab` command in a subprocess."""
    cmd = [sys.executable, "-m", "vaultlab"] + (["--db", str(db)] if db else []) + list(args)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, input=input, timeout=300)


def rows(wh: Warehouse, query: str, params=None, *, period=None) -> list[dict]:
    cols, data = wh.query(query, params, period=period)
    return [dict(zip(cols, r)) for r in data]


def load_synth_month(wh: Warehouse, out: Path, *extra_logs: Path) -> None:
    """A synthetic month into `wh`: its log (and any extra logs), inventory, approved and current policies."""
    ingest(wh, [str(out / "vault_audit.log"), *map(str, extra_logs)], progress=False)
    load_inventory(wh, [str(out / "inventory.json")], as_of=parse_period(as_of="2026-10-31").end)
    load_policies(wh, [str(out / "policies" / "baseline")], baseline=True, as_of=parse_period(as_of="2026-09-01").end)
    load_policies(wh, [str(out / "policies" / "current")], as_of=parse_period(as_of="2026-10-20").end)


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (local[2]) for every Spark test, as vaultlab opens it; skipped, with
    the reason shown, without pyspark or Java."""
    from vaultlab.lake.spark_session import get_session, spark_available

    missing = spark_available()
    if missing:
        pytest.skip(missing)
    session = get_session("local[2]", app="vaultlab-tests", settings={
        "spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "2", "spark.default.parallelism": "2",
        "spark.log.level": "ERROR", "spark.sql.legacy.sizeOfNull": "false"})
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
