"""`vaultlab synth` and `vaultlab demo`: sample data, and the whole flow over it."""

from __future__ import annotations

import sys
from pathlib import Path

from vaultlab.cli.common import count, day, print_table
from vaultlab.cli.ingest import report_results
from vaultlab.controls import output as check_output
from vaultlab.controls.catalog import framework_names
from vaultlab.controls.run import run_checks
from vaultlab.errors import VaultlabError
from vaultlab.evidence.pack import make_pack
from vaultlab.ingest import ingest
from vaultlab.period import parse_period
from vaultlab.queries.summary import describe
from vaultlab.snapshots.inventory import load_inventory
from vaultlab.snapshots.policies import load_policies
from vaultlab.synth.cloudtrail import synthesize_cloudtrail
from vaultlab.synth.samples import samples_dir
from vaultlab.synth.vault import synthesize
from vaultlab.warehouse import Warehouse

DEMO_PERIOD = "2026-10"
# the sample snapshots: inventory as of the month end, baseline approved 2026-09-01, current 2026-10-20
DEMO_SNAPSHOTS = (("baseline", True, "2026-09-01"), ("current", False, "2026-10-20"))


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


def _load_samples(db: Path, samples: Path) -> None:
    logs = sorted(str(p) for p in samples.glob("*.log*"))
    if not logs:
        raise VaultlabError(f"no sample logs in {samples}; run `vaultlab synth {samples}`")
    print(f"loading the sample audit logs from {samples} into a fresh warehouse {db}")
    with Warehouse(db) as wh:
        report_results(ingest(wh, logs))
        for name, (columns, rows) in describe(wh).items():
            print_table(name, columns, rows)
        print("\nloading the sample inventory and policies (approved 2026-09-01, current 2026-10-20)")
        month_end = parse_period(as_of="2026-10-31").end
        inventory = load_inventory(wh, [str(samples / "inventory.json")], as_of=month_end, default_store="vault")
        print(f"snapshot {inventory.snapshot_id}: {inventory.rows_loaded} secret(s) loaded")
        for folder, baseline, day in DEMO_SNAPSHOTS:
            snapshot_id, names = load_policies(wh, [str(samples / "policies" / folder)], baseline=baseline,
                                               as_of=parse_period(as_of=day).end)
            print(f"{'baseline' if baseline else 'snapshot'} {snapshot_id}: {len(names)} policies")


def cmd_demo(args) -> int:
    out = Path(args.out)
    db = out / "vaultlab.duckdb"
    out.mkdir(parents=True, exist_ok=True)
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    samples = samples_dir()
    _load_samples(db, samples)
    print()
    with Warehouse(db) as wh:
        run = run_checks(wh, "soc2", parse_period(DEMO_PERIOD))
    sys.stdout.write(check_output.render(run, "table"))
    print(f"\n`vaultlab check` exits {run.exit_code} here: the sample month has planted findings (see "
          f"{samples / 'answers.json'}).")
    print(f"\nrendering the evidence packs for {DEMO_PERIOD}:")
    for framework in framework_names():
        pack = make_pack(db, framework, DEMO_PERIOD, out, organisation="Example Corp (sample data)")
        print(f"  {framework:9s} {pack / 'report.html'}   (verify: vaultlab verify {pack})")
    print(f"next: vaultlab --db {db} check --framework hipaa --period {DEMO_PERIOD}")
    print(f"      vaultlab --db {db} sql --period {DEMO_PERIOD} \"select * from anomalies\"")
    return 0


def register(sub, options) -> None:
    p = sub.add_parser("synth", help="generate a realistic audit log (Vault or CloudTrail) with planted findings",
                       description="Write a synthetic month of audit logs with planted findings and their "
                                   "answers. Example: vaultlab synth samples/ --lines 20000 --seed 7")
    p.add_argument("out", metavar="DIR")
    p.add_argument("--source", choices=["vault", "cloudtrail"], default="vault",
                   help="vault: a file audit device log; cloudtrail: gzipped delivery files in S3's layout")
    p.add_argument("--lines", "--records", type=count(1), default=4000, help="audit records to write (default 4000)")
    p.add_argument("--seed", type=count(0), default=7, help="random seed (default 7)")
    p.add_argument("--start", type=day, default="2026-10-01", help="first day, YYYY-MM-DD (UTC)")
    p.add_argument("--days", type=count(1), default=31, help="days to cover (default 31)")
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("demo", help="load the sample data into a fresh warehouse and summarise it",
                       description="Sample data into a fresh warehouse, the SOC 2 checks, and the evidence packs "
                                   "of every framework. Example: vaultlab demo --out reports/demo")
    p.add_argument("--out", default="reports/demo", help="where the demo warehouse goes")
    p.set_defaults(func=cmd_demo)

