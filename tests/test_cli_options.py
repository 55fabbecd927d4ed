"""Every option of every command, given a malformed value, gets one line and exit 2, never a traceback."""

import argparse
import re

import pytest
from conftest import run_cli

from vaultlab.cli import build_parser, main

BAD = {int: "-7x", "day": "2026-13-01", "count": "-5"}


def _commands(parser, prefix=()):
    """(command words, subparser) for every leaf command."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, prefix + (name,))
            return
    yield prefix, parser


def _positionals(parser) -> list[str]:
    out = []
    for action in parser._actions:
        if action.option_strings or isinstance(action, argparse._SubParsersAction):
            continue
        out.append(sorted(action.choices)[0] if action.choices else "x")
    return out


def _typed_options(parser):
    for action in parser._actions:
        if action.option_strings and (action.type is not None or action.choices):
            yield action


def _cases():
    for words, parser in _commands(build_parser()):
        required = []
        for action in parser._actions:
            if action.required and action.option_strings:
                required += [action.option_strings[0], sorted(action.choices)[0] if action.choices else "x"]
        for action in _typed_options(parser):
            yield pytest.param(list(words) + _positionals(parser) + required, action.option_strings[0],
                               id=" ".join(words) + " " + action.option_strings[0])


@pytest.mark.parametrize(("argv", "option"), list(_cases()))
def test_a_malformed_option_value_is_one_line_and_exit_2(argv, option, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv + [option, "not-a-valid-value!"])
    out, err = capsys.readouterr()
    assert stop.value.code == 2 and out == ""
    [line] = err.strip().splitlines()
    assert "error:" in line and option.lstrip("-").split("-")[0] in line and "Traceback" not in err


def test_every_command_has_a_description_with_an_example():
    for words, parser in _commands(build_parser()):
        assert parser.description and re.search(r"Example: .*vaultlab ", parser.description), " ".join(words)


@pytest.mark.parametrize("argv", [
    ["rotation", "plan", "--as-of", "2026-13-01"], ["synth", "OUT", "--start", "2026-02-30"],
    ["rotation", "plan", "--horizon", "-3"], ["synth", "OUT", "--lines", "0"], ["check", "--framework", "soc2",
    "--period", "2026-13"], ["sql", "select 1", "--from", "yesterday"], ["ingest", "x", "--source", "syslog"],
])
def test_known_bad_values(argv, tmp_path, capsys):
    argv = [str(tmp_path / "o") if a == "OUT" else a for a in argv]
    try:
        code = main(["--db", str(tmp_path / "w.duckdb")] + argv)
    except SystemExit as stop:
        code = stop.code
    _, err = capsys.readouterr()
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


def test_a_mistyped_command_suggests_the_closest(tmp_path):
    result = run_cli("ingset", "x")
    assert result.returncode == 2
    assert result.stderr.strip() == "vaultlab: error: no command 'ingset'; did you mean `ingest`? (see `vaultlab --help`)"
    result = run_cli("rotation", "plann")
    assert result.returncode == 2 and "did you mean `plan`?" in result.stderr


def test_a_bad_threshold_in_the_config_file_is_one_line(tmp_path):
    for value, expected in (("-5", "expected a number >= 0"), ("0.5", "expected a whole number"),
                            ("inf", "expected a finite number"), ("nan", "expected a finite number"),
                            ("true", "expected a finite number")):
        config = tmp_path / "vaultlab.toml"
        config.write_text(f"[thresholds]\norphan_days = {value}\n")
        result = run_cli("config", "--config", str(config))
        assert result.returncode == 2 and result.stdout == "", value
        [line] = result.stderr.strip().splitlines()
        assert "threshold orphan_days = " in line and expected in line, line


def _check_on_a_terminal(db, extra_env):
    import os
    import pty
    import subprocess
    import sys

    from conftest import ROOT

    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100", **extra_env}
    env.pop("NO_COLOR", None) if "NO_COLOR" not in extra_env else None
    proc = subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(db), "check", "--framework", "soc2",
                           "--period", "2026-10"], stdout=follower, stderr=subprocess.PIPE, env=env, timeout=300)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.returncode, b"".join(chunks).decode()


def test_check_fits_the_terminal_and_colours_only_there(tmp_path, synth_small):
    from conftest import load_synth_month

    from vaultlab import Warehouse

    db = tmp_path / "w.duckdb"
    with Warehouse(db) as wh:
        load_synth_month(wh, synth_small[0])
    code, screen = _check_on_a_terminal(db, {})
    assert code == 1
    lines = screen.replace("\r\n", "\n").splitlines()
    plain = [__import__("re").sub(r"\x1b\[[0-9;]*m", "", line) for line in lines]
    assert max(len(line) for line in plain) <= 100
    assert "\x1b[31malarm" in screen
    _, no_colour = _check_on_a_terminal(db, {"NO_COLOR": "1"})
    assert "\x1b[" not in no_colour
    piped = run_cli("check", "--framework", "soc2", "--period", "2026-10", db=db)
    assert "\x1b[" not in piped.stdout and max(len(line) for line in piped.stdout.splitlines()) > 100


def test_a_quoted_line_break_in_a_csv_inventory_stays_in_its_field(tmp_path):
    from vaultlab import Warehouse
    from vaultlab.snapshots.inventory import load_inventory

    inventory = tmp_path / "inventory.csv"
    inventory.write_text('name,owner,kind\nsecret/prod/db,"Jane\nDoe",database\nsecret/prod/api,ops,api-key\n')
    with Warehouse(tmp_path / "w.duckdb") as wh:
        result = load_inventory(wh, [str(inventory)])
        owners = dict(wh.query("select name, owner from secrets order by name")[1])
    assert result.rows_loaded == 2 and not result.rejects
    assert owners == {"secret/prod/api": "ops", "secret/prod/db": "Jane\nDoe"}


def test_a_warehouse_whose_creation_was_interrupted_says_so(tmp_path):
    import duckdb

    db = tmp_path / "w.duckdb"
    with duckdb.connect(str(db)) as con:  # what a kill right after the first statement leaves
        con.execute("create table schema_version (version integer, applied_at timestamptz)")
    result = run_cli("sql", "select 1", db=db)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "unfinished warehouse (its creation was interrupted)" in line and "another vaultlab version" not in line
