"""Analytics speed: every view and one `check` per framework over 1M- and 10M-line warehouses.

    python benchmarks/analytics.py                   # 1M and 10M lines (reuses benchmarks/work/)
    python benchmarks/analytics.py --lines 1000000

For each size it builds a warehouse once (synthetic log with `vaultlab synth`, its inventory
and policies; kept in benchmarks/work/ for reuse), then, in a fresh process so that peak RSS
is its own, materialises every view for the synthetic month and runs `check` for SOC 2,
ISO 27001 and HIPAA, timing each. Targets (issue 3): all analytics of 1M lines <= 3 s; of
10M lines <= 30 s with peak RSS <= 2 GB.
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

from ingest import ensure_log  # noqa: E402  (same folder)

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from vaultlab import Warehouse
from vaultlab.controls.run import run_checks
from vaultlab.views import VIEWS
from vaultlab.period import parse_period
period = parse_period("2026-10")
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
        timings["check " + framework] = (time.perf_counter() - t, len(run.results))
    total = time.perf_counter() - start
print(json.dumps({"timings": timings, "views": views_total, "total": total,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def build(lines: int, work: Path) -> tuple[Path, float]:
    db = work / f"analytics-{lines}.duckdb"
    if db.exists():
        return db, 0.0
    from vaultlab import Warehouse, ingest
    from vaultlab.period import parse_period
    from vaultlab.snapshots.inventory import load_inventory
    from vaultlab.snapshots.policies import load_policies

    log = ensure_log(lines, work)
    start = time.perf_counter()
    with Warehouse(work / "building.duckdb") as wh:
        ingest(wh, [str(log)], progress=False)
        load_inventory(wh, [str(log.parent / "inventory.json")], as_of=parse_period(as_of="2026-10-31").end)
        load_policies(wh, [str(log.parent / "policies" / "baseline")], baseline=True,
                      as_of=parse_period(as_of="2026-09-01").end)
        load_policies(wh, [str(log.parent / "policies" / "current")], as_of=parse_period(as_of="2026-10-20").end)
    (work / "building.duckdb").rename(db)
    return db, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    for lines in args.lines:
        db, built = build(lines, args.work)
        out = subprocess.run([sys.executable, "-c", CHILD, str(db), str(ROOT)], capture_output=True, text=True,
                             check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"\n{lines:,} lines" + (f" (warehouse built in {built:.0f} s)" if built else ""))
        for name, (seconds, n) in result["timings"].items():
            print(f"  {name:18s} {seconds:7.2f} s  {n:>8,} rows")
        print(f"  all views {result['views']:.2f} s; views + 3 checks {result['total']:.2f} s; "
              f"peak RSS {result['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
