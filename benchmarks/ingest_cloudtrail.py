"""CloudTrail ingest throughput: `vaultlab ingest` against bare DuckDB `read_json` over the same files.

    python benchmarks/ingest_cloudtrail.py                   # 200k records (a quick look)
    python benchmarks/ingest_cloudtrail.py --records 1000000 # the issue's size
    python benchmarks/ingest_cloudtrail.py --no-select-star  # the explicit-columns baseline only

It generates a month of CloudTrail with `vaultlab synth --source cloudtrail` (gzipped delivery
files of 5,000 records in S3's layout, kept in benchmarks/work/ for reuse), then, each in a
fresh process so that peak RSS is its own:

* bare: `create table t as select unnest(Records, recursive := true) from read_json(GLOB,
  columns={'Records': 'STRUCT(...)[]'}, maximum_object_size=...)` into a DuckDB file, with
  explicit columns for the fields vaultlab reads (eventVersion, eventTime, eventSource,
  eventName, eventType, eventID, awsRegion, sourceIPAddress, userAgent, errorCode,
  errorMessage, recipientAccountId, requestID, userIdentity{...}, requestParameters{...},
  responseElements as JSON, additionalEventData, resources): one run over every file, DuckDB's
  own gzip. `--select-star` adds the old baseline (`sample_size=-1`, every field), labelled;
* vaultlab: `vaultlab.ingest()` of the folder above AWSLogs/ into a fresh warehouse, every
  record accounted for (a ledger row, SHA-256 and a transaction per file).

It prints records/s for both, their ratio (target >= 0.5) and peak RSS. On DuckDB 2.0.1
explicit columns over `{"Records": [...]}` documents measured ~2x slower than the inferred
select-* schema (the opposite of JSON lines), so the ratio is also given against whichever
baseline was faster in the run, and that is the one to quote.
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

RECORD = ("STRUCT(eventVersion VARCHAR, eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, "
          "eventType VARCHAR, eventID VARCHAR, awsRegion VARCHAR, sourceIPAddress VARCHAR, userAgent VARCHAR, "
          "errorCode VARCHAR, errorMessage VARCHAR, recipientAccountId VARCHAR, requestID VARCHAR, "
          "userIdentity STRUCT(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, "
          "accessKeyId VARCHAR, userName VARCHAR, invokedBy VARCHAR, "
          "sessionContext STRUCT(sessionIssuer STRUCT(type VARCHAR, userName VARCHAR, arn VARCHAR))), "
          "requestParameters STRUCT(secretId VARCHAR, secretIdList VARCHAR[], name VARCHAR, resourceArn VARCHAR, "
          "keyId VARCHAR), responseElements JSON, "
          "additionalEventData STRUCT(SecretId VARCHAR, UserName VARCHAR), "
          "resources STRUCT(ARN VARCHAR, type VARCHAR)[])")
COLUMNS = "{'Records': '" + RECORD + "[]'}"

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, folder, db = sys.argv[1], sys.argv[2], Path(sys.argv[3])
for f in db.parent.glob(db.name + "*"):
    f.unlink()
start = time.perf_counter()
if mode.startswith("bare"):
    import duckdb
    con = duckdb.connect(str(db))
    if mode == "bare":
        con.execute("create table t as select unnest(Records, recursive := true) from read_json(?, columns="
                    + COLUMNS + ", maximum_object_size=1073741824)", [folder + "/AWSLogs/**/*.json.gz"])
    else:  # the old baseline: every field, its schema inferred from every record
        con.execute("create table t as select unnest(Records) as r from read_json(?, sample_size=-1, "
                    "maximum_object_size=1073741824)", [folder + "/AWSLogs/**/*.json.gz"])
    rows = con.execute("select count(*) from t").fetchall()[0][0]
    con.close()
    extra = {}
else:
    sys.path.insert(0, sys.argv[4])
    from vaultlab import Warehouse, ingest
    with Warehouse(db) as wh:
        results = [r for r in ingest(wh, [folder], progress=False) if not r.skipped]
    rows = sum(r.lines_read for r in results)
    extra = {"files": len(results), "events_created": sum(r.events_created for r in results),
             "quarantined": sum(r.quarantined for r in results)}
    assert all(r.lines_read == r.events_loaded + r.duplicates + r.quarantined for r in results)
seconds = time.perf_counter() - start
print(json.dumps({"rows": rows, "seconds": seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra}))
""".replace("COLUMNS", repr(COLUMNS))


def run(mode: str, folder: Path, work: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(folder), str(work / f"ct-{mode}.duckdb"), str(ROOT)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ensure_trail(records: int, work: Path) -> Path:
    folder = work / f"cloudtrail-{records}"
    if not (folder / "answers.json").exists():
        sys.path.insert(0, str(ROOT))
        from vaultlab.synth.cloudtrail import synthesize_cloudtrail

        start = time.perf_counter()
        answers = synthesize_cloudtrail(folder, records=records, seed=1)
        print(f"generated {answers['records']:,} records in {answers['files']} files "
              f"in {time.perf_counter() - start:.0f} s")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, nargs="+", default=[200_000])
    parser.add_argument("--select-star", action=argparse.BooleanOptionalAction, default=True,
                        help="also the old select-* baseline (default on; --no-select-star skips it)")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    import duckdb

    print(f"duckdb {duckdb.__version__}, python {sys.version.split()[0]}")
    for records in args.records:
        folder = ensure_trail(records, args.work)
        size_mb = sum(f.stat().st_size for f in folder.rglob("*.json.gz")) / 1e6
        bare = run("bare", folder, args.work)
        ours = run("vaultlab", folder, args.work)
        print(f"\n{records:,} CloudTrail records, {ours['files']} gzipped files, {size_mb:.0f} MB on disk")
        print(f"  bare read_json : {bare['rows'] / bare['seconds']:>10,.0f} records/s  {bare['seconds']:7.1f} s  "
              f"peak RSS {bare['peak_rss_mb']:6.0f} MB")
        print(f"  vaultlab ingest: {ours['rows'] / ours['seconds']:>10,.0f} records/s  {ours['seconds']:7.1f} s  "
              f"peak RSS {ours['peak_rss_mb']:6.0f} MB  ({ours['events_created']:,} events, "
              f"{ours['quarantined']} quarantined)")
        print(f"  ratio vaultlab/bare: {bare['seconds'] / ours['seconds']:.2f}  (target >= 0.5)")
        if args.select_star:
            old = run("bare-star", folder, args.work)
            print(f"  old select-* baseline: {old['seconds']:7.1f} s, ratio {old['seconds'] / ours['seconds']:.2f}")
            fastest = min(bare["seconds"], old["seconds"])
            print(f"  ratio against the faster baseline: {fastest / ours['seconds']:.2f}  (target >= 0.5)")
        for mode in ("bare", "bare-star", "vaultlab"):
            for f in args.work.glob(f"ct-{mode}.duckdb*"):
                f.unlink()


if __name__ == "__main__":
    main()
