"""The `vaultlab` command: thin wrappers over the library, one call each."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__, output
from .errors import VaultlabError
from .ingestion import ingest
from .sources import FORMATS
from .summary import describe
from .synth import synthesize
from .warehouse import Warehouse, default_db_path

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def _print_table(title: str | None, columns, rows, fmt: str = "table") -> None:
    if title and fmt == "table":
        print(f"\n{title}")
    sys.stdout.write(output.render(columns, rows, fmt))


def cmd_ingest(args) -> int:
    with Warehouse(args.db) as wh:
        results = ingest(wh, args.paths, fmt=args.format, progress=None if not args.quiet else False)
    columns = ["file", "format", "lines", "loaded", "duplicates", "quarantined", "events", "seconds"]
    rows = []
    for r in results:
        if r.already_loaded_as is not None:
            rows.append((r.path, r.format, "", "", "", "", f"already loaded (file {r.already_loaded_as})", ""))
        elif r.skipped:
            rows.append((r.path, r.format, "", "", "", "", f"skipped: {r.skipped}", ""))
        else:
            rows.append((r.path, r.format, r.lines_read, r.events_loaded, r.duplicates, r.quarantined,
                         r.events_created, round(r.seconds, 2)))
    _print_table(None, columns, rows)
    quarantined = sum(r.quarantined for r in results)
    if quarantined:
        print(f"{quarantined} line(s) quarantined; see: vaultlab sql \"select * from quarantine\"", file=sys.stderr)
    raw = [r.path for r in results if r.raw_values]
    for path in raw:
        print(f"warning: {path} holds plain-text values where HMACs belong (audit device with "
              "log_raw=true); they were not stored", file=sys.stderr)
    return 0


def cmd_sql(args) -> int:
    with Warehouse(args.db, read_only=True) as wh:
        columns, rows = wh.query(args.query)
    sys.stdout.write(output.render(columns, rows, args.format, max_cell=output.MAX_CELL))
    return 0


def cmd_info(args) -> int:
    with Warehouse(args.db, read_only=True) as wh:
        tables = describe(wh)
    if args.format == "json":
        import json

        print(json.dumps({name: [dict(zip(cols, map(output.to_plain, row))) for row in rows]
                          for name, (cols, rows) in tables.items()}, indent=2))
        return 0
    print(f"warehouse: {Path(args.db or default_db_path())}")
    for name, (columns, rows) in tables.items():
        _print_table(name, columns, rows, args.format)
    return 0


def cmd_synth(args) -> int:
    answers = synthesize(args.out, lines=args.lines, seed=args.seed, start=args.start, days=args.days)
    print(f"wrote {answers.records} audit records ({answers.events} events) to {Path(args.out) / 'vault_audit.log'}")
    print(f"planted findings: {len(answers.planted)}, listed in {Path(args.out) / 'answers.json'}")
    return 0


def cmd_demo(args) -> int:
    out = Path(args.out)
    db = out / "vaultlab.duckdb"
    out.mkdir(parents=True, exist_ok=True)
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    logs = sorted(str(p) for p in SAMPLES.glob("*.log*"))
    if not logs:
        raise VaultlabError(f"no sample logs in {SAMPLES}; run `vaultlab synth {SAMPLES}`")
    print(f"loading the sample audit logs from {SAMPLES} into a fresh warehouse {db}")
    args_ingest = argparse.Namespace(db=str(db), paths=logs, format=None, quiet=False)
    cmd_ingest(args_ingest)
    cmd_info(argparse.Namespace(db=str(db), format="table"))
    print(f"\nnext: vaultlab --db {db} sql \"select category, count(*) from events group by all\"")
    return 0


def build_parser() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--db", default=argparse.SUPPRESS,
                        help="warehouse file (default: $VAULTLAB_DB or ./vaultlab.duckdb)")
    formatted = argparse.ArgumentParser(add_help=False)
    formatted.add_argument("--format", choices=output.FORMATS, default="table", help="output format")

    parser = argparse.ArgumentParser(prog="vaultlab", description="Compliance analytics for secrets management.",
                                     parents=[shared])
    parser.add_argument("--version", action="version", version=f"vaultlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[shared], help="load audit log files, folders, globs (.gz too)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=sorted(FORMATS), help="skip format detection")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("sql", parents=[shared, formatted], help="run a read-only SQL query")
    p.add_argument("query")
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("info", parents=[shared, formatted], help="what the warehouse holds")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("synth", help="generate a realistic Vault audit log with planted findings")
    p.add_argument("out", metavar="DIR")
    p.add_argument("--lines", type=int, default=4000, help="audit records to write (default 4000)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--start", default="2026-10-01", help="first day, YYYY-MM-DD (UTC)")
    p.add_argument("--days", type=int, default=31)
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("demo", help="load the sample data into a fresh warehouse and summarise it")
    p.add_argument("--out", default="reports/demo", help="where the demo warehouse goes")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not hasattr(args, "db"):
        args.db = None
    try:
        return args.func(args)
    except VaultlabError as err:
        print(f"vaultlab: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("vaultlab: interrupted; the file being loaded was rolled back", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
