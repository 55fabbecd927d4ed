"""GCP Cloud Audit Logs and Azure Key Vault AuditEvent ingest: `vaultlab ingest` against bare
DuckDB `read_json` over the same delivery files (issue 15 item 2).

    python benchmarks/ingest_gcp_azure.py                        # 200k records of each
    python benchmarks/ingest_gcp_azure.py --records 1000000      # more
    python benchmarks/ingest_gcp_azure.py --select-star          # also the old select-* baseline
    python benchmarks/ingest_gcp_azure.py --azure-layout records # Azure's pre-2018 {"records": [...]} blobs
    python benchmarks/ingest_gcp_azure.py --profile              # also: where vaultlab's time goes

The logs are generated here (synth_gcp_azure.py; `vaultlab synth` makes only Vault and
CloudTrail), one week in the layouts the real exports deliver, kept in benchmarks/work/:
GCP as a Cloud Storage sink writes it, JSON lines in an hourly file per audit log (activity,
data_access: 336 files for a week); Azure as diagnostic settings write it to a storage
account, an hourly PT1H.json append blob per vault (3 vaults: 504 files), JSON lines
(`--azure-layout records`: the older `{"records": [...]}` documents, `records` unnested).

Each side runs in a fresh process (peak RSS is its own):

* bare: `create table t as select * from read_json(GLOB, format='newline_delimited',
  columns={...})` into a DuckDB file, one statement over every file, with explicit columns for
  exactly the fields the source's records SQL reads (GCP_COLUMNS, AZURE_COLUMNS below: the
  GCP LogEntry's insertId, logName, timestamp, resource.labels.project_id and the AuditLog
  fields of gcp_records.sql, `protopayload_auditlog` (a BigQuery export's spelling) as JSON;
  Azure's top-level fields of azure_records.sql, identity.claim and properties as JSON (the
  record's identity reads all of `properties`)). `--select-star` adds the old baseline
  (`sample_size=-1`, every field), labelled;
* vaultlab: `vaultlab.ingest()` of the sink's folder into a fresh warehouse; the child asserts
  lines read = events + duplicates + quarantined for every file, 0 quarantined, 0 duplicates
  and as many events as records generated, so a generator that drifts from what vaultlab
  accepts fails loudly.

It prints seconds, records/s, the ratio baseline/vaultlab (target >= 0.5), CPU seconds (steadier
than wall time on a loaded machine) and peak RSS, and writes
benchmarks/work/results-ingest_gcp_azure.json for summary.py. `--repeat N` runs each side N
times, alternating, and keeps the fastest (the least CPU, the highest peak RSS).
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

from common import WORK, machine, row, write_results  # noqa: E402  (same folder)
from synth_gcp_azure import ensure  # noqa: E402

# the fields gcp_records.sql reads, typed as a DuckDB user would
GCP_COLUMNS = ("{insertId: 'VARCHAR', logName: 'VARCHAR', timestamp: 'VARCHAR', "
               "resource: 'STRUCT(labels STRUCT(project_id VARCHAR))', "
               "protoPayload: 'STRUCT(\"@type\" VARCHAR, serviceName VARCHAR, methodName VARCHAR, "
               "resourceName VARCHAR, resourceLocation STRUCT(currentLocations VARCHAR[]), "
               "status STRUCT(code INTEGER, message VARCHAR), "
               "authenticationInfo STRUCT(principalEmail VARCHAR, principalSubject VARCHAR, "
               "serviceAccountKeyName VARCHAR), "
               "requestMetadata STRUCT(callerIp VARCHAR, callerSuppliedUserAgent VARCHAR, "
               "requestAttributes STRUCT(time VARCHAR)), "
               "request JSON, requestJson VARCHAR, response JSON, responseJson VARCHAR, serviceData JSON, "
               "servicedata_v1_iam JSON)', protopayload_auditlog: 'JSON'}")
# the fields azure_records.sql reads
AZURE_RECORD = ("STRUCT(time VARCHAR, resourceId VARCHAR, operationName VARCHAR, category VARCHAR, "
                "resultType VARCHAR, resultSignature VARCHAR, resultDescription VARCHAR, callerIpAddress VARCHAR, "
                "location VARCHAR, identity STRUCT(claim JSON), properties JSON)")
AZURE_COLUMNS = "{" + ", ".join(f"{name}: '{kind}'" for name, kind in (
    ("time", "VARCHAR"), ("resourceId", "VARCHAR"), ("operationName", "VARCHAR"), ("category", "VARCHAR"),
    ("resultType", "VARCHAR"), ("resultSignature", "VARCHAR"), ("resultDescription", "VARCHAR"),
    ("callerIpAddress", "VARCHAR"), ("location", "VARCHAR"), ("identity", "STRUCT(claim JSON)"),
    ("properties", "JSON"))) + "}"

GLOBS = {"gcp": "/cloudaudit.googleapis.com/*/*/*/*/*.json", "azure": "/**/PT1H.json"}
NAMES = {"gcp": "GCP Cloud Audit Logs", "azure": "Azure Key Vault AuditEvent"}

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, source, layout, folder, db, root, expected = sys.argv[1:8]
db, expected = Path(db), int(expected)
for f in db.parent.glob(db.name + "*"):
    f.unlink()
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
start, cpu_start = time.perf_counter(), cpu()
extra = {}
if mode != "vaultlab":
    import duckdb
    con = duckdb.connect(str(db))
    files = folder + GLOBS[source]
    if layout == "records":  # {"records": [...]} documents, the list unnested
        columns = "{'records': '" + AZURE_RECORD + "[]'}"
        sql = ("select unnest(records, recursive := true) from read_json(?, columns=" + columns
               + ", maximum_object_size=1073741824)") if mode == "bare" else \
              "select unnest(records) as r from read_json(?, sample_size=-1, maximum_object_size=1073741824)"
    else:
        columns = GCP_COLUMNS if source == "gcp" else AZURE_COLUMNS
        sql = ("select * from read_json(?, format='newline_delimited', columns=" + columns + ")") \
            if mode == "bare" else "select * from read_json(?, format='newline_delimited', sample_size=-1)"
    con.execute("create table t as " + sql, [files])
    rows = con.execute("select count(*) from t").fetchall()[0][0]
    con.close()
else:
    sys.path.insert(0, root)
    from vaultlab import Warehouse, ingest
    with Warehouse(db) as wh:
        results = [r for r in ingest(wh, [folder], progress=False) if not r.skipped]
        events = wh.query("select count(*) from event_store where source = ?", [source])[1][0][0]
    rows = sum(r.lines_read for r in results)
    extra = {"files": len(results), "events_created": sum(r.events_created for r in results),
             "quarantined": sum(r.quarantined for r in results), "duplicates": sum(r.duplicates for r in results),
             "formats": sorted({r.format for r in results}), "events": events}
    assert all(r.lines_read == r.events_loaded + r.duplicates + r.quarantined for r in results), "a file's counts"
    assert extra["formats"] == [source], f"files read as {extra['formats']}, not {source}"
    assert (rows, extra["quarantined"], extra["duplicates"], events) == (expected, 0, 0, expected), \
        f"{rows} records read, {extra['quarantined']} quarantined, {extra['duplicates']} duplicates, " \
        f"{events} events; expected {expected} events, none quarantined or duplicated: fix the generator"
seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
for f in db.parent.glob(db.name + "*"):
    f.unlink()
print(json.dumps({"rows": rows, "seconds": seconds, "cpu_seconds": cpu_seconds,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **extra}))
"""
# the child is handed the column lists as constants of its own
CHILD = "".join(f"{name} = {globals()[name]!r}\n" for name in ("GCP_COLUMNS", "AZURE_COLUMNS", "AZURE_RECORD",
                                                                 "GLOBS")) + CHILD

