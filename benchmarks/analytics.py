"""Analytics speed: every view, and `check` per framework, against bare `read_json` of the same log.

    python benchmarks/analytics.py                          # 1M lines (reuses benchmarks/work/)
    python benchmarks/analytics.py --lines 1000000 10000000
    python benchmarks/analytics.py --direct                 # also each check computing its views itself

For each size it builds a warehouse once (synthetic log with `vaultlab synth`, its inventory and
policies; kept in benchmarks/work/ for reuse), then, in the same run:

* baseline: `read_json` of the log with explicit columns, into a DuckDB file (benchmarks/common.py);
* in a fresh process, so that peak RSS is its own: every view for the synthetic month, then
  `run_checks` per framework (the views a run reads computed once for it);
* `vaultlab check --framework F --period 2026-10` per framework, as a user runs it (a new process:
  start-up, opening the warehouse, recording the run and printing included).

Targets (issue 15, item 5): `check` for one framework within the baseline's time; (issue 3) the views
of 1M lines within 3 s, of 10M lines within 30 s with peak RSS <= 2 GB. Rows go to
benchmarks/work/results-analytics.json for summary.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from common import WORK, baseline, ensure_log, row, write_results  # noqa: E402  (same folder)

FRAMEWORKS = ("soc2", "iso27001", "hipaa")

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from vaultlab import Warehouse
from vaultlab.controls.run import run_checks
from vaultlab.views import VIEWS
from vaultlab.period import parse_period
period = parse_period("2026-10")
direct = sys.argv[3] == "direct"
timings = {}
with Warehouse(sys.argv[1]) as wh:
    start = time.perf_counter()
    for view in VIEWS:
        t = time.perf_counter()
        with wh.session(period) as cur:
            n = cur.execute(f"select count(*) from (select * from {view} order by all)").fetchall()[0][0]
        timings[view] = (time.perf_counter() - t, n)
    views_total = time.perf_counter() - start
    for framework in ("soc2", "iso27001", "hipaa"):
        t = time.perf_counter()
        run = run_checks(wh, framework, period, record=False)
        timings["run_checks " + framework] = (time.perf_counter() - t, len(run.results))
        if direct:
            t = time.perf_counter()
            other = run_checks(wh, framework, period, record=False, views_once=False)
            timings["run_checks " + framework + " (views per check)"] = (time.perf_counter() - t, len(other.results))
    total = time.perf_counter() - start
print(json.dumps({"timings": timings, "views": views_total, "total": total,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def build(lines: int, work: Path = WORK) -> tuple[Path, float]:
    """The warehouse of the `lines`-line synthetic month (log, inventory, policies), built once."""
    db = work / f"analytics-{lines}.duckdb"
    if db.exists():
        return db, 0.0
    from vaultlab import Warehouse, ingest
    from vaultlab.period import parse_period
    from vaultlab.snapshots.inventory import load_inventory
    from vaultlab.snapshots.policies import load_policies

    log = ensure_log(lines, work)
    start = time.perf_counter()
    for f in work.glob("building.duckdb*"):
        f.unlink()
    # 2GB: the ingest of 2M+ lines ran out of the default 512MB (issue 15); the warehouse is the same
    with Warehouse(work / "building.duckdb", memory_limit="2GB") as wh:
        ingest(wh, [str(log)], progress=False)
        load_inventory(wh, [str(log.parent / "inventory.json")], as_of=parse_period(as_of="2026-10-31").end)
        load_policies(wh, [str(log.parent / "policies" / "baseline")], baseline=True,
                      as_of=parse_period(as_of="2026-09-01").end)
        load_policies(wh, [str(log.parent / "policies" / "current")], as_of=parse_period(as_of="2026-10-20").end)
    (work / "building.duckdb").rename(db)
    return db, time.perf_counter() - start


def check_command(db: Path, framework: str) -> float:
    """`vaultlab check` as a user runs it, in seconds (exit 1: the planted findings alarm)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(db), "check", "--framework", framework,
                           "--period", "2026-10", "--format", "json"], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"vaultlab check --framework {framework} failed ({done.returncode}): {done.stderr[-500:]}")
    return seconds


def measure(lines: int, work: Path, direct: bool) -> list[dict]:
    db, built = build(lines, work)
    size = f"{lines:,} lines"
    base = baseline(ensure_log(lines, work), work)
    out = subprocess.run([sys.executable, "-c", CHILD, str(db), str(ROOT), "direct" if direct else "once"],
                         capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    commands = {fw: check_command(db, fw) for fw in FRAMEWORKS}
    print(f"\n{size}" + (f" (warehouse built in {built:.0f} s)" if built else ""))
    print(f"  baseline read_json (explicit columns) {base['seconds']:7.2f} s  {base['rows']:>9,} rows")
    for name, (seconds, n) in result["timings"].items():
        print(f"  {name:38s} {seconds:7.2f} s  {n:>9,} rows")
    for fw, seconds in commands.items():
        ratio = seconds / base["seconds"]
        print(f"  {'vaultlab check --framework ' + fw:38s} {seconds:7.2f} s  {ratio:.2f} x baseline")
    print(f"  all views {result['views']:.2f} s; views + checks {result['total']:.2f} s; "
          f"peak RSS {result['peak_rss_mb']:.0f} MB")
    views_target = 3.0 if lines <= 1_000_000 else 30.0
    rows = [row("read_json, explicit columns (baseline)", size, base["seconds"], peak_rss_mb=base["peak_rss_mb"]),
            row("every view, once each", size, result["views"], target=f"<= {views_target:g} s",
                met=result["views"] <= views_target, peak_rss_mb=result["peak_rss_mb"])]
    rows += [row(f"vaultlab check --framework {fw}", size, seconds, baseline_seconds=base["seconds"],
                 target="<= 1.0 x baseline", met=seconds <= base["seconds"], note="a new process, run recorded")
             for fw, seconds in commands.items()]
    rows += [row(name.replace("run_checks", "run_checks()"), size, seconds, baseline_seconds=base["seconds"])
             for name, (seconds, _) in result["timings"].items() if name.startswith("run_checks")]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--direct", action="store_true",
                        help="also time each framework's checks computing the views they read themselves")
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = [r for lines in args.lines for r in measure(lines, args.work, args.direct)]
    print(f"results: {write_results('analytics', rows, args.work)}")


if __name__ == "__main__":
    main()
