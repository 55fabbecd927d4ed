"""The `vaultlab` command: thin wrappers over the library, one call each.

Each module registers the commands of one stage; `common` holds the shared options.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from types import SimpleNamespace

import duckdb

from vaultlab import __version__, output
from vaultlab.cli import controls, demo, evidence, incident, ingest, lake, queries, snapshots
from vaultlab.cli.common import Options
from vaultlab.errors import VaultlabError


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (with the closest command for a typo) and exit 2."""

    def error(self, message: str):
        if "invalid choice" in message and ("argument COMMAND" in message or "argument ACTION" in message):
            given = message.split("'")[1] if "'" in message else ""
            choices = [c for a in self._actions if isinstance(a, argparse._SubParsersAction) for c in a.choices]
            close = difflib.get_close_matches(given, choices, n=1)
            message = f"no command {given!r}" + (f"; did you mean `{close[0]}`?" if close else "") + \
                f" (see `{self.prog} --help`)"
        else:
            message += f" (see `{self.prog} --help`)"
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    options = Options()
    parser = Parser(prog="vaultlab", description="Compliance analytics for secrets management.",
                    parents=[options.db])
    parser.add_argument("--version", action="version", version=f"vaultlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    ingest.register(sub, options)
    groups = SimpleNamespace(
        inventory=_group(sub, "inventory", "secret inventories: load, collect",
                         "Secret inventories as dated snapshots. Example: vaultlab inventory load inventory.csv"),
        policies=_group(sub, "policies", "ACL and resource policies: load, collect, suggest",
                        "Policy sets as dated snapshots, and least-privilege suggestions. "
                        "Example: vaultlab policies load policies/ --baseline"),
        rotation=_group(sub, "rotation", "the rotation planner",
                        "Rotations overdue and due soon. Example: vaultlab rotation plan --horizon 14"),
    )
    snapshots.register(sub, groups, options)
    queries.register(sub, groups, options)
    controls.register(sub, options)
    evidence.register(sub, options)
    incident.register(sub, options)
    demo.register(sub, options)
    lake.register(sub, options)
    return parser


def _group(sub, name: str, help_text: str, description: str):
    return sub.add_parser(name, help=help_text, description=description).add_subparsers(
        dest="action", required=True, metavar="ACTION", parser_class=Parser)


def _explain_driver_error(err: duckdb.Error) -> str:
    text = str(err).splitlines()[0]
    if "No space left on device" in text or "failed to offload" in text:
        return ("a disk is full (the warehouse's folder, or DuckDB's temp folder beside it); free space or move "
                f"the warehouse, then run the command again ({text})")
    return f"the database failed: {text}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not hasattr(args, "db"):
        args.db = None
    try:
        return args.func(args)
    except VaultlabError as err:
        print(f"vaultlab: error: {output.visible(str(err))}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, duckdb.InterruptException):
        print("vaultlab: interrupted; what was being written was rolled back", file=sys.stderr)
        return 130
    except duckdb.Error as err:
        print(f"vaultlab: error: {_explain_driver_error(err)}", file=sys.stderr)
        return 2
    except Exception as err:  # a crash is exit 2 (never 1, which means "alarm") and one line
        if os.environ.get("VAULTLAB_DEBUG"):
            raise
        first = (str(err).splitlines() or [""])[0]
        print(f"vaultlab: internal error: {type(err).__name__}: {output.visible(first)[:300]} "
              "(run again with VAULTLAB_DEBUG=1 for the traceback, and please report it)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
