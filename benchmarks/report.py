"""`vaultlab report` end to end for a month of 1M events (2M audit lines).

    python benchmarks/report.py                 # 2,000,000 lines = 1,000,000 events
    python benchmarks/report.py --lines 1000000

Builds the warehouse once (as analytics.py does, kept in benchmarks/work/), then times
`vaultlab report` for each framework as a user runs it (a subprocess: papermill starts a
kernel, the checks run, nbconvert exports, the pack is sealed). Target (issue 4): <= 30 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from analytics import build  # noqa: E402  (same folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    db, built = build(args.lines, args.work)
    built_note = f", warehouse built in {built:.0f} s" if built else ""
    print(f"{args.lines:,} lines ({args.lines // 2:,} events){built_note}")
    for framework in ("soc2", "iso27001", "hipaa"):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "vaultlab", "--db", str(db), "report", "--framework", framework,
                        "--period", "2026-10", "--out", str(args.work / "packs")], check=True,
                       capture_output=True)
        print(f"  vaultlab report --framework {framework:9s} {time.perf_counter() - start:6.1f} s")


if __name__ == "__main__":
    main()
