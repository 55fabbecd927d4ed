"""Ingest throughput and memory: `vaultlab ingest` against bare DuckDB `read_json`.

    python benchmarks/ingest.py                 # 1M and 10M lines (10M needs ~11 GB of disk)
    python benchmarks/ingest.py --lines 200000  # a quick look

For each size it generates a synthetic Vault audit log with `vaultlab synth` (kept in
benchmarks/work/ for reuse), then, each in a fresh process so that peak RSS is its own:

* bare: `create table t as select * from read_json(F, format='newline_delimited',
  sample_size=-1)` into a DuckDB file. sample_size=-1 because Vault records vary in shape
  and read_json's default sample fails on them ("unknown key");
* vaultlab: `vaultlab.ingest()` into a fresh warehouse, every line accounted for.

It prints lines/s for both, their ratio (target >= 0.5 at 1M lines) and peak RSS
(targets <= 1 GB at 1M lines, <= 2 GB at 10M).
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

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, log, db = sys.argv[1], sys.argv[2], Path(sys.argv[3])
for f in db.parent.glob(db.name + "*"):
    f.unlink()
start = time.perf_counter()
if mode == "bare":
    import duckdb
    con = duckdb.connect(str(db))
    con.execute("create table t as select * from read_json(?, format='newline_delimited', sample_size=-1)", [log])
    rows = con.execute("select count(*) from t").fetchall()[0][0]
    con.close()
    extra = {}
else:
    sys.path.insert(0, sys.argv[4])
    from vaultlab import Warehouse, ingest
    with Warehouse(db) as wh:
        [r] = ingest(wh, [log], progress=False)
    rows = r.lines_read
    extra = {"events_loaded": r.events_loaded, "duplicates": r.duplicates, "quarantined": r.quarantined,
             "events_created": r.events_created}
    assert r.lines_read == r.events_loaded + r.duplicates + r.quarantined
seconds = time.perf_counter() - start
print(json.dumps({"rows": rows, "seconds": seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra}))
"""


def run(mode: str, log: Path, work: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(log), str(work / f"{mode}.duckdb"), str(ROOT)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # DuckDB may print progress first


def ensure_log(lines: int, work: Path) -> Path:
    folder = work / f"synth-{lines}"
    log = folder / "vault_audit.log"
    if not log.exists():
        sys.path.insert(0, str(ROOT))
        from vaultlab.synth.vault import synthesize

        start = time.perf_counter()
        synthesize(folder, lines=lines, seed=1)
        print(f"generated {lines:,} lines ({log.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - start:.0f} s")
    return log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--skip-bare-over", type=int, default=None,
                        help="do not run bare read_json above this many lines")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    import duckdb

    print(f"duckdb {duckdb.__version__}, python {sys.version.split()[0]}")
    for lines in args.lines:
        log = ensure_log(lines, args.work)
        size_gb = log.stat().st_size / 1e9
        bare = None if args.skip_bare_over and lines > args.skip_bare_over else run("bare", log, args.work)
        ours = run("vaultlab", log, args.work)
        print(f"\n{lines:,} lines, {size_gb:.2f} GB")
        if bare:
            print(f"  bare read_json : {bare['rows'] / bare['seconds']:>10,.0f} lines/s  {bare['seconds']:7.1f} s  "
                  f"peak RSS {bare['peak_rss_mb']:6.0f} MB")
        print(f"  vaultlab ingest: {ours['rows'] / ours['seconds']:>10,.0f} lines/s  {ours['seconds']:7.1f} s  "
              f"peak RSS {ours['peak_rss_mb']:6.0f} MB  ({ours['events_created']:,} events, "
              f"{ours['quarantined']} quarantined)")
        if bare:
            print(f"  ratio vaultlab/bare: {bare['seconds'] / ours['seconds']:.2f}")
        for mode in ("bare", "vaultlab"):  # its own warehouses only: analytics.py keeps others here
            for f in args.work.glob(f"{mode}.duckdb*"):
                f.unlink()


if __name__ == "__main__":
    main()
