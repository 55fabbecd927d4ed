"""`vaultlab report` and `vaultlab verify`: evidence packs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vaultlab import output
from vaultlab.cli.common import PERIOD_HELP, count
from vaultlab.cli.lake import lake_option
from vaultlab.controls.catalog import framework_names
from vaultlab.errors import VaultlabError
from vaultlab.evidence.chain import verify_chain
from vaultlab.evidence.manifest import verify_pack
from vaultlab.evidence.pack import make_pack
from vaultlab.evidence.pdf import PAPER
from vaultlab.evidence.samples import describe_samples
from vaultlab.warehouse import default_db_path


def cmd_report(args) -> int:
    """Exit 0 when a pack was written, findings or not; with --fail-on, 1 when the pack holds them."""
    if args.seed is not None and not args.sample:
        raise VaultlabError("--seed is the seed of --sample N; give --sample too")
    lake, engine = lake_option(args)  # --lake: read the lake (read-only: the run is recorded in the pack only)
    db = "" if lake else (args.db or str(default_db_path()))
    pack = make_pack(db, args.framework, args.period, args.out, organisation=args.organisation,
                     config=args.config, exceptions=args.accepted_risks, sign_key=args.sign_key, wait=args.wait,
                     partial=args.partial, sample=args.sample or 0, seed=args.seed, pdf=args.pdf,
                     paper=args.paper, lake=lake or "", engine=engine)
    printed = " with report.pdf" if args.pdf else ""
    print(f"{args.framework} {args.period}: {pack}{printed} (and {pack}.zip)")
    if args.sample:
        print(describe_samples(pack))
    failing = failing_requirements(pack, args.fail_on)
    if failing:
        print(f"vaultlab: {len(failing)} requirement(s) {' or '.join(sorted(set(failing.values())))} "
              f"(--fail-on {','.join(args.fail_on)}): {', '.join(sorted(failing))}", file=sys.stderr)
        return 1
    return 0


FAIL_ON = {"alarm": {"alarm", "error"}, "insufficient": {"not_evaluated", "incomplete"}}


def fail_on(text: str) -> list[str]:
    """--fail-on alarm|insufficient (or both, comma-separated)."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in FAIL_ON]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"{text!r}: give alarm, insufficient, or alarm,insufficient")
    return names


def failing_requirements(pack: Path, names: list[str] | None) -> dict[str, str]:
    """Requirement id -> status, for the requirements of the pack's controls.json that --fail-on names."""
    if not names:
        return {}
    statuses = set().union(*(FAIL_ON[n] for n in names))
    document = json.loads((pack / "controls.json").read_text(encoding="utf-8"))
    return {r["id"]: r["status"] for r in document["requirements"] if r["status"] in statuses}


def cmd_verify(args) -> int:
    if (args.pack is None) == (args.chain is None):
        raise VaultlabError("give a PACK or --chain DIR (one of them)")
    if args.chain is not None:
        return _verify_chain(args)
    if args.format != "table":
        raise VaultlabError("--format json is for --chain DIR")
    result = verify_pack(args.pack, public_key=args.public_key)
    for problem in result.problems():
        print(output.visible(problem))  # names come from the pack: never raw to the terminal
    if result.intact:
        signed = ", signature valid" if result.signature == "valid" else ""
        print(f"{args.pack}: intact{signed}")
        return 0
    print(f"{args.pack}: NOT intact ({len(result.problems())} problem(s))", file=sys.stderr)
    return 1


def _verify_chain(args) -> int:
    """One line per finding and a summary line; exit 0 only when every chain in DIR is whole."""
    report = verify_chain(args.chain, public_key=args.public_key)
    summary = (f"{args.chain}: {report.packs} pack(s) in {report.chains} chain(s), "
               + ("whole" if report.whole else f"NOT whole ({len(report.findings)} finding(s))"))
    if args.format == "json":
        print(json.dumps({"folder": str(args.chain), "packs": report.packs, "chains": report.chains,
                          "whole": report.whole, "findings": [{"kind": k, "pack": p, "message": m}
                                                              for k, p, m in report.findings]}, indent=2))
        return 0 if report.whole else 1
    for kind, pack, message in report.findings:
        print(output.visible(f"{kind}: {pack}: {message}"))  # names come from the packs
    print(output.visible(summary), file=sys.stdout if report.whole else sys.stderr)
    return 0 if report.whole else 1


def register(sub, options) -> None:
    p = sub.add_parser("report", parents=[options.db, options.configured, options.accepted_risks, options.wait,
                                          options.lake],
                       help="render a framework's evidence pack for a period; exit 0 when written "
                            "(--fail-on: 1 on findings)",
                       description="Render the evidence pack of a framework for a period, from the warehouse "
                                   "or (--lake) from a lake read by DuckDB or Spark. "
                                   "Example: vaultlab report --framework soc2 --period last-month --out reports/ --pdf")
    p.add_argument("--framework", required=True, choices=framework_names())
    p.add_argument("--period", required=True, help=PERIOD_HELP)
    p.add_argument("--fail-on", type=fail_on, metavar="alarm|insufficient",
                   help="exit 1 when a requirement of the written pack is alarm/error (alarm) or "
                        "not_evaluated/incomplete (insufficient); both: alarm,insufficient")
    p.add_argument("--out", default="reports", help="where the pack folder goes (default reports/)")
    p.add_argument("--organisation", default="", help="shown in the report's title")
    p.add_argument("--sign-key", help="Ed25519 private key (PEM) to sign the manifest with")
    p.add_argument("--partial", action="store_true",
                   help="render a period that has not ended yet (results so far, marked PARTIAL on every section)")
    p.add_argument("--sample", type=count(1), metavar="N",
                   help="draw N rows at random from each population of the framework into samples/ "
                        "(the rows `vaultlab sample` draws with the same seed)")
    p.add_argument("--seed", help="the seed of --sample, an integer or any text (default: one derived from "
                                  "the framework and the period, printed)")
    p.add_argument("--pdf", action="store_true",
                   help="also print the report to report.pdf with headless Chromium (found on PATH as chromium, "
                        "chromium-browser or google-chrome, or named by VAULTLAB_CHROMIUM)")
    p.add_argument("--paper", choices=sorted(PAPER), default="a4", help="the PDF's page size (default a4)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("verify", help="check an evidence pack against its manifest, or a chain of packs; "
                                      "exit 0 intact, 1 not",
                       description="Check an evidence pack against its manifest (and signature), or with "
                                   "--chain every pack of a folder and the links between them. "
                                   "Example: vaultlab verify reports/soc2-2026-10 --public-key pack.pub; "
                                   "vaultlab verify --chain reports/")
    p.add_argument("pack", metavar="PACK", nargs="?")
    p.add_argument("--chain", metavar="DIR", help="check every pack in DIR and that each records its previous one")
    p.add_argument("--format", choices=["table", "json"], default="table", help="output of --chain")
    p.add_argument("--public-key", help="Ed25519 public key (PEM) that must have signed the manifest")
    p.set_defaults(func=cmd_verify)
