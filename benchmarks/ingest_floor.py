"""How far Vault ingest can fall: vaultlab's pipeline cut after each step, each timed against bare DuckDB.

    python benchmarks/ingest_floor.py                      # the 1M-line log (made by ingest.py if absent)
    python benchmarks/ingest_floor.py --lines 200000 --repeat 3

Issue 15 asks for ingest at >= 0.5 x bare `read_json` with explicit columns. This script shows
which of the guarantees already spend that budget. Each row runs in a fresh process over the same
file and adds one step to the row above it; the ratio is bare / that row (>= 0.5 is the target):

* bare        `read_json` with explicit columns into a table of a DuckDB file (benchmarks/common.py):
              the issue's list of fields, the baseline every ratio is taken against;
* bare, full  the same with the whole schema vaultlab's one parse reads (vault_records.sql: tokens,
              accessors, namespace, headers, metadata, request and response data as JSON): what a
              bare parse of everything the events need costs;
* sha256      the file's SHA-256 alone (the ledger's digest: a file loaded before is skipped by it);
* reader      bytes to numbered lines, as Arrow batches, SHA-256 included (vaultlab/ingest/reader.py);
* parse       + the one `json_transform` of each record (the schema of vault_records.sql), its time, type
              and request id kept in a table (a never-committed table of the file, as ingest stages);
* checks      + each record's quarantine reason (invalid UTF-8, not JSON, no type, bad time, ...);
* identity    + the record's layout-independent identity (duplicates across files and re-shipped logs);
* staging     + every event column (actor, category, resource, HMACs and keys of the data, ...);
* ingest      `vaultlab.ingest()`: + quarantine, duplicate search, request/response pairing, the
              events written, the ledger row, one transaction.

The SQL steps are the real records SQL with only the columns of that step selected: DuckDB then
computes only what those columns need. Seconds are the best of --repeat runs; CPU seconds count
every thread of the process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from common import WORK, baseline, ensure_log, parse_schemas, row, write_results  # noqa: E402  (same folder)

STEPS = ("sha256", "reader", "parse", "checks", "identity", "staging", "ingest")

CHILD = r"""
import hashlib, json, os, re, resource, sys, time
from pathlib import Path
step, root, log, db, schema = sys.argv[1], sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
sys.path.insert(0, root)
from vaultlab import Warehouse, ingest
from vaultlab.ingest import reader, streams
from vaultlab.ingest.sources import SOURCES
for f in db.parent.glob(db.name + "*"):
    f.unlink()
SELECT = {
    "parse": ("select line, e.time, e.type, e.request.id from (select line, try(json_transform(decode(raw), '"
              + schema + "')) as e from batch)"),
    "checks": "select line, reason from (RECORDS)",
    "identity": "select line, reason, rec_hash from (RECORDS)",
    "staging": "select *, 1::integer as file_id from (RECORDS)",
}
start, cpu, rows = time.perf_counter(), time.process_time(), 0
if step == "sha256":
    with open(log, "rb") as fh:
        hashlib.file_digest(fh, "sha256").hexdigest()
elif step == "ingest":
    with Warehouse(db) as wh:
        [result] = ingest(wh, [str(log)], progress=False)
    rows = result.lines_read
else:
    sql = SELECT.get(step, "").replace("RECORDS", SOURCES["vault"].RECORDS_SQL)
    with Warehouse(db) as wh, wh.transaction() as cur:
        stream, _ = streams.open_hashed(log)
        with stream:
            batches = reader.record_batches(stream, streams.head(log), reader.Oversized(), reader.MAX_LINE_BYTES)
            for batch, _ in reader.statement_batches(batches, 500_000):
                rows += batch.num_rows
                if sql:
                    verb = "insert into vl_stage " if rows > batch.num_rows else "create table main.vl_stage as "
                    cur.execute(verb + sql, {"max_line_bytes": reader.MAX_LINE_BYTES} if "$max" in sql else {})
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
for f in db.parent.glob(db.name + "*"):
    f.unlink()
"""


def full_schema_columns() -> str:
    """The schema vault_records.sql hands json_transform, as `read_json` columns."""
    spec = parse_schemas("vault")["txt"]

    def sql_type(kind) -> str:
        if isinstance(kind, dict):
            return "STRUCT(" + ", ".join(f'"{name}" {sql_type(inner)}' for name, inner in kind.items()) + ")"
        return sql_type(kind[0]) + "[]" if isinstance(kind, list) else kind

    return "{" + ", ".join(f"'{name}': '{sql_type(kind)}'" for name, kind in spec.items()) + "}"


def measure(step: str, log: Path, work: Path) -> dict:
    schema = json.dumps(parse_schemas("vault")["txt"])
    out = subprocess.run([sys.executable, "-c", CHILD, step, str(ROOT), str(log), str(work / "floor.duckdb"), schema],
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{step} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    return min(runs, key=lambda r: r["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="lines of the synthetic Vault log")
    parser.add_argument("--repeat", type=int, default=2, help="runs per row; the fastest is kept")
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args()
    log = ensure_log(args.lines, args.work)
    measure("reader", log, args.work)  # the file into the page cache, so that no row pays for the disk
    bare = best([baseline(log, args.work) for _ in range(args.repeat)])
    print(f"{args.lines:,} lines ({log.stat().st_size / 1e9:.2f} GB); bare read_json with explicit columns: "
          f"{bare['seconds']:.2f} s ({bare['cpu']:.2f} s CPU)")
    print(f"| {'step':<10} | {'seconds':>7} | {'CPU s':>6} | {'x bare':>6} | {'ratio':>5} | {'peak RSS':>8} |")
    print(f"|{'-' * 12}|{'-' * 9}|{'-' * 8}|{'-' * 8}|{'-' * 7}|{'-' * 10}|")
    rows = []
    full = best([baseline(log, args.work, full_schema_columns()) for _ in range(args.repeat)])
    for step in ("bare, full", *STEPS):
        ours = full if step == "bare, full" else best([measure(step, log, args.work) for _ in range(args.repeat)])
        ratio = bare["seconds"] / ours["seconds"]
        print(f"| {step:<10} | {ours['seconds']:7.2f} | {ours['cpu']:6.2f} | {ours['seconds'] / bare['seconds']:6.2f} "
              f"| {ratio:5.2f} | {ours['peak_rss_mb']:5.0f} MB |", flush=True)
        rows.append(row(f"ingest up to {step}", f"{args.lines:,} lines", ours["seconds"],
                        baseline_seconds=bare["seconds"], target="ratio >= 0.5" if step == "ingest" else None,
                        met=ratio >= 0.5 if step == "ingest" else None, peak_rss_mb=ours["peak_rss_mb"],
                        note=f"CPU {ours['cpu']:.2f} s"))
    print(f"results: {write_results('ingest_floor', rows, args.work)}")


if __name__ == "__main__":
    main()
