"""`vaultlab report` and `vaultlab verify`: evidence packs."""

from __future__ import annotations

import sys

from vaultlab import output
from vaultlab.controls.catalog import framework_names
from vaultlab.evidence.manifest import verify_pack
from vaultlab.evidence.pack import make_pack
from vaultlab.warehouse import default_db_path


def cmd_report(args) -> int:
    db = args.db or str(default_db_path())
    pack = make_pack(db, args.framework, args.period, args.out, organisation=args.organisation,
                     config=args.config, exceptions=args.accepted_risks, sign_key=args.sign_key)
    print(f"{args.framework} {args.period}: {pack} (and {pack}.zip)")
    return 0


def cmd_verify(args) -> int:
    result = verify_pack(args.pack, public_key=args.public_key)
    for problem in result.problems():
        print(output.visible(problem))  # names come from the pack: never raw to the terminal
    if result.intact:
        signed = ", signature valid" if result.signature == "valid" else ""
        print(f"{args.pack}: intact{signed}")
        return 0
    print(f"{args.pack}: NOT intact ({len(result.problems())} problem(s))", file=sys.stderr)
    return 1


def register(sub, options) -> None:
    p = sub.add_parser("report", parents=[options.db, options.configured, options.accepted_risks],
                       help="render a framework's evidence report for a month into an evidence pack",
                       description="Render the evidence pack of a framework for a month. "
                                   "Example: vaultlab report --framework soc2 --period 2026-10 --out reports/")
    p.add_argument("--framework", required=True, choices=framework_names())
    p.add_argument("--period", required=True, help="a calendar month, YYYY-MM (UTC)")
    p.add_argument("--out", default="reports", help="where the pack folder goes (default reports/)")
    p.add_argument("--organisation", default="", help="shown in the report's title")
    p.add_argument("--sign-key", help="Ed25519 private key (PEM) to sign the manifest with")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("verify", help="check an evidence pack against its manifest; exit 0 intact, 1 not",
                       description="Check an evidence pack against its manifest (and signature). "
                                   "Example: vaultlab verify reports/soc2-2026-10 --public-key pack.pub")
    p.add_argument("pack", metavar="PACK")
    p.add_argument("--public-key", help="Ed25519 public key (PEM) that must have signed the manifest")
    p.set_defaults(func=cmd_verify)
