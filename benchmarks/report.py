"""`vaultlab report` end to end for a month of 1M events (2M audit lines), against bare `read_json`.

    python benchmarks/report.py                 # 2,000,000 lines = 1,000,000 events
    python benchmarks/report.py --lines 1000000
    python benchmarks/report.py --profile       # also where the time goes, step by step

Builds the warehouse once (as analytics.py does, kept in benchmarks/work/), times the explicit-columns
`read_json` baseline of the same log, then `vaultlab report` for each framework as a user runs it (a
subprocess: papermill starts a kernel, the checks run, the evidence is written, nbconvert exports,
the pack is sealed and zipped). Target (issue 15, item 5): <= 15 s, the kernel's start-up included.
`--profile` times the steps apart: a kernel's start, `build_report` (its checks, evidence tables and
charts), the HTML export, the manifest and the zip. Rows go to benchmarks/work/results-report.json.
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
sys.path.insert(0, str(HERE))

from analytics import FRAMEWORKS, build  # noqa: E402  (same folder)
from common import WORK, baseline, ensure_log, row, write_results  # noqa: E402

TARGET_SECONDS = 15.0

PROFILE = r"""
import json, shutil, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
T = time.perf_counter
steps = {}
t = T()
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="python3")
kc.execute_interactive("import vaultlab.evidence.report", timeout=120)
steps["kernel start + vaultlab imports"] = T() - t
kc.stop_channels(); km.shutdown_kernel(now=True)
import vaultlab.evidence.report as report
import vaultlab.evidence.tables as tables
from vaultlab.evidence import pack
folder = Path(tempfile.mkdtemp(prefix="vaultlab-bench-"))
def timed(module, name, label):
    real = getattr(module, name)
    def wrapper(*a, **k):
        t = T()
        try:
            return real(*a, **k)
        finally:
            steps[label] = steps.get(label, 0) + T() - t
    setattr(module, name, wrapper)
from contextlib import contextmanager
real_computed = report.Warehouse.views_computed
@contextmanager
def views_computed(self, *a, **k):
    t = T()
    with real_computed(self, *a, **k):
        steps.setdefault("  of which every view computed once", T() - t)  # the outer block; run_checks reuses it
        yield
report.Warehouse.views_computed = views_computed
timed(report, "run_checks", "  of which run_checks (checks, run recorded)")
timed(report, "write_evidence", "  of which evidence tables written")
timed(report, "_charts", "  of which charts (queries, SVG by vl-convert)")
t = T()
built = report.build_report(sys.argv[1], sys.argv[2], "2026-10", out_dir=str(folder / "pack"), record=True)
steps["build_report"] = T() - t
t = T()
html = "".join([report.summary_html(built), report.charts_html(built)]
               + [report.requirement_html(built, r) for r in built.run.framework.requirements])
steps["report HTML"] = T() - t
t = T()
import nbformat, nbconvert  # what the export imports
steps["nbconvert import"] = T() - t
shutil.rmtree(folder)
print(json.dumps(steps))
"""


def report_command(db: Path, framework: str, packs: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(db), "report", "--framework", framework,
                    "--period", "2026-10", "--out", str(packs)], check=True, capture_output=True)
    return time.perf_counter() - start


def profile(db: Path, framework: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", PROFILE, str(db), framework, str(ROOT)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--profile", action="store_true", help="also time the steps of one report apart")
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    db, built = build(args.lines, args.work)
    size = f"{args.lines:,} lines ({args.lines // 2:,} events)"
    base = baseline(ensure_log(args.lines, args.work), args.work)
    print(size + (f", warehouse built in {built:.0f} s" if built else ""))
    print(f"  baseline read_json (explicit columns)  {base['seconds']:6.1f} s")
    rows = [row("read_json, explicit columns (baseline)", size, base["seconds"], peak_rss_mb=base["peak_rss_mb"])]
    for framework in FRAMEWORKS:
        seconds = report_command(db, framework, args.work / "packs")
        print(f"  vaultlab report --framework {framework:9s} {seconds:6.1f} s")
        rows.append(row(f"vaultlab report --framework {framework}", size, seconds, baseline_seconds=base["seconds"],
                        target=f"<= {TARGET_SECONDS:g} s", met=seconds <= TARGET_SECONDS,
                        note="kernel start, checks, evidence, charts, export, manifest, zip"))
    if args.profile:
        for step, seconds in profile(db, "soc2").items():
            print(f"  soc2 step: {step:58s} {seconds:6.2f} s")
            rows.append(row(f"report soc2 step: {step.strip()}", size, seconds))
    print(f"results: {write_results('report', rows, args.work)}")


if __name__ == "__main__":
    main()
