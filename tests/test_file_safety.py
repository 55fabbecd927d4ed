"""`vaultlab sql` reaches no other file, and what holds warehouse data is owner-only whatever the umask
(issue 11, items 8 and 11)."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from vaultlab import Warehouse


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "w.duckdb"
    Warehouse(path).close()
    return path


@pytest.mark.parametrize("query", [
    "copy (select 42 as answer) to '{out}'",
    "select * from read_text('{secret}')",
    "select * from read_csv('{secret}')",
    "attach '{tmp}/other.duckdb' as other",
    "set enable_external_access = true",
    "set temp_directory = '{tmp}'",
])
def test_sql_reaches_no_other_file(tmp_path, db, query):
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cr3t-file-content\n")
    out = tmp_path / "out.csv"
    result = run_cli("sql", query.format(out=out, secret=secret, tmp=tmp_path), db=db)
    assert result.returncode == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "--allow-files" in result.stderr, result.stderr
    assert "s3cr3t" not in result.stdout + result.stderr
    assert not out.exists() and not (tmp_path / "other.duckdb").exists()


def test_sql_allow_files_lets_a_query_read_and_write(tmp_path, db):
    out = tmp_path / "out.csv"
    result = run_cli("sql", f"copy (select 42 as answer) to '{out}'", "--allow-files", db=db)
    assert result.returncode == 0, result.stderr
    assert out.read_text().split() == ["answer", "42"]


def _umask_000(*args):
    """The real CLI under umask 000."""
    code = "import os, sys; os.umask(0); from vaultlab.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_the_wal_and_the_spill_folder_are_owner_only_under_umask_000(tmp_path):
    db = tmp_path / "w.duckdb"
    code = f"""
import os, sys
os.umask(0)
from vaultlab import Warehouse
wh = Warehouse({str(db)!r})
with wh.transaction() as cur:
    cur.execute("create table big as select range as i, md5(range::varchar) as h from range(10000)")
wal = {str(db)!r} + ".wal"
modes = {{p: oct(os.stat(p).st_mode & 0o777) for p in [wal, {str(db)!r} + ".tmp"] if os.path.exists(p)}}
print(modes)
sys.stdout.flush()
os._exit(0)  # killed: the WAL survives
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    modes = eval(result.stdout.strip().splitlines()[-1])
    assert modes.get(str(db) + ".wal") == "0o600", modes
    assert modes.get(str(db) + ".tmp") == "0o700", modes
    assert _mode(db) == 0o600


def test_the_ics_file_is_owner_only_under_umask_000(tmp_path):
    from vaultlab.period import parse_period
    from vaultlab.snapshots.inventory import load_inventory

    db = tmp_path / "w.duckdb"
    inventory = tmp_path / "inventory.json"
    inventory.write_text('[{"name": "secret/prod/db", "kind": "database", "owner": "team-a", '
                         '"last_rotated_at": "2026-01-01", "rotation_days": 30}]')
    with Warehouse(db) as wh:
        load_inventory(wh, [str(inventory)], as_of=parse_period(as_of="2026-10-31").end)
    ics = tmp_path / "plan.ics"
    result = _umask_000("--db", str(db), "rotation", "plan", "--as-of", "2026-10-31", "--ics", str(ics))
    assert result.returncode == 0, result.stderr
    assert "BEGIN:VEVENT" in ics.read_text() and _mode(ics) == 0o600


def test_pack_modes_are_documented_and_applied(tmp_path):
    from vaultlab.modes import restrict_tree

    pack = tmp_path / "pack"
    (pack / "evidence").mkdir(parents=True, mode=0o777)
    (pack / "evidence" / "a.csv").write_text("x\n")
    os.chmod(pack / "evidence" / "a.csv", 0o666)
    restrict_tree(pack)
    assert (_mode(pack), _mode(pack / "evidence"), _mode(pack / "evidence" / "a.csv")) == (0o700, 0o700, 0o600)


def test_a_symlink_planted_as_the_spill_folder_is_not_used(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o777)
    db = tmp_path / "w.duckdb"
    (tmp_path / "w.duckdb.tmp").symlink_to(elsewhere)
    with Warehouse(db) as wh:
        [[folder]] = wh.query("select current_setting('temp_directory')")[1]
        assert folder != str(tmp_path / "w.duckdb.tmp") and _mode(Path(folder)) == 0o700
    assert _mode(elsewhere) == 0o777 and list(elsewhere.iterdir()) == []
