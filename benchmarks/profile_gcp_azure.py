"""Where vaultlab's time goes ingesting GCP or Azure delivery files (ingest_gcp_azure.py --profile).

Two views, in this process:

* cProfile of one `vaultlab.ingest()` of the folder: cumulative seconds of the stages (the files
  are read and split in a thread, which cProfile does not see: its cost shows as the wait for it);
* the source's records SQL alone against the parse alone, over every record of the folder held
  in memory as one Arrow batch (as the grouped path hands them to DuckDB), in the warehouse's
  connection (its memory limit and threads): `json_transform` of exactly the fields the SQL
  reads, then the whole records SQL, then the records SQL without its identity hash; wall and
  CPU seconds (the CPU figure holds better on a loaded machine).
"""

from __future__ import annotations

import cProfile
import json
import pstats
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import parse_schemas  # noqa: E402  (same folder)


def parse_alone_schema(source: str) -> str:
    """The fields the source's SQL reads, as one `json_transform` schema, taken from that SQL: for GCP
    the entry's own fields with the AuditLog payload's inside `protoPayload` (the SQL parses the
    payload a second time, from `protoPayload` or a BigQuery sink's `protopayload_auditlog`)."""
    schemas = parse_schemas(source)
    record = schemas["txt"]
    if source == "gcp":
        record["protoPayload"] = {**record["protoPayload"], **schemas["payload"]}
        record["protopayload_auditlog"] = "JSON"
    return json.dumps(record)


STAGES = {  # function name -> what it is
    "_settle": "discovery: sniffing each file's head",
    "load_group": "grouped load (all of a group)",
    "flush": "  staging SQL (_Stager.flush: parse, checks, normalise, hash)",
    "result": "  waiting for the reader thread (read, gunzip, split)",
    "_load_stage": "  quarantine, duplicate search, insert",
    "_account": "  ledger rows",
    "transaction": "transaction (commit included)",
}


def _cprofile(folder: Path, db: Path) -> None:
    from vaultlab import Warehouse, ingest

    prof = cProfile.Profile()
    with Warehouse(db) as wh:
        prof.enable()
        ingest(wh, [str(folder)], progress=False)
        prof.disable()
    stats = pstats.Stats(prof).stats
    seen: dict[str, float] = {}
    for (filename, _, name), (_, _, _, cumulative, _) in stats.items():
        if name in STAGES and ("vaultlab" in filename or name == "result"):
            seen[name] = seen.get(name, 0.0) + cumulative
    print(f"  cProfile of vaultlab.ingest() of {folder.name}:")
    for name, words in STAGES.items():
        if name in seen:
            print(f"    {words:<62} {seen[name]:7.2f} s")
    print(f"    {'total':<62} {max(entry[3] for entry in stats.values()):7.2f} s")


def _cpu() -> float:
    """CPU seconds of this process, DuckDB's threads included: steadier than wall time on a busy machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _replace_calls(sql: str, call: str, replacement: str) -> str:
    """`sql` with every `call(...)`, arguments and all, replaced by `replacement`."""
    while (start := sql.find(call)) >= 0:
        depth, end = 1, start + len(call)
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            end += 1
        sql = sql[:start] + replacement + sql[end:]
    return sql


def _sql_alone(source: str, folder: Path, db: Path) -> None:
    from vaultlab import Warehouse
    from vaultlab.ingest import grouped, reader
    from vaultlab.ingest.sources import SOURCES

    paths = sorted(folder.rglob("*.json"))
    tables = [t for read in grouped.read_files(paths, reader.MAX_LINE_BYTES) for t, _ in read.batches]
    batch = reader.combined(tables)  # noqa: F841 (found by DuckDB's replacement scan), in batches as ingest has it
    full = SOURCES[source].RECORDS_SQL
    unhashed = _replace_calls(full, "md5_number(", "null::uhugeint")  # rec_hash and hashed event ids NULL
    params = {"max_line_bytes": reader.MAX_LINE_BYTES}
    runs = [("parse alone: json_transform of the fields read",
             f"select line, try(json_transform(decode(raw), '{parse_alone_schema(source)}')) as e from batch", {}),
            ("records SQL (as ingest stages it)", full, params),
            ("records SQL without the identity hash (md5 of the fields)", unhashed, params)]
    print(f"  {source} SQL alone over {batch.num_rows:,} records in memory (create temp table as ...):")
    with Warehouse(db) as wh, wh.transaction() as cur:
        for words, sql, args in runs:
            cpu, start = _cpu(), time.perf_counter()
            cur.execute("create or replace temp table x as " + sql, args)
            print(f"    {words:<62} {time.perf_counter() - start:7.2f} s  ({_cpu() - cpu:.2f} s CPU)")
        cur.execute("drop table x")


def profile(source: str, folder: Path, work: Path) -> None:
    """Print both views for `source`'s files under `folder`."""
    sys.path.insert(0, str(ROOT))
    db = work / f"profile-{source}.duckdb"
    for step in (_cprofile, lambda f, d: _sql_alone(source, f, d)):
        for f in work.glob(db.name + "*"):
            f.unlink()
        step(folder, db)
    for f in work.glob(db.name + "*"):
        f.unlink()
