"""Spark against DuckDB on one machine: the same Vault log ingested and checked by both.

    python benchmarks/spark.py                  # 1M lines (a few minutes)
    python benchmarks/spark.py --lines 10000000 # the issue's 10M lines (~11 GB of disk, long)

For the log (generated once by `vaultlab synth`, kept in benchmarks/work/), each step runs in
a fresh process and is timed from outside, so every figure includes what a user waits for:

* DuckDB: `vaultlab ingest LOG` into a fresh warehouse, then `vaultlab check --framework soc2`;
* Spark `local[2]`: `vaultlab lake ingest LAKE LOG --engine spark` into a fresh lake, then
  `vaultlab check --lake LAKE --engine spark` when this checkout has it (the lake branch);
  the JVM's start (measured alone) is reported beside it and left out of the per-core rate.

DuckDB wins on one box: Spark pays for a JVM, Python workers, Arrow hand-overs and shuffles
that only pay back across machines. What the run is for is the per-core rate of the Spark
path, from which it prints the cluster sizing for 1 billion lines a month, with its
assumptions. Timings on a shared machine are noisy: rerun on a quiet one before quoting.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORES = 2  # local[2]; DuckDB uses every core of the machine (2 here)
MONTH_LINES = 1_000_000_000
EFFICIENCY = 0.7  # share of the single-machine per-core rate kept on a cluster (shuffles, stragglers, S3)

SPARK_START = """
import time; t = time.perf_counter()
from vaultlab.lake.spark_session import get_session
s = get_session("local[2]", settings={"spark.ui.enabled": "false"}); s.range(1).count(); s.stop()
print(time.perf_counter() - t)
"""


def vaultlab(*args: str, env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "vaultlab", *args], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "VAULTLAB_DEBUG": "1", **(env or {})})
    return time.perf_counter() - start, done


def ensure_log(lines: int, work: Path) -> Path:
    folder = work / f"synth-{lines}"
    log = folder / "vault_audit.log"
    if not log.exists():
        sys.path.insert(0, str(ROOT))
        from vaultlab.synth.vault import synthesize

        synthesize(folder, lines=lines, seed=1)
    return log


def must(step: str, done: subprocess.CompletedProcess, ok=(0,)) -> None:
    if done.returncode not in ok:
        raise SystemExit(f"{step} failed ({done.returncode}): {done.stderr.strip()[-500:]}")


def duckdb_run(log: Path, work: Path) -> dict:
    db = work / "spark-bench.duckdb"
    for old in work.glob(db.name + "*"):
        old.unlink()
    ingest_s, done = vaultlab("--db", str(db), "ingest", "--quiet", str(log))
    must("vaultlab ingest", done)
    folder = log.parent
    must("inventory load", vaultlab("--db", str(db), "inventory", "load", str(folder / "inventory.json"))[1])
    must("policies load", vaultlab("--db", str(db), "policies", "load", str(folder / "policies" / "baseline"),
                                   "--baseline")[1])
    check_s, done = vaultlab("--db", str(db), "check", "--framework", "soc2", "--period", "2026-10",
                             "--format", "json")
    must("vaultlab check", done, ok=(0, 1))
    return {"ingest": ingest_s, "check": check_s}


def spark_run(log: Path, work: Path) -> dict:
    lake = work / "spark-bench-lake"
    shutil.rmtree(lake, ignore_errors=True)
    start = subprocess.run([sys.executable, "-c", SPARK_START], capture_output=True, text=True,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    must("spark start", start)
    ingest_s, done = vaultlab("lake", "ingest", str(lake), str(log), "--engine", "spark", "--master", "local[2]")
    must("vaultlab lake ingest", done)
    has_check = "--lake" in vaultlab("check", "--help")[1].stdout
    check_s = None
    if has_check:
        check_s, done = vaultlab("check", "--lake", str(lake), "--engine", "spark", "--framework", "soc2",
                                 "--period", "2026-10", "--format", "json")
        must("vaultlab check --engine spark", done, ok=(0, 1))
    return {"start": float(start.stdout.strip().splitlines()[-1]), "ingest": ingest_s, "check": check_s}


def sizing(per_core: float, line_bytes: float) -> None:
    """The cluster for a billion lines a month, from the measured per-core rate."""
    core_hours = MONTH_LINES / (per_core * EFFICIENCY) / 3600
    raw_tb = MONTH_LINES * line_bytes / 1e12
    print(f"\nSizing for {MONTH_LINES:,} lines a month ({raw_tb:.1f} TB of raw JSON at {line_bytes:.0f} B/line):")
    print(f"  assumptions: the Spark per-core rate above, {EFFICIENCY:.0%} of it kept on a cluster "
          "(shuffles for duplicates and pairing, stragglers, S3 reads); plain JSON-lines files split every 64 MiB "
          "(a .gz file is one task: rotate before compressing, or keep files under ~1 GB); executors of 4 cores "
          "and 16 GB; throughput scales with cores; the duplicate and pairing joins shuffle the run's records and "
          "read three columns of the lake's events (hashes, event ids), which grows with the lake: ingest daily")
    print(f"  work: {core_hours:,.0f} core-hours a month = {core_hours / 30:,.1f} core-hours a day; "
          f"input splits: {raw_tb * 1e12 / (64 << 20):,.0f} a month; "
          f"spark.sql.shuffle.partitions ~ {max(200, int(raw_tb * 1e12 / 5 / (128 << 20))):,} for a month at once")
    for executors in (4, 16, 64):
        cores = executors * 4
        print(f"  {executors:>3} executors x 4 cores: a month in {core_hours / cores:6.1f} h, "
              f"a day's {MONTH_LINES // 30:,} lines in {core_hours / 30 / cores * 60:6.1f} min")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="log size (default 1M; the issue's is 10M)")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    log = ensure_log(args.lines, args.work)
    line_bytes = log.stat().st_size / args.lines
    print(f"{args.lines:,} lines ({log.stat().st_size / 1e9:.2f} GB); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (timings on a busy machine are noisy)")
    duck = duckdb_run(log, args.work)
    print(f"DuckDB: ingest {duck['ingest']:.1f} s, check {duck['check']:.1f} s", flush=True)
    spark = spark_run(log, args.work)
    rate = {"duckdb": args.lines / duck["ingest"], "spark": args.lines / max(spark["ingest"] - spark["start"], 1e-9)}
    print(f"\n{'engine':<22} {'ingest s':>9} {'lines/s':>10} {'lines/s/core':>13} {'check s':>8}")
    print(f"{'DuckDB':<22} {duck['ingest']:>9.1f} {rate['duckdb']:>10,.0f} "
          f"{rate['duckdb'] / CORES:>13,.0f} {duck['check']:>8.1f}")
    check = f"{spark['check']:>8.1f}" if spark["check"] is not None else "   (n/a)"
    print(f"{'Spark local[2]':<22} {spark['ingest']:>9.1f} {rate['spark']:>10,.0f} "
          f"{rate['spark'] / CORES:>13,.0f} {check}")
    print(f"  Spark's ingest includes {spark['start']:.1f} s of JVM start, left out of its lines/s"
          + ("" if spark["check"] is not None else "; `check --lake --engine spark` is not in this checkout"))
    sizing(rate["spark"] / CORES, line_bytes)
    shutil.rmtree(args.work / "spark-bench-lake", ignore_errors=True)


if __name__ == "__main__":
    main()
