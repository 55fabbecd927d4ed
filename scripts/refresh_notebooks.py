"""Regenerate the committed outputs of the three notebooks (`make notebooks`).

Builds the sample warehouse (`vaultlab demo`'s data, no check run recorded) in a scratch folder,
runs each notebook with its default parameters against it (VAULTLAB_DB, with VAULTLAB_TODAY and
the period fixed), and writes the notebooks back with their outputs, after the substitutions of
tests/nbval_sanitize.cfg (run ids, paths, times; not the *-compare-only ones). The outputs of the
pack's own cells in evidence_report.ipynb (the HTML report, tested through the pack) are not
committed: nbval validates the workbench cells there (--nbval-lax; they carry nbval-check-output).

Run it after any change to what the notebooks show; tests/test_notebooks_nbval.py fails until then.
Usage: python scripts/refresh_notebooks.py [NOTEBOOK ...]
"""

from __future__ import annotations

import configparser
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "vaultlab" / "evidence" / "notebooks"
NAMES = ("evidence_report", "explore", "incident")
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"
TODAY = "2026-11-15"  # VAULTLAB_TODAY: the sample period (2026-10) has ended, and stays what it is
KEPT_TAGS = ("workbench", "parameters")  # evidence_report: cells whose outputs are committed (and checked)
CHECK_TAG = "nbval-check-output"


def patterns(compare_only: bool = False) -> list[tuple[str, str]]:
    cfg = configparser.ConfigParser(interpolation=None)
    cfg.read(SANITIZE)
    return [(cfg[s]["regex"], cfg[s]["replace"]) for s in cfg.sections()
            if compare_only or not s.endswith("-compare-only")]


def sanitised(value, subs):
    if isinstance(value, str):
        for regex, replace in subs:
            value = re.sub(regex, replace, value)
        return value
    if isinstance(value, list):
        return [sanitised(v, subs) for v in value]
    if isinstance(value, dict):
        return {k: sanitised(v, subs) for k, v in value.items()}
    return value


def refresh(name: str) -> Path:
    import nbformat
    from nbclient import NotebookClient

    path = NOTEBOOKS / f"{name}.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    NotebookClient(nb, kernel_name="python3", timeout=600, record_timing=False,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()  # as nbval and JupyterLab run it
    subs = patterns()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tags = cell.metadata.get("tags", [])
        if name == "evidence_report" and not any(t in tags for t in KEPT_TAGS):
            cell.outputs, cell.execution_count = [], None  # the pack's HTML: tested through the pack
            continue
        if name == "evidence_report" and "workbench" in tags and CHECK_TAG not in tags:
            cell.metadata["tags"] = [*tags, CHECK_TAG]
        for output in cell.outputs:
            if "data" in output:
                output["data"] = sanitised(output["data"], subs)
            if "text" in output:
                output["text"] = sanitised(output["text"], subs)
    nb.metadata.pop("papermill", None)
    nbformat.write(nb, path)
    return path


def main(argv: list[str]) -> int:
    from vaultlab.synth.samples import build_sample_warehouse

    names = argv or list(NAMES)
    unknown = set(names) - set(NAMES)
    if unknown:
        print(f"unknown notebook(s) {', '.join(sorted(unknown))}; choose from {', '.join(NAMES)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="vaultlab-notebooks-") as scratch:
        db = build_sample_warehouse(Path(scratch) / "sample.duckdb")
        os.environ.update(VAULTLAB_DB=str(db), VAULTLAB_TODAY=TODAY)
        for name in names:
            path = refresh(name)
            print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
