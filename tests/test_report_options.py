"""`report` checks every option before it touches a file, and removes nothing but its own pack (issue 11, item 1)."""

import pytest
from conftest import run_cli


def _victims(tmp_path):
    out = tmp_path / "reports"
    (out / "soc2-2026-09").mkdir(parents=True)
    (out / "soc2-2026-09" / "report.html").write_text("last month")
    (out / "soc2-2026-09.zip").write_text("zip")
    (tmp_path / "victim").mkdir()
    (tmp_path / "victim" / "precious.txt").write_text("keep me")
    return out


def _intact(tmp_path, out):
    assert (tmp_path / "victim" / "precious.txt").read_text() == "keep me"
    assert (out / "soc2-2026-09" / "report.html").read_text() == "last month"
    assert (out / "soc2-2026-09.zip").read_text() == "zip"


@pytest.mark.parametrize("period", ["2026-10/../../victim", "2026-10/..", "../victim", "2026-13", "2026-10 ",
                                    "\u0662\u0660\u0662\u0666-10", "2026-1", "/tmp", ""])
def test_a_bad_period_touches_no_file(tmp_path, period):
    out = _victims(tmp_path)
    db = tmp_path / "w.duckdb"
    db.write_bytes(b"")  # exists: the period alone must stop the run
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = run_cli("report", "--framework", "soc2", "--period", period, "--out", str(out), db=db)
    assert result.returncode == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    _intact(tmp_path, out)
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_a_missing_exceptions_file_or_key_stops_the_run_before_any_file_is_removed(tmp_path):
    out = _victims(tmp_path)
    (out / "soc2-2026-10").mkdir()
    (out / "soc2-2026-10" / "report.html").write_text("the previous run")
    db = tmp_path / "w.duckdb"
    db.write_bytes(b"")
    for option in (["--exceptions", str(tmp_path / "nope.yaml")], ["--sign-key", str(tmp_path / "nope.pem")]):
        result = run_cli("report", "--framework", "soc2", "--period", "2026-10", "--out", str(out), *option, db=db)
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert (out / "soc2-2026-10" / "report.html").read_text() == "the previous run"
    _intact(tmp_path, out)


def test_a_pack_path_that_is_a_symlink_is_replaced_not_followed(tmp_path):
    from vaultlab.evidence.pack import _swap_in

    (tmp_path / "victim").mkdir()
    (tmp_path / "victim" / "precious.txt").write_text("keep me")
    out = tmp_path / "reports"
    out.mkdir()
    (out / "soc2-2026-10").symlink_to(tmp_path / "victim")
    staging = tmp_path / "staging"
    (staging / "soc2-2026-10").mkdir(parents=True)
    (staging / "soc2-2026-10.zip").write_text("zip")
    _swap_in(staging, out / "soc2-2026-10")
    assert (tmp_path / "victim" / "precious.txt").read_text() == "keep me"
    assert (out / "soc2-2026-10").is_dir() and not (out / "soc2-2026-10").is_symlink()


def test_an_unexpected_crash_exits_2_with_one_escaped_line(tmp_path, monkeypatch, capsys):
    from vaultlab import Warehouse, cli
    from vaultlab.cli import queries as cli_queries

    db = tmp_path / "w.duckdb"
    Warehouse(db).close()

    def crash(_wh):
        raise RuntimeError("ICU date overflows timestamp range\x1b[31m\nsecond line")

    monkeypatch.setattr(cli_queries, "describe", crash)
    assert cli.main(["--db", str(db), "info"]) == 2  # an error, never 1 (an alarm)
    err = capsys.readouterr().err
    [line] = err.splitlines()
    assert line.startswith("vaultlab: internal error: RuntimeError: ICU date overflows timestamp range\\x1b[31m ")
