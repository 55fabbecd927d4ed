"""What every command shares: the option groups, opening the warehouse, the period, tables."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import date

from vaultlab import output
from vaultlab.config import load_config
from vaultlab.period import Period, parse_period
from vaultlab.warehouse import Warehouse


class Options:
    """Parent parsers for the options several commands share, each defined once."""

    def __init__(self) -> None:
        self.db = argparse.ArgumentParser(add_help=False)
        self.db.add_argument("--db", default=argparse.SUPPRESS,
                             help="warehouse file (default: $VAULTLAB_DB or ./vaultlab.duckdb)")
        self.formatted = argparse.ArgumentParser(add_help=False)
        self.formatted.add_argument("--format", choices=output.FORMATS, default="table", help="output format")
        self.configured = argparse.ArgumentParser(add_help=False)
        self.configured.add_argument("--config", help="thresholds file (default $VAULTLAB_CONFIG or ./vaultlab.toml)")
        self.period = argparse.ArgumentParser(add_help=False)
        self.period.add_argument("--period", help="a calendar month, YYYY-MM (UTC)")
        self.period.add_argument("--from", dest="start", help="first day (YYYY-MM-DD) or time of the window")
        self.period.add_argument("--to", dest="end", help="last day (inclusive) or end time (exclusive) of the window")
        self.period.add_argument("--as-of", help="end the window here (default: just after the last event)")
        self.accepted_risks = argparse.ArgumentParser(add_help=False)
        self.accepted_risks.add_argument("--accepted-risks", "--exceptions", dest="accepted_risks", metavar="FILE",
                                         help="YAML file of accepted risks (--exceptions is the old spelling)")


def day(text: str) -> str:
    """An option's value that must be a calendar day, YYYY-MM-DD (argparse `type`)."""
    try:
        date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day; write YYYY-MM-DD, e.g. 2026-10-31") from None
    if len(text) != 10:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day; write YYYY-MM-DD, e.g. 2026-10-31")
    return text


def count(low: int):
    """An argparse `type`: a whole number of at least `low`."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{text} is below {low}; give a whole number of at least {low}")
        return value
    return parse


def period_of(args) -> Period:
    """The period the command's --period / --from / --to / --as-of name."""
    return parse_period(getattr(args, "period", None), getattr(args, "start", None),
                        getattr(args, "end", None), getattr(args, "as_of", None))


def open_warehouse(args, *, read_only: bool = False) -> Warehouse:
    """The warehouse of --db, with the thresholds of --config."""
    return Warehouse(args.db, read_only=read_only, thresholds=load_config(getattr(args, "config", None)))


def terminal() -> dict:
    """Table layout for stdout: the terminal's width and colour (unless NO_COLOR), or plain when piped."""
    if not sys.stdout.isatty():
        return {"width": None, "colour": False}
    return {"width": shutil.get_terminal_size().columns, "colour": not os.environ.get("NO_COLOR")}


def print_table(title: str | None, columns, rows, fmt: str = "table") -> None:
    if title and fmt == "table":
        print(f"\n{title}")
    sys.stdout.write(output.render(columns, rows, fmt))
