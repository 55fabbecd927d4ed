"""Questions over the warehouse: `sql`, `info`, `rotation plan`, `policies suggest`, `trace`, `sample`."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from vaultlab import output
from vaultlab.cli.common import count, day, open_warehouse, period_of, print_table
from vaultlab.cli.lake import lake_source
from vaultlab.errors import VaultlabError
from vaultlab.evidence.samples import population_query
from vaultlab.ingest.ledger import COUNT_OLD_IDENTITY_FILES, old_identity_warning
from vaultlab.modes import write_private
from vaultlab.period import today
from vaultlab.queries import policy_suggest
from vaultlab.queries.rotation_plan import COLUMNS as PLAN_COLUMNS
from vaultlab.queries.rotation_plan import rotation_plan, to_ical
from vaultlab.queries.sample import draw
from vaultlab.queries.summary import describe
from vaultlab.queries.trace import COLUMNS as TRACE_COLUMNS
from vaultlab.queries.trace import trace
from vaultlab.warehouse import default_db_path


def cmd_sql(args) -> int:
    period = period_of(args)
    lake = lake_source(args, external_access=args.allow_files)
    with lake or open_warehouse(args, read_only=True, create=False, external_access=args.allow_files) as wh:
        try:
            columns, rows = wh.query(args.query, period=period)
        except VaultlabError as err:
            if "disabled by configuration" in str(err) or "configuration has been locked" in str(err):
                raise VaultlabError(f"{err} (vaultlab sql reads no other file, writes none and changes no "
                                    "setting unless --allow-files is given)") from None
            raise
    sys.stdout.write(output.render(columns, rows, args.format, max_cell=output.MAX_CELL))
    return 0


def cmd_info(args) -> int:
    with open_warehouse(args, read_only=True, create=False) as wh:
        tables = describe(wh)
        [(old_files,)] = wh.query(COUNT_OLD_IDENTITY_FILES)[1]
    if old_files:
        print(old_identity_warning(old_files), file=sys.stderr)
    if args.format == "json":
        print(json.dumps({name: [dict(zip(cols, map(output.to_plain, row))) for row in rows]
                          for name, (cols, rows) in tables.items()}, indent=2))
        return 0
    print(f"warehouse: {Path(args.db or default_db_path())}")
    for name, (columns, rows) in tables.items():
        print_table(name, columns, rows, args.format)
    return 0


def cmd_rotation_plan(args) -> int:
    as_of = date.fromisoformat(args.as_of) if args.as_of else today()
    with open_warehouse(args, read_only=True, create=False) as wh:
        plan = rotation_plan(wh, as_of=as_of, horizon=args.horizon)
    if args.ics:
        write_private(args.ics, to_ical(plan, as_of), newline="")  # owner-only, like the warehouse
        print(f"wrote {len(plan)} rotation(s) to {args.ics}", file=sys.stderr)
    rows = [tuple(item[c] for c in PLAN_COLUMNS) for item in plan]
    sys.stdout.write(output.render(PLAN_COLUMNS, rows, args.format))
    return 0


def cmd_policies_suggest(args) -> int:
    with open_warehouse(args, create=False) as wh:
        suggestion = policy_suggest.suggest_policy(wh, args.actor, period_of(args), min_siblings=args.min_siblings)
    if args.format == "json":
        print(json.dumps(policy_suggest.as_dict(suggestion), indent=2, default=str))
        return 0
    sys.stdout.write("\n".join(suggestion.diffs.values()) + "\n" if args.diff else suggestion.hcl)
    sys.stderr.write(policy_suggest.review(suggestion))
    return 0


def cmd_trace(args) -> int:
    with open_warehouse(args, read_only=True, create=False) as wh:
        records = trace(wh, args.ref, search=args.search)
    if args.format != "table":
        sys.stdout.write(output.render(TRACE_COLUMNS, [r.row() for r in records], args.format))
        return 0
    for r in records:  # a record a block: its place, then its excerpt whole on a line of its own
        print(output.visible(f"{r.record} file {r.file_id} line {r.line} id {r.id or '-'} {r.path} "
                             f"(SHA-256 {r.sha256} as in the ledger)"))
        print("  " + output.visible(r.excerpt))
    return 0


def cmd_sample(args) -> int:
    query = population_query(args.population)
    period = period_of(args)
    lake = lake_source(args)  # --lake: the same rows as from the warehouse the lake was exported from
    with lake or open_warehouse(args, read_only=True, create=False) as wh:
        drawn = draw(wh, args.population, query, size=args.size, seed=args.seed, period=period)
    if args.format == "json":
        print(json.dumps({"population": drawn.population, "population_size": drawn.population_size,
                          "seed": drawn.seed, "size": len(drawn.rows),
                          "rows": [dict(zip(drawn.columns, map(output.to_plain, r))) for r in drawn.rows]},
                         indent=2))
        return 0
    print(f"population {drawn.population}: {drawn.population_size} row(s); seed {drawn.seed}; "
          f"{len(drawn.rows)} drawn", file=sys.stderr if args.format == "csv" else sys.stdout)
    sys.stdout.write(output.render(drawn.columns, drawn.rows, args.format))
    return 0


def register(sub, groups, options) -> None:
    p = sub.add_parser("sql", parents=[options.db, options.formatted, options.configured, options.period,
                                       options.lake],
                       help="run a read-only SQL query",
                       description="A read-only query over the warehouse; the period reaches the views. "
                                   "Example: vaultlab sql --period 2026-10 \"select * from rotation_status\"")
    p.add_argument("query")
    p.add_argument("--allow-files", action="store_true",
                   help="let the query read and write other files (COPY ... TO, read_csv(), ATTACH; off by default)")
    p.set_defaults(func=cmd_sql)

    p = sub.add_parser("info", parents=[options.db, options.formatted], help="what the warehouse holds",
                       description="Sources and their time range, events by category, the ledger and the "
                                   "quarantine. Example: vaultlab info --format json")
    p.set_defaults(func=cmd_info)

    q = groups.rotation.add_parser("plan", parents=[options.db, options.formatted, options.configured],
                                   help="overdue and upcoming rotations by owner (and an iCalendar file)",
                                   description="Rotations overdue or due soon, by owner. "
                                               "Example: vaultlab rotation plan --horizon 14 --ics rotations.ics")
    q.add_argument("--as-of", type=day, help="plan as of this day, YYYY-MM-DD (default today, UTC, or $VAULTLAB_TODAY)")
    q.add_argument("--horizon", type=count(0), default=30, help="days ahead to list (default 30)")
    q.add_argument("--ics", metavar="FILE", help="also write the plan as an iCalendar file")
    q.set_defaults(func=cmd_rotation_plan)

    q = groups.policies.add_parser("suggest", parents=[options.db, options.configured, options.period],
                                   help="a least-privilege policy for an actor from its observed requests",
                                   description="A least-privilege ACL policy from an actor's successful "
                                               "requests. Example: vaultlab policies suggest --actor "
                                               "approle-ci-runner --period 2026-10 --diff")
    q.add_argument("--actor", required=True, help="an actor id or actor_name of the events view")
    q.add_argument("--min-siblings", type=count(2), default=3,
                   help="paths in one folder with the same capabilities that become folder/* (default 3)")
    q.add_argument("--diff", action="store_true", help="print a unified diff against each held policy instead")
    q.add_argument("--format", choices=["hcl", "json"], default="hcl")
    q.set_defaults(func=cmd_policies_suggest)

    p = sub.add_parser("trace", parents=[options.db, options.formatted],
                       help="the raw source records behind an event, from its verified file",
                       description="Print the source records behind an event (a Vault request and its "
                                   "response), read from the file the ledger names once its SHA-256 matches; "
                                   "values are redacted as in the quarantine. A moved file is found with "
                                   "--search; an edited or missing one is reported, never trusted. "
                                   "Example: vaultlab trace 0b6d0c1e-5d2a-4f5e-9a1b-3c4d5e6f7a8b "
                                   "--search /archive/logs")
    p.add_argument("ref", metavar="EVENT_ID", help="an event id, or FILE_ID:LINE of the ledger")
    p.add_argument("--search", metavar="DIR", action="append",
                   help="look for a moved file (same name, same SHA-256) under this folder; repeatable")
    p.set_defaults(func=cmd_trace)

    p = sub.add_parser("sample", parents=[options.db, options.formatted, options.configured, options.period,
                                          options.lake],
                       help="a reproducible random sample of a view or a check's results",
                       description="Draw a random sample of a population (a view, or a check's result rows) "
                                   "that is the same for the same data, period and seed on any machine and "
                                   "engine (the warehouse, or --lake read by DuckDB or Spark). "
                                   "Example: vaultlab sample --population rotation_status --size 25 --seed 2026 "
                                   "--period 2026-10")
    p.add_argument("--population", required=True, help="a view name or a check name")
    p.add_argument("--size", type=count(1), default=25, help="rows to draw (default 25; all when fewer)")
    p.add_argument("--seed", required=True,
                   help="the seed, an integer or any text: record it with the sample")
    p.set_defaults(func=cmd_sample)
