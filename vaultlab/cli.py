"""The `vaultlab` command: thin wrappers over the library, one call each."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timezone
from pathlib import Path

from . import __version__, check_output, cli_collect, cloudtrail_digest, output, views
from .config import DEFAULTS, load_config
from .controls import FRAMEWORKS, run_checks
from .errors import VaultlabError
from .ingestion import ingest
from .integrity import record_integrity
from .inventory import load_inventory
from .pack import verify_pack
from .packs import make_pack
from .policies import load_policies
from . import rotation
from .rotation import rotation_plan, to_ical
from .sources import FORMATS
from .summary import describe
from .synth import synthesize
from .synth_cloudtrail import synthesize_cloudtrail
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
    left_out = [r for r in results if r.left_out]
    if left_out:
        print(f"{len(left_out)} file(s) skipped and not loaded (see their rows above); the rest loaded",
              file=sys.stderr)
        return 1
    return 0


def _period(args) -> views.Period:
    return views.parse_period(getattr(args, "period", None), getattr(args, "start", None),
                              getattr(args, "end", None), getattr(args, "as_of", None))


def _open(args, *, read_only: bool = False) -> Warehouse:
    return Warehouse(args.db, read_only=read_only, thresholds=load_config(getattr(args, "config", None)))


def cmd_sql(args) -> int:
    with _open(args, read_only=True) as wh:
        columns, rows = wh.query(args.query, period=_period(args))
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


def cmd_inventory_load(args) -> int:
    as_of = views.parse_period(as_of=args.as_of).end if args.as_of else None
    with _open(args) as wh:
        result = load_inventory(wh, args.files, as_of=as_of, default_store=args.store)
    print(f"snapshot {result.snapshot_id}: {result.rows_loaded} secret(s) loaded, "
          f"{len(result.rejects)} row(s) rejected")
    for path, row, reason in result.rejects:
        print(f"rejected: {path} row {row}: {reason}", file=sys.stderr)
    return 0


def cmd_policies_load(args) -> int:
    as_of = views.parse_period(as_of=args.as_of).end if args.as_of else None
    with _open(args) as wh:
        snapshot_id, names = load_policies(wh, args.paths, baseline=args.baseline, as_of=as_of)
    kind = "baseline" if args.baseline else "snapshot"
    print(f"{kind} {snapshot_id}: {len(names)} polic{'y' if len(names) == 1 else 'ies'}: {', '.join(names)}")
    return 0


def cmd_check(args) -> int:
    with _open(args) as wh:
        run = run_checks(wh, args.framework, _period(args), exceptions_path=args.exceptions)
    sys.stdout.write(check_output.render(run, args.format))
    return run.exit_code


def cmd_config(args) -> int:
    values = load_config(args.config)
    rows = [(name, values[name], meaning) for name, (_, meaning) in DEFAULTS.items()]
    sys.stdout.write(output.render(["threshold", "value", "meaning"], rows, args.format))
    return 0


def cmd_rotation_plan(args) -> int:
    as_of = date.fromisoformat(args.as_of) if args.as_of else datetime.now(timezone.utc).date()
    with _open(args, read_only=True) as wh:
        plan = rotation_plan(wh, as_of=as_of, horizon=args.horizon)
    if args.ics:
        Path(args.ics).write_text(to_ical(plan, as_of), newline="")
        print(f"wrote {len(plan)} rotation(s) to {args.ics}", file=sys.stderr)
    rows = [tuple(item[c] for c in rotation.COLUMNS) for item in plan]
    sys.stdout.write(output.render(rotation.COLUMNS, rows, args.format))
    return 0


def cmd_report(args) -> int:
    db = args.db or str(default_db_path())
    pack = make_pack(db, args.framework, args.period, args.out, organisation=args.organisation,
                     config=args.config, exceptions=args.exceptions, sign_key=args.sign_key)
    print(f"{args.framework} {args.period}: {pack} (and {pack}.zip)")
    return 0


def cmd_verify(args) -> int:
    result = verify_pack(args.pack, public_key=args.public_key)
    for problem in result.problems():
        print(problem)
    if result.intact:
        signed = ", signature valid" if result.signature == "valid" else ""
        print(f"{args.pack}: intact{signed}")
        return 0
    print(f"{args.pack}: NOT intact ({len(result.problems())} problem(s))", file=sys.stderr)
    return 1


def cmd_verify_cloudtrail(args) -> int:
    report = cloudtrail_digest.verify_cloudtrail(args.location, public_key_file=args.public_keys, online=args.online)
    sys.stdout.write(cloudtrail_digest.render(report, args.format))
    db = Path(args.db) if args.db else default_db_path()
    if db.exists():  # the audit-coverage checks read the latest run
        with _open(args) as wh:
            record_integrity(wh, report)
        print(f"recorded in {db}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_synth(args) -> int:
    if args.source == "cloudtrail":
        answers = synthesize_cloudtrail(args.out, records=args.lines, seed=args.seed, start=args.start,
                                        days=args.days)
        print(f"wrote {answers['records']} CloudTrail records in {answers['files']} delivery file(s) "
              f"under {Path(args.out) / 'AWSLogs'}")
        print(f"planted findings: {len(answers['planted'])}, listed in {Path(args.out) / 'answers.json'}")
        return 0
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
    cmd_ingest(argparse.Namespace(db=str(db), paths=logs, format=None, quiet=False))
    cmd_info(argparse.Namespace(db=str(db), format="table", config=None))
    print("\nloading the sample inventory and policies (approved 2026-09-01, current 2026-10-20)")
    cmd_inventory_load(argparse.Namespace(db=str(db), files=[str(SAMPLES / "inventory.json")], store="vault",
                                          as_of="2026-10-31", config=None))
    for folder, baseline, as_of in (("baseline", True, "2026-09-01"), ("current", False, "2026-10-20")):
        cmd_policies_load(argparse.Namespace(db=str(db), paths=[str(SAMPLES / "policies" / folder)],
                                             baseline=baseline, as_of=as_of, config=None))
    print()
    code = cmd_check(argparse.Namespace(db=str(db), framework="soc2", period="2026-10", start=None, end=None,
                                        as_of=None, exceptions=None, format="table", config=None))
    print(f"\n`vaultlab check` exits {code} here: the sample month has planted findings (see "
          f"{SAMPLES / 'answers.json'}).")
    print("\nrendering the evidence packs for October 2026:")
    for framework in FRAMEWORKS:
        pack = make_pack(db, framework, "2026-10", out, organisation="Example Corp (sample data)")
        print(f"  {framework:9s} {pack / 'report.html'}   (verify: vaultlab verify {pack})")
    print(f"next: vaultlab --db {db} check --framework hipaa --period 2026-10")
    print(f"      vaultlab --db {db} sql --period 2026-10 \"select * from anomalies\"")
    return 0


def build_parser() -> argparse.ArgumentParser:
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("--db", default=argparse.SUPPRESS,
                        help="warehouse file (default: $VAULTLAB_DB or ./vaultlab.duckdb)")
    formatted = argparse.ArgumentParser(add_help=False)
    formatted.add_argument("--format", choices=output.FORMATS, default="table", help="output format")
    configured = argparse.ArgumentParser(add_help=False)
    configured.add_argument("--config", help="thresholds file (default $VAULTLAB_CONFIG or ./vaultlab.toml)")
    period = argparse.ArgumentParser(add_help=False)
    period.add_argument("--period", help="a calendar month, YYYY-MM (UTC)")
    period.add_argument("--from", dest="start", help="first day (YYYY-MM-DD) or time of the window")
    period.add_argument("--to", dest="end", help="last day (inclusive) or end time (exclusive) of the window")
    period.add_argument("--as-of", help="end the window here (default: just after the last event)")

    parser = argparse.ArgumentParser(prog="vaultlab", description="Compliance analytics for secrets management.",
                                     parents=[shared])
    parser.add_argument("--version", action="version", version=f"vaultlab {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[shared],
                       help="load audit log files, folders, globs (.gz too) or s3://bucket/prefix")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=sorted(FORMATS), help="skip format detection")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("sql", parents=[shared, formatted, configured, period], help="run a read-only SQL query")
    p.add_argument("query")
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("inventory", help="secret inventories")
    inv = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = inv.add_parser("load", parents=[shared, configured], help="load CSV / JSON / YAML inventory files")
    q.add_argument("files", nargs="+", metavar="FILE")
    q.add_argument("--store", default="vault", help="store of rows that name none (default vault)")
    q.add_argument("--as-of", help="when the inventory was true (default now)")
    q.set_defaults(func=cmd_inventory_load)

    p = sub.add_parser("policies", help="ACL and resource policies: load, collect, suggest")
    pol = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = pol.add_parser("load", parents=[shared, configured], help="load .hcl policy files or folders")
    q.add_argument("paths", nargs="+", metavar="PATH")
    q.add_argument("--baseline", action="store_true", help="mark this set as the approved baseline")
    q.add_argument("--as-of", help="when the policies were in force (default now)")
    q.set_defaults(func=cmd_policies_load)

    cli_collect.add_commands(sub, inv, pol, shared=shared, configured=configured, formatted=formatted,
                             period=period)

    p = sub.add_parser("check", parents=[shared, configured, period],
                       help="evaluate a framework's controls; exit 0 ok, 1 alarm, 2 error")
    p.add_argument("--framework", required=True, choices=FRAMEWORKS)
    p.add_argument("--exceptions", help="YAML file of accepted risks")
    p.add_argument("--format", choices=check_output.FORMATS, default="table")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("rotation", help="the rotation planner")
    rot = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = rot.add_parser("plan", parents=[shared, formatted, configured],
                       help="overdue and upcoming rotations by owner (and an iCalendar file)")
    q.add_argument("--as-of", help="plan as of this day, YYYY-MM-DD (default today, UTC)")
    q.add_argument("--horizon", type=int, default=30, help="days ahead to list (default 30)")
    q.add_argument("--ics", metavar="FILE", help="also write the plan as an iCalendar file")
    q.set_defaults(func=cmd_rotation_plan)

    p = sub.add_parser("report", parents=[shared, configured],
                       help="render a framework's evidence report for a month into an evidence pack")
    p.add_argument("--framework", required=True, choices=FRAMEWORKS)
    p.add_argument("--period", required=True, help="a calendar month, YYYY-MM (UTC)")
    p.add_argument("--out", default="reports", help="where the pack folder goes (default reports/)")
    p.add_argument("--organisation", default="", help="shown in the report's title")
    p.add_argument("--exceptions", help="YAML file of accepted risks")
    p.add_argument("--sign-key", help="Ed25519 private key (PEM) to sign the manifest with")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("verify", help="check an evidence pack against its manifest; exit 0 intact, 1 not")
    p.add_argument("pack", metavar="PACK")
    p.add_argument("--public-key", help="Ed25519 public key (PEM) that must have signed the manifest")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("verify-cloudtrail", parents=[shared],
                       help="validate CloudTrail digest files and the log files they list, as `aws cloudtrail "
                            "validate-logs` does; recorded in the warehouse if there is one; exit 0 valid, 1 not")
    cloudtrail_digest.add_arguments(p)
    p.set_defaults(func=cmd_verify_cloudtrail)

    p = sub.add_parser("config", parents=[formatted, configured], help="the thresholds in force, with their meaning")
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("info", parents=[shared, formatted], help="what the warehouse holds")
    p.set_defaults(func=cmd_info)

    p = sub.add_parser("synth", help="generate a realistic audit log (Vault or CloudTrail) with planted findings")
    p.add_argument("out", metavar="DIR")
    p.add_argument("--source", choices=["vault", "cloudtrail"], default="vault",
                   help="vault: a file audit device log; cloudtrail: gzipped delivery files in S3's layout")
    p.add_argument("--lines", "--records", type=int, default=4000, help="audit records to write (default 4000)")
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
