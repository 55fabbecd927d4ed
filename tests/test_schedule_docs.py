"""The monthly schedule is documented as a user copies it: a crontab line, a systemd timer and a
GitHub Actions job, whose every vaultlab command parses (issue 13, item 6, the README half)."""

import re
import shlex

import pytest
from conftest import ROOT

from vaultlab.cli import build_parser

README = (ROOT / "README.md").read_text()


def _section() -> str:
    match = re.search(r"^## Monthly schedule\n(.*?)(?=^## )", README, re.M | re.S)
    assert match, "README has no Monthly schedule section"
    return match.group(1)


def _commands() -> list[list[str]]:
    found = []
    for line in _section().splitlines():
        line = re.sub(r"^\s*(- run: )?", "", line)
        if line.startswith("vaultlab "):
            words = shlex.split(line.split(" #")[0].split(" >")[0])
            found.append(words[1:])
    return found


def test_the_recipe_has_cron_systemd_and_github_actions():
    section = _section()
    assert re.search(r"^0 6 1 \* \* /srv/vaultlab/monthly\.sh", section, re.M)
    assert "OnCalendar=*-*-01 06:00:00 UTC" in section and "Persistent=true" in section
    assert 'cron: "0 6 1 * *"' in section
    assert sum("--period last-month" in line for line in section.splitlines()) >= 4


@pytest.mark.parametrize("command", _commands(), ids=" ".join)
def test_every_command_of_the_recipe_parses(command):
    args = build_parser().parse_args(command)
    assert callable(args.func)
    if "--period" in command:
        assert args.period == "last-month"
