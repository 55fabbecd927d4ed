"""Vault ingest throughput, memory and scaling: `vaultlab ingest` against bare DuckDB `read_json`.

    python benchmarks/ingest.py                       # quick: 200k lines, 310k for day 31, 2,000 small files
    python benchmarks/ingest.py --lines 1000000       # the issue's 1M rows (plain and gzip)
    python benchmarks/ingest.py --lines 1000000 10000000 --small-files 100000 --small-lines 1000000
    python benchmarks/ingest.py --profile             # also: where vaultlab's time goes

Every row is measured in a fresh process (its peak RSS is its own, from getrusage), against a
baseline measured in the same run, so ratios hold on a loaded machine even when times do not.
The baseline is `create table t as select * from read_json(F, format='newline_delimited',
columns={...})` with explicit columns for the fields vaultlab reads (time, type, error,
auth{entity_id, display_name, policies, token_ttl, accessor}, request{id, operation, path,
remote_address, mount_type}, response{mount_type}) into a DuckDB file. `--select-star` adds
the old baseline (`sample_size=-1`, every field), labelled as such.

Rows:
* N lines, plain and gzip: bare vs vaultlab (target ratio >= 0.5; peak RSS <= 1 GB at 1M, 2 GB at 10M);
* day 31: a 31-day log split into day files; day 1 into an empty warehouse vs day 31 into one
  holding days 1-30 (target <= 1.5x);
* small files: the same lines as one file and as many small files (target <= 2x).

Logs are generated with `vaultlab synth` (seed 1) into benchmarks/work/ and kept for reuse.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

COLUMNS = ("{time: 'VARCHAR', type: 'VARCHAR', error: 'VARCHAR', "
           "auth: 'STRUCT(entity_id VARCHAR, display_name VARCHAR, policies VARCHAR[], token_ttl BIGINT, "
           "accessor VARCHAR)', "
           "request: 'STRUCT(id VARCHAR, operation VARCHAR, path VARCHAR, remote_address VARCHAR, "
           "mount_type VARCHAR)', "
           "response: 'STRUCT(mount_type VARCHAR)'}")

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, db, root, *logs = sys.argv[1:]
db = Path(db)
if mode != "vaultlab-more":
    for f in db.parent.glob(db.name + "*"):
        f.unlink()
start = time.perf_counter()
if mode.startswith("bare"):
    import duckdb
    con = duckdb.connect(str(db))
    if mode == "bare":
        con.execute("create table t as select * from read_json(?, format='newline_delimited', columns=" + COLUMNS
                    + ")", [logs])
    else:  # the old baseline: every field, its schema inferred from the whole file
        con.execute("create table t as select * from read_json(?, format='newline_delimited', sample_size=-1)", [logs])
    rows = con.execute("select count(*) from t").fetchall()[0][0]
    con.close()
    extra = {}
else:
    sys.path.insert(0, root)
    from vaultlab import Warehouse, ingest
    with Warehouse(db) as wh:
        results = [r for r in ingest(wh, logs, progress=False) if not r.skipped]
    rows = sum(r.lines_read for r in results)
    extra = {"files": len(results), "events_created": sum(r.events_created for r in results),
             "duplicates": sum(r.duplicates for r in results), "quarantined": sum(r.quarantined for r in results)}
    assert all(r.lines_read == r.events_loaded + r.duplicates + r.quarantined for r in results)
seconds = time.perf_counter() - start
print(json.dumps({"rows": rows, "seconds": seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra}))
""".replace("COLUMNS", repr(COLUMNS))


def run(mode: str, logs: list[Path], db: Path) -> dict:
    """One measurement in a fresh process; `vaultlab-more` loads into the warehouse `db` as it is."""
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(db), str(ROOT), *map(str, logs)],
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # DuckDB may print progress first


def ensure_log(lines: int, work: Path, days: int = 31) -> Path:
    folder = work / (f"synth-{lines}" if days == 31 else f"synth-{lines}-{days}d")
    log = folder / "vault_audit.log"
    if not log.exists():
        sys.path.insert(0, str(ROOT))
        from vaultlab.synth.vault import synthesize

        start = time.perf_counter()
        synthesize(folder, lines=lines, seed=1, days=days)
        print(f"generated {lines:,} lines ({log.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - start:.0f} s")
    return log


