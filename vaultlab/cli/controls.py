"""`vaultlab check` and `vaultlab config`: the controls of a framework for a period."""

from __future__ import annotations

import sys

from vaultlab import output
from vaultlab.cli.common import open_warehouse, period_of, terminal
from vaultlab.cli.lake import lake_source
from vaultlab.config import DEFAULTS, load_config
from vaultlab.controls import output as check_output
from vaultlab.controls.catalog import framework_names
from vaultlab.controls.run import run_checks


def cmd_check(args) -> int:
    lake = lake_source(args)  # --lake: read the lake, record nothing (the lake is written by `lake export`)
    with lake or open_warehouse(args, create=False) as wh:
        run = run_checks(wh, args.framework, period_of(args), exceptions_path=args.accepted_risks,
                         partial=args.partial, record=lake is None)
    sys.stdout.write(check_output.render(run, args.format, **terminal()))
    if args.format != "table":  # the table ends with these lines; other formats stay parseable on stdout
        for line in (check_output.partial_note(run), run.lacking_evidence()):
            if line:
                print(output.visible(line), file=sys.stderr)
    return run.exit_code


def cmd_config(args) -> int:
    values = load_config(args.config)
    rows = [(name, values[name], meaning) for name, (_, meaning) in DEFAULTS.items()]
    sys.stdout.write(output.render(["threshold", "value", "meaning"], rows, args.format))
    return 0


def register(sub, options) -> None:
    p = sub.add_parser("check", parents=[options.db, options.configured, options.period, options.accepted_risks,
                                                  options.wait, options.lake],
                       help="evaluate a framework's controls; exit 0 ok, 1 alarm or evidence lacking, 2 error",
                       description="Evaluate every check of a framework for a period. "
                                   "Example: vaultlab check --framework soc2 --period 2026-10 --format junit")
    p.add_argument("--framework", required=True, choices=framework_names())
    p.add_argument("--format", choices=check_output.FORMATS, default="table")
    p.add_argument("--partial", action="store_true",
                   help="allow a period that has not ended yet (its results so far, marked PARTIAL)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("config", parents=[options.formatted, options.configured],
                       help="the thresholds in force, with their meaning",
                       description="The thresholds in force and what each means. Example: vaultlab config")
    p.set_defaults(func=cmd_config)
