"""One table of every benchmark's latest results (benchmarks/work/results-*.json), with the machine.

    python benchmarks/summary.py                 # what `make bench` prints at the end
    python benchmarks/summary.py --markdown      # the same as a Markdown table, for the README

A script that wrote no results file is named, so a benchmark that failed or never ran is not
mistaken for one that passed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import WORK, machine  # noqa: E402  (same folder)

EXPECTED = ("ingest", "ingest_cloudtrail", "ingest_gcp_azure", "ingest_floor", "analytics", "report")
COLUMNS = ("benchmark", "case", "size", "seconds", "x baseline", "target", "met", "peak RSS")


def _cells(name: str, r: dict) -> list[str]:
    seconds, base = r.get("seconds"), r.get("baseline_seconds")
    met = r.get("met")
    return [name, r.get("case") or "", r.get("size") or "",
            f"{seconds:.2f}" if seconds is not None else "",
            f"{seconds / base:.2f}" if seconds is not None and base else "",
            r.get("target") or "", "" if met is None else ("yes" if met else "NO"),
            f"{r['peak_rss_mb']:.0f} MB" if r.get("peak_rss_mb") else ""]


def _machine_line(m: dict) -> str:
    return (f"{m.get('nproc')} cores, {m.get('cpu')}, {m.get('ram_gb')} GB RAM, Python {m.get('python')}, "
            f"DuckDB {m.get('duckdb')}, load average {m.get('load_average')} at {m.get('when')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    found = {p.stem.removeprefix("results-"): json.loads(p.read_text())
             for p in sorted(args.work.glob("results-*.json"))}
    table = [_cells(name, r) for name, doc in found.items() for r in doc.get("rows", [])]
    print()
    if args.markdown:
        print("| " + " | ".join(COLUMNS) + " |\n|" + "---|" * len(COLUMNS))
        print("\n".join("| " + " | ".join(cells) + " |" for cells in table))
    else:
        widths = [max([len(c)] + [len(cells[i]) for cells in table]) for i, c in enumerate(COLUMNS)]
        for cells in [list(COLUMNS), ["-" * w for w in widths], *table]:
            print("  ".join(c.rjust(w) if i in (3, 4, 7) else c.ljust(w)
                            for i, (c, w) in enumerate(zip(cells, widths))))
    print(f"\nnow: {_machine_line(machine())}")
    for name, doc in found.items():
        print(f"{name}: {_machine_line(doc.get('machine', {}))}")
    missing = [name for name in EXPECTED if name not in found]
    if missing:
        print("no results file from: " + ", ".join(f"benchmarks/{n}.py" for n in missing)
              + " (it failed, did not run, or does not write benchmarks/work/results-<name>.json)")


if __name__ == "__main__":
    main()
