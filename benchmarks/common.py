"""What the benchmarks share: the synthetic log, the explicit-columns `read_json` baseline, the
machine they ran on, and the results file each script writes for `summary.py`.

Results: each script writes benchmarks/work/results-<name>.json, {"name", "machine", "rows"}; a row
is {"case", "size", "seconds", "baseline_seconds", "target", "met", "peak_rss_mb", "note"} (any of
them may be null). `summary.py` prints every results file as one table.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work"

# the fields vaultlab reads from a Vault audit record, typed: what a DuckDB user would write
VAULT_COLUMNS = ("{time: 'VARCHAR', type: 'VARCHAR', error: 'VARCHAR', "
                 "auth: 'STRUCT(entity_id VARCHAR, display_name VARCHAR, policies VARCHAR[], token_ttl BIGINT, "
                 "accessor VARCHAR)', "
                 "request: 'STRUCT(id VARCHAR, operation VARCHAR, path VARCHAR, remote_address VARCHAR, "
                 "mount_type VARCHAR)', "
                 "response: 'STRUCT(mount_type VARCHAR)'}")

BASELINE = r"""
import json, resource, sys, time
from pathlib import Path
import duckdb
log, db, columns = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
for f in db.parent.glob(db.name + "*"):
    f.unlink()
start, cpu = time.perf_counter(), time.process_time()
con = duckdb.connect(str(db))
con.execute("create table t as select * from read_json(?, format='newline_delimited', columns=" + columns + ")", [log])
rows = con.execute("select count(*) from t").fetchall()[0][0]
con.close()
seconds = time.perf_counter() - start
for f in db.parent.glob(db.name + "*"):
    f.unlink()
print(json.dumps({"rows": rows, "seconds": seconds, "cpu": time.process_time() - cpu,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def parse_schemas(source: str) -> dict[str, dict]:
    """Each JSON schema `source`'s records SQL hands `json_transform`, by the expression it parses
    (`txt`: the record itself), read from the SQL so that a benchmark never parses a stale copy."""
    sys.path.insert(0, str(ROOT))
    from vaultlab.ingest.sources.records import records_sql

    found = re.finditer(r"json_transform\(([\w.]+),\s*'(\{.*?\})'\)", records_sql(f"{source}_records"), re.S)
    return {match[1]: json.loads(match[2]) for match in found}


def ensure_log(lines: int, work: Path = WORK) -> Path:
    """The synthetic Vault log of `lines` lines (seed 1) with its inventory and policies, made once."""
    folder = work / f"synth-{lines}"
    log = folder / "vault_audit.log"
    if not log.exists():
        sys.path.insert(0, str(ROOT))
        from vaultlab.synth.vault import synthesize

        start = time.perf_counter()
        synthesize(folder, lines=lines, seed=1)
        print(f"generated {lines:,} lines ({log.stat().st_size / 1e9:.2f} GB) in {time.perf_counter() - start:.0f} s")
    return log


def baseline(log: Path, work: Path = WORK, columns: str = VAULT_COLUMNS) -> dict:
    """Bare DuckDB over the same file, in a fresh process: `read_json` with explicit columns for the
    fields vaultlab reads, into a table of a DuckDB file. {"rows", "seconds", "peak_rss_mb"}."""
    out = subprocess.run([sys.executable, "-c", BASELINE, str(log), str(work / "baseline.duckdb"), columns],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def machine() -> dict:
    """What the figures depend on: cores, CPU, RAM, versions, and how busy the machine was."""
    import duckdb

    return {"nproc": os.cpu_count(), "cpu": _cpu_model(), "ram_gb": _ram_gb(),
            "python": platform.python_version(), "duckdb": duckdb.__version__,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "memory_limit": os.environ.get("VAULTLAB_MEMORY_LIMIT", "512MB (default)"),
            "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def row(case: str, size: str, seconds: float | None, *, baseline_seconds: float | None = None,
        target: str | None = None, met: bool | None = None, peak_rss_mb: float | None = None,
        note: str | None = None) -> dict:
    return {"case": case, "size": size, "seconds": seconds, "baseline_seconds": baseline_seconds,
            "target": target, "met": met, "peak_rss_mb": peak_rss_mb, "note": note}


def write_results(name: str, rows: list[dict], work: Path = WORK) -> Path:
    """benchmarks/work/results-<name>.json, for summary.py."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"results-{name}.json"
    path.write_text(json.dumps({"name": name, "machine": machine(), "rows": rows}, indent=1) + "\n")
    return path