def ensure_gzip(log: Path) -> Path:
    packed = log.with_suffix(".log.gz")
    if not packed.exists():
        with open(log, "rb") as src, gzip.open(packed, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    return packed


def ensure_days(log: Path) -> list[Path]:
    """The log split into one file per UTC day (by each line's `time`), in day order."""
    folder = log.parent / "days"
    if not folder.exists():
        folder.mkdir()
        handles: dict[str, object] = {}
        with open(log, "rb") as fh:
            for line in fh:
                at = line.find(b'"time":"')
                day = line[at + 8:at + 18].decode() if at >= 0 else "undated"
                if day not in handles:
                    handles[day] = open(folder / f"vault-{day}.log", "wb")
                handles[day].write(line)
        for handle in handles.values():
            handle.close()
    return sorted(folder.glob("vault-*.log"))


def ensure_small_files(log: Path, files: int) -> Path:
    """The log cut into `files` pieces of consecutive lines (a shipper's per-minute files)."""
    folder = log.parent / f"small-{files}"
    if not folder.exists():
        folder.mkdir()
        lines = log.read_bytes().splitlines(keepends=True)
        per = -(-len(lines) // files)
        for number in range(files):
            piece = lines[number * per:(number + 1) * per]
            if piece:
                (folder / f"{number // 1000:03d}").mkdir(exist_ok=True)
                (folder / f"{number // 1000:03d}" / f"audit-{number:06d}.log").write_bytes(b"".join(piece))
    return folder


def profile(log: Path, work: Path) -> None:
    """Where vaultlab's time goes for one file: cumulative seconds of the ingest stages."""
    import cProfile
    import pstats

    sys.path.insert(0, str(ROOT))
    from vaultlab import Warehouse, ingest

    db = work / "profile.duckdb"
    for f in work.glob("profile.duckdb*"):
        f.unlink()
    prof = cProfile.Profile()
    with Warehouse(db) as wh:
        prof.enable()
        ingest(wh, [str(log)], progress=False)
        prof.disable()
    stats = pstats.Stats(prof).stats
    wanted = {"iter_line_batches": "reader (bytes to numbered lines)",
              "_stage_batch": "staging SQL (parse, checks, hash)",
              "_load_segment": "segments (quarantine, duplicates, pairing, insert)",
              "file_digest": "SHA-256 before loading"}
    print(f"\nprofile of one ingest of {log.name}:")
    for (_, _, name), (_, _, _, cumulative, _) in stats.items():
        if name in wanted:
            print(f"  {wanted[name]:<55} {cumulative:7.2f} s")
    total = max(entry[3] for entry in stats.values())
    print(f"  {'total':<55} {total:7.2f} s")
    for f in work.glob("profile.duckdb*"):
        f.unlink()


class Table:
    def __init__(self):
        self.rows: list[tuple] = []

    def add(self, name: str, bare: dict | None, ours: dict, target: str = "") -> None:
        ratio = f"{bare['seconds'] / ours['seconds']:.2f}" if bare else ""
        self.rows.append((name, f"{bare['seconds']:.2f} s" if bare else "", f"{ours['seconds']:.2f} s",
                          f"{ours['rows'] / ours['seconds']:,.0f}", ratio,
                          f"{ours['peak_rss_mb']:.0f} MB", target))
        print("  " + " | ".join(str(c) for c in self.rows[-1] if c), flush=True)  # as it comes: runs are long

    def print(self) -> None:
        head = ("row", "baseline", "vaultlab", "lines/s", "ratio", "peak RSS", "target")
        widths = [max(len(str(r[i])) for r in [head, *self.rows]) for i in range(len(head))]
        for row in [head, tuple("-" * w for w in widths), *self.rows]:
            print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="+", default=[200_000], help="plain/gzip row sizes (0: skip)")
    parser.add_argument("--day-lines", type=int, default=10_000, help="lines a day in the day-31 row (0: skip)")
    parser.add_argument("--small-files", type=int, default=2_000, help="files in the small-files row (0: skip)")
    parser.add_argument("--small-lines", type=int, default=20_000, help="lines in all the small files together")
    parser.add_argument("--select-star", action="store_true", help="also the old select-* baseline")
    parser.add_argument("--profile", action="store_true", help="profile vaultlab on the first size")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    import duckdb

    print(f"duckdb {duckdb.__version__}, python {sys.version.split()[0]}")
    table, bare_db, ours_db = Table(), args.work / "bare.duckdb", args.work / "vaultlab.duckdb"
    for lines in [n for n in args.lines if n > 0]:
        log = ensure_log(lines, args.work)
        for label, path in (("plain", log), ("gzip", ensure_gzip(log))):
            bare = run("bare", [path], bare_db)
            table.add(f"{lines:,} lines, {label} ({path.stat().st_size / 1e9:.2f} GB)", bare,
                      run("vaultlab", [path], ours_db), ">= 0.5")
            if args.select_star and label == "plain":
                old = run("bare-star", [path], bare_db)
                table.add(f"{lines:,} lines, plain, vs old select-* baseline", old, table_last(table), "")
    if args.day_lines:
        days = ensure_days(ensure_log(args.day_lines * 31, args.work))
        day1 = run("vaultlab", days[:1], ours_db)
        table.add("day 1 into an empty warehouse", None, day1)
        run("vaultlab", days[:30], ours_db)
        day31 = run("vaultlab-more", days[30:31], ours_db)
        table.add(f"day 31 into days 1-30: {day31['seconds'] / day1['seconds']:.2f} x day 1", None, day31,
                  "<= 1.5 x day 1")
    if args.small_files:
        log = ensure_log(args.small_lines, args.work)
        one = run("vaultlab", [log], ours_db)
        table.add(f"{args.small_lines:,} lines in one file", run("bare", [log], bare_db), one)
        many = run("vaultlab", [ensure_small_files(log, args.small_files)], ours_db)
        table.add(f"the same in {args.small_files:,} files: {many['seconds'] / one['seconds']:.2f} x one file",
                  None, many, "<= 2 x one file")
    for db in (bare_db, ours_db):  # its own warehouses only: analytics.py keeps others here
        for f in args.work.glob(db.name + "*"):
            f.unlink()
    print()
    table.print()
    if args.profile and args.lines[0] > 0:
        profile(ensure_log(args.lines[0], args.work), args.work)


def table_last(table: Table) -> dict:
    """The vaultlab figures of the row just added, for a second baseline."""
    name, _, seconds, rate, _, rss, _ = table.rows[-1]
    ours = float(seconds.split()[0])
    return {"seconds": ours, "rows": float(rate.replace(",", "")) * ours, "peak_rss_mb": float(rss.split()[0])}


if __name__ == "__main__":
    main()
