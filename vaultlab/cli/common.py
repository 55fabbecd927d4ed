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

PERIOD_HELP = ("last-month, this-month, a month YYYY-MM, a quarter YYYY-Qn or a year YYYY (UTC; "
               "today is $VAULTLAB_TODAY if set)")
DEFAULT_WAIT = 30.0  # seconds `check` and `report` wait for a busy warehouse


def seconds(text: str) -> float:
    """An argparse `type`: a number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value <= 86400:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 86400 seconds")
    return value


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
        self.period.add_argument("--period", help=PERIOD_HELP)
        self.period.add_argument("--from", dest="start", help="first day (YYYY-MM-DD) or time of the window")
        self.period.add_argument("--to", dest="end", help="last day (inclusive) or end time (exclusive) of the window")
        self.period.add_argument("--as-of", help="end the window here (default: just after the last event)")
        self.wait = argparse.ArgumentParser(add_help=False)
        self.wait.add_argument("--wait", type=seconds, default=DEFAULT_WAIT, metavar="SECONDS",
                               help="wait this long for a warehouse another process holds "
                                    f"(default {DEFAULT_WAIT:g}; 0: fail at once)")
        self.lake = argparse.ArgumentParser(add_help=False)
        self.lake.add_argument("--lake", metavar="LAKE",
                               help="read a lake (a folder or s3:// URI written by `vaultlab lake export`) instead "
                                    "of the warehouse")
        self.lake.add_argument("--engine", choices=["duckdb", "spark"],
                               help="what reads the lake: duckdb (one machine, default) or spark (pyspark)")
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


def open_warehouse(args, *, read_only: bool = False, create: bool = True, **options) -> Warehouse:
    """The warehouse of --db, with the thresholds of --config. Read commands pass `create=False`: a path
    that holds no warehouse is one line and exit 2, and nothing is created; --wait (where the command has
    it) is how long to wait for a warehouse another process holds."""
    return Warehouse(args.db, read_only=read_only, create=create, wait=getattr(args, "wait", 0) or 0,
                     thresholds=load_config(getattr(args, "config", None)), **options)


def terminal() -> dict:
    """Table layout for stdout: the terminal's width and colour (unless NO_COLOR), or plain when piped."""
    if not sys.stdout.isatty():
        return {"width": None, "colour": False}
    return {"width": shutil.get_terminal_size().columns, "colour": not os.environ.get("NO_COLOR")}


def print_table(title: str | None, columns, rows, fmt: str = "table") -> None:
    if title and fmt == "table":
        print(f"\n{title}")
    sys.stdout.write(output.render(columns, rows, fmt))
