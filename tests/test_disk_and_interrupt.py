"""A full disk and Ctrl-C, as an operator meets them: one line that says what happened, the
right exit code, and nothing already in the warehouse lost (issue 12, item 12)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from conftest import ROOT, run_cli

from vaultlab.cli import main
from vaultlab.errors import database_failure
from vaultlab.synth.vault import synthesize
from vaultlab.warehouse import Warehouse


def test_a_full_disk_is_named_in_words():
    wal = duckdb.IOException('Could not write file "/srv/audit/w.duckdb.wal": No space left on device')
    said = database_failure(wal)
    assert said.startswith("the disk holding /srv/audit is full; free space or move the warehouse")
    offload = duckdb.OutOfMemoryException("Out of Memory Error: failed to offload data block of size 256 KiB")
    said = database_failure(offload)
    assert said.startswith("a disk (the warehouse's folder, or DuckDB's temp folder beside it) is full")
    other = duckdb.CatalogException("Catalog Error: Table with name nope does not exist!")
    assert database_failure(other) == "Catalog Error: Table with name nope does not exist!"


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs: a real file system that fills up (needs root to mount; skipped, with why, if not)."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'}); the full-disk test needs one")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_disk_rolls_back_the_file_and_says_which_disk(small_disk, tmp_path):
    synthesize(tmp_path / "month", lines=6000, seed=11)  # about 6 MB: more than the disk holds
    log = tmp_path / "month" / "vault_audit.log"
    first = tmp_path / "first.log"
    first.write_bytes(b"".join(log.read_bytes().splitlines(keepends=True)[:200]))
    db = small_disk / "vaultlab.duckdb"
    assert run_cli("ingest", "--quiet", str(first), db=db).returncode == 0

    failed = run_cli("ingest", "--quiet", str(log), db=db)
    assert failed.returncode == 2
    [line] = failed.stderr.strip().splitlines()
    assert f"the disk holding {small_disk} is full; free space or move the warehouse" in line
    assert "Traceback" not in failed.stderr and "Out of Memory" not in line.split("(")[0]
    with Warehouse(db, read_only=True) as wh:  # what was there before is all there, and nothing of the failed file
        assert wh.query("select count(*), sum(lines_read) from ingest_files")[1] == [(1, 200)]
        assert wh.query("select count(*) from event_store")[1] == [(100,)]


@pytest.mark.parametrize("raised", [duckdb.InterruptException("INTERRUPT Error: Interrupted!"),
                                    RuntimeError("Query interrupted"), KeyboardInterrupt()],
                         ids=["InterruptException", "RuntimeError-on-fetch", "KeyboardInterrupt"])
def test_every_form_of_ctrl_c_is_an_interruption(raised, monkeypatch, capsys, tmp_path):
    """DuckDB turns Ctrl-C inside a query into InterruptException, and into a plain RuntimeError
    ("Query interrupted") while a result is fetched; neither is KeyboardInterrupt."""
    import vaultlab.cli.ingest as cli_ingest

    def interrupted(*args, **kwargs):
        raise raised

    monkeypatch.setattr(cli_ingest, "ingest", interrupted)
    log = tmp_path / "a.log"
    log.write_text("{}\n")
    assert main(["--db", str(tmp_path / "w.duckdb"), "ingest", "--quiet", str(log)]) == 130
    err = capsys.readouterr().err
    assert err == "vaultlab: interrupted; what was being written was rolled back\n"


def test_another_runtime_error_is_still_a_crash(monkeypatch, capsys, tmp_path):
    import vaultlab.cli.ingest as cli_ingest

    def broken(*args, **kwargs):
        raise RuntimeError("something else went wrong")

    monkeypatch.setattr(cli_ingest, "ingest", broken)
    log = tmp_path / "a.log"
    log.write_text("{}\n")
    assert main(["--db", str(tmp_path / "w.duckdb"), "ingest", "--quiet", str(log)]) == 2
    assert capsys.readouterr().err.startswith("vaultlab: internal error: RuntimeError: something else went wrong")


def _open_files(pid: int) -> set[str]:
    try:
        return {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return set()


def test_ctrl_c_during_ingest_rolls_back_and_exits_130(tmp_path):
    """A real SIGINT while the file is being loaded; retried with a larger file if the load won the race."""
    synthesize(tmp_path / "month", lines=60_000, seed=5)
    log = tmp_path / "month" / "vault_audit.log"
    db = tmp_path / "vaultlab.duckdb"
    Warehouse(db).close()
    for _attempt in range(4):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        proc = subprocess.Popen([sys.executable, "-m", "vaultlab", "--db", str(db), "ingest", "--quiet", str(log)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        deadline = time.monotonic() + 60
        while str(log) not in _open_files(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        if proc.returncode == 0:  # it finished first: start again with twice the lines in a new warehouse
            db.unlink()
            Warehouse(db).close()
            log.write_bytes(log.read_bytes() + log.read_bytes().replace(b'"id":"', b'"id":"x'))
            continue
        assert proc.returncode == 130, err
        assert err == "vaultlab: interrupted; what was being written was rolled back\n"
        with Warehouse(db, read_only=True) as wh:
            assert wh.query("select (select count(*) from ingest_files), (select count(*) from event_store),"
                            " (select count(*) from quarantine)")[1] == [(0, 0, 0)]
        return
    pytest.fail("ingest finished before Ctrl-C four times; the test file is too small for this machine")