def run(mode: str, source: str, layout: str, folder: Path, expected: int, work: Path) -> dict:
    """One side, in a fresh process: {"rows", "seconds", "cpu_seconds", "peak_rss_mb", ...}."""
    out = subprocess.run([sys.executable, "-c", CHILD, mode, source, layout, str(folder),
                          str(work / f"{source}-{mode}.duckdb"), str(ROOT), str(expected)],
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{mode} over {folder} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _best(old: dict, new: dict) -> dict:
    """Of two runs: the faster's figures, the least CPU seconds and the highest peak RSS."""
    if not old:
        return new
    best = min(old, new, key=lambda r: r["seconds"])
    return {**best, "cpu_seconds": min(old["cpu_seconds"], new["cpu_seconds"]),
            "peak_rss_mb": max(old["peak_rss_mb"], new["peak_rss_mb"])}


def _print_table(table: list[tuple], records: int) -> None:
    head = ("source", "baseline", "vaultlab", "records/s", "ratio", "CPU: baseline, vaultlab, ratio",
            "peak RSS: vaultlab, baseline")
    cells = [head] + [(name, f"{b['seconds']:.2f} s", f"{v['seconds']:.2f} s", f"{records / v['seconds']:,.0f}",
                       f"{b['seconds'] / v['seconds']:.2f}",
                       f"{b['cpu_seconds']:.2f} s, {v['cpu_seconds']:.2f} s, {b['cpu_seconds'] / v['cpu_seconds']:.2f}",
                       f"{v['peak_rss_mb']:.0f} MB, {b['peak_rss_mb']:.0f} MB")
                      for name, b, v in table]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    print()
    for line in [cells[0], tuple("-" * w for w in widths), *cells[1:]]:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000, help="records of each source (default 200,000)")
    parser.add_argument("--sources", nargs="+", choices=("gcp", "azure"), default=["gcp", "azure"])
    parser.add_argument("--azure-layout", choices=("lines", "records"), default="lines",
                        help="Azure blobs as JSON lines (since 2018, the default) or {\"records\": [...]}")
    parser.add_argument("--select-star", action="store_true", help="also the old select-* baseline, labelled")
    parser.add_argument("--profile", action="store_true", help="where vaultlab's time goes, per source")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of each side, alternating; the fastest counts (a loaded machine)")
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    table, rows, folders = [], [], {}
    for source in args.sources:
        layout = args.azure_layout if source == "azure" else "lines"
        folder = ensure(source, args.records, args.work, layout)
        files = sorted(p for p in folder.rglob("*.json"))
        size = f"{args.records:,} records, {len(files)} files" + (f" ({layout})" if source == "azure" else "")
        mb = sum(p.stat().st_size for p in files) / 1e6
        bare, ours, star = {}, {}, {}
        for _ in range(args.repeat):  # alternating, so that a burst of load hits every side alike
            bare = _best(bare, run("bare", source, layout, folder, args.records, args.work))
            ours = _best(ours, run("vaultlab", source, layout, folder, args.records, args.work))
            if args.select_star:
                star = _best(star, run("star", source, layout, folder, args.records, args.work))
        assert bare["rows"] == args.records, f"bare read_json read {bare['rows']} records, not {args.records}"
        ratio = bare["seconds"] / ours["seconds"]
        table.append((f"{NAMES[source]}, {size}, {mb:.0f} MB", bare, ours))
        print(f"  {table[-1][0]}: bare {bare['seconds']:.2f} s, vaultlab {ours['seconds']:.2f} s, "
              f"ratio {ratio:.2f}", flush=True)
        rows += [row(f"{source}: read_json, explicit columns (baseline)", size, bare["seconds"],
                     peak_rss_mb=bare["peak_rss_mb"], note=f"{bare['cpu_seconds']:.2f} s CPU"),
                 row(f"{source}: vaultlab ingest", size, ours["seconds"], baseline_seconds=bare["seconds"],
                     target="<= 2 x baseline (ratio >= 0.5)", met=ratio >= 0.5, peak_rss_mb=ours["peak_rss_mb"],
                     note=f"{args.records / ours['seconds']:,.0f} records/s, ratio {ratio:.2f}, "
                          f"{ours['cpu_seconds']:.2f} s CPU, CPU ratio "
                          f"{bare['cpu_seconds'] / ours['cpu_seconds']:.2f}")]
        if args.select_star:
            table.append(("  old select-* baseline (sample_size=-1)", star, ours))
            rows.append(row(f"{source}: read_json select * (old baseline)", size, star["seconds"],
                            peak_rss_mb=star["peak_rss_mb"], note=f"{star['cpu_seconds']:.2f} s CPU"))
        folders[source] = folder
    _print_table(table, args.records)
    print(f"(target: ratio >= 0.5; {args.repeat} run(s) of each side, the fastest; "
          f"load average {machine()['load_average']})")
    print(f"results: {write_results('ingest_gcp_azure', rows, args.work)}")
    if args.profile:  # after every measured run: a child inherits this process's peak RSS
        from profile_gcp_azure import profile

        for source, folder in folders.items():
            profile(source, folder, args.work)


if __name__ == "__main__":
    main()
