"""When Spark's JVM dies under `vaultlab lake ingest` (out of memory, killed), the user gets one
line that says what to do, exit 2, and a lake with nothing of the run in it.

Seen for real: a 10M-line log in local mode with the default 3g driver ran out of Java heap,
and the command ended in a Py4J "Connection refused" traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from vaultlab.lake.spark_session import jvm_stopped, spark_available
from vaultlab.synth.vault import synthesize

pytestmark = pytest.mark.skipif(spark_available() is not None, reason=str(spark_available()))


def _java_children(pid: int) -> list[int]:
    """The JVMs started by process `pid` (PySpark's gateway launches java as its child)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid and b"java" in cmdline.split(b"\0")[0]:
            found.append(int(entry.name))
    return found


def test_a_jvm_killed_during_lake_ingest_is_one_line_and_writes_nothing(tmp_path):
    synthesize(tmp_path / "logs", lines=60_000, seed=3)
    lake = tmp_path / "lake"
    process = subprocess.Popen(
        [sys.executable, "-m", "vaultlab", "lake", "ingest", str(lake), str(tmp_path / "logs" / "vault_audit.log"),
         "--engine", "spark", "--master", "local[1]"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "VAULTLAB_DEBUG": ""})
    deadline = time.monotonic() + 240
    while not (lake / "_lake.json").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)  # the lake is created once the inputs are surveyed: the run is under way
    jvms = _java_children(process.pid)
    assert process.poll() is None and jvms, "the ingest ended before its JVM could be stopped"
    for jvm in jvms:
        os.kill(jvm, signal.SIGKILL)
    _, stderr = process.communicate(timeout=240)

    assert process.returncode == 2, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("vaultlab:")]
    assert lines == ["vaultlab: error: Spark's JVM stopped during the run (out of memory or killed); give Spark "
                     "more memory (VAULTLAB_SPARK_MEMORY, now 3g, in local mode; spark.driver.memory and "
                     "spark.executor.memory on a cluster) and run again; nothing from this run was written to "
                     "the lake"]
    assert "Traceback" not in stderr
    committed = [p for p in lake.rglob("*.parquet") if "_staging" not in p.parts]
    assert committed == []


@pytest.mark.parametrize("err, expected", [
    (ConnectionRefusedError(111, "Connection refused"), "Spark's JVM stopped"),
    (RuntimeError("An error occurred while calling o93.collect.\n: java.lang.OutOfMemoryError: Java heap space"),
     "Spark ran out of memory"),
    (RuntimeError("Cannot call methods on a stopped SparkContext."), "Spark's JVM stopped"),
    (ValueError("a bug of ours"), None),
])
def test_what_counts_as_a_stopped_jvm(err, expected):
    found = jvm_stopped(err)
    assert (found is None) if expected is None else found.startswith(expected)
