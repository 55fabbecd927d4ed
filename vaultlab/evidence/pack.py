"""`vaultlab report`: execute the evidence notebook with papermill, export it to HTML without
code, and seal the folder as an evidence pack (manifest, optional signature, zip)."""

from __future__ import annotations

import base64
import json
import os
import platform
import re
import shutil
import sys
import tempfile
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from vaultlab.config import load_config
from vaultlab.controls.accepted_risks import load_accepted_risks
from vaultlab.controls.catalog import framework_names
from vaultlab.errors import VaultlabError
from vaultlab.evidence.chain import previous_link
from vaultlab.evidence.manifest import private_key, verify_pack, write_manifest
from vaultlab.evidence.notebooks import notebook_path
from vaultlab.evidence.oscal import write_assessment_results
from vaultlab.evidence.pdf import PAPER, find_chromium, write_pdf
from vaultlab.evidence.samples import draw_samples, write_samples
from vaultlab.modes import owner_only, restrict_tree
from vaultlab.period import named_period, parse_period
from vaultlab.warehouse import Warehouse, require_warehouse

WORKBENCH_TAG = "workbench"  # cells for working in JupyterLab, left out of the pack's HTML
SVG_ELEMENT = re.compile(r"<svg\b.*?</svg>", re.S)
LIBRARIES = ["vaultlab", "duckdb", "polars", "pyarrow", "altair", "vl-convert-python", "papermill", "nbconvert",
             "compliance-trestle"]


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


@contextmanager
def _quiet_stderr():
    """Send file descriptor 2 (which the kernel process inherits) to a scratch file for a while."""
    with tempfile.TemporaryFile() as scratch:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(scratch.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def export_html(executed: Path) -> str:
    """The executed notebook as one HTML page: outputs only, no code, no external resources."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    settings = Config()
    settings.TagRemovePreprocessor.remove_cell_tags = {WORKBENCH_TAG}  # the workbench is for JupyterLab
    settings.TagRemovePreprocessor.enabled = True
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_markdown=True, config=settings)
    exporter.register_preprocessor(TagRemovePreprocessor(config=settings), enabled=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\"><title>vaultlab evidence report</title></head>\n<body>\n" + body + "\n</body></html>\n")


def make_pack(warehouse: str | Path, framework: str, period: str, out: str | Path, *, organisation: str = "",
              config: str | None = None, exceptions: str | None = None, sign_key: str | None = None,
              partial: bool = False, wait: float = 0, sample: int = 0, seed: int | str | None = None,
              pdf: bool = False, paper: str = "a4", lake: str = "", engine: str = "") -> Path:
    """Render one framework's report for a period into <out>/<framework>-<period>/ (and a .zip).

    The pack is rendered into a folder beside the target and swapped in only once the notebook ran
    and its manifest verifies: any failure leaves the previous pack (folder and zip) as it was, and
    no partial folder. The pack is owner-only (folders 0700, files 0600, the zip 0600), whatever the
    umask. A future period is an error; one not ended yet renders only with `partial` (marked
    PARTIAL). `wait`: seconds to wait for a warehouse another process holds. `sample`: rows to draw
    from each of the framework's populations into samples/ (with `seed`, else one derived from the
    framework and period). `pdf`: also report.pdf, printed by headless Chromium on `paper` (a4 or letter).
    `lake`: read that lake (a folder or s3:// URI) instead of `warehouse`, with `engine` (duckdb or spark);
    a lake is read-only, so the pack's run is not recorded anywhere but in the pack."""
    period, pack = _checked_options(framework, period, out, config=config, exceptions=exceptions,
                                    sign_key=sign_key)
    printer = pdf_options(pdf, paper)
    parse_period(period).check_ended(partial)  # before any file is touched
    if lake:
        lake, engine = _checked_lake(lake, engine)
        warehouse = ""
    else:
        warehouse = require_warehouse(warehouse).resolve()
        Warehouse(warehouse, create=False, wait=wait, thresholds=load_config(config or None)).close()
    with owner_only():
        pack.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        staging = Path(tempfile.mkdtemp(prefix=f".{pack.name}.partial-", dir=pack.parent))
        try:
            _render_pack(warehouse, framework, period, staging / pack.name, organisation=organisation,
                         config=config, exceptions=exceptions, sign_key=sign_key, final=pack, partial=partial,
                         sample=sample, seed=seed, printer=printer, lake=lake, engine=engine)
            _swap_in(staging, pack)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return pack


def _render_pack(warehouse: Path | str, framework: str, period: str, pack: Path, *, organisation: str, config,
                 exceptions, sign_key, final: Path, partial: bool = False, sample: int = 0, seed=None,
                 printer: dict | None = None, lake: str = "", engine: str = "") -> None:
    """Render the pack into `pack` (a staging folder), seal it, verify it, and zip it beside it."""
    import papermill

    pack.mkdir(mode=0o700)
    parameters = {"framework": framework, "period": period, "warehouse": str(warehouse),
                  **({"lake": lake, "engine": engine} if lake else {}),
                  "organisation": organisation, "config": str(Path(config).resolve()) if config else "",
                  "exceptions": str(Path(exceptions).resolve()) if exceptions else "", "out_dir": str(final),
                  "partial": partial}
    samples = None
    if sample:  # drawn before the notebook runs, which shows them under their requirements
        samples = write_samples(pack, draw_samples(warehouse, framework, period, sample, seed, config=config,
                                                   lake=lake, engine=engine))
    try:
        with _quiet_stderr():  # the kernel's start-up chatter would land in every cron mail
            papermill.execute_notebook(str(notebook_path("evidence_report")), str(pack / "report.ipynb"),
                                       parameters={**parameters, "out_dir": str(pack), "record": True},
                                       kernel_name="python3", progress_bar=False, cwd=str(pack))
    except papermill.PapermillExecutionError as err:
        raise VaultlabError(f"the report notebook failed: {err.ename}: {err.evalue}") from None
    make_inert(pack / "report.ipynb")
    (pack / "report.html").write_text(export_html(pack / "report.ipynb"), encoding="utf-8")
    make_readable(pack / "report.ipynb")  # after the HTML export, which keeps the inline SVG as it is
    run_id = json.loads((pack / "run.json").read_text())["run_id"]
    if printer:
        who = f"{organisation} · " if organisation else ""
        write_pdf(pack / "report.html", pack / "report.pdf", footer=f"{who}{framework} {period} · run {run_id}",
                  **printer)
    controls = json.loads((pack / "controls.json").read_text())
    created_at = datetime.now(timezone.utc)
    write_assessment_results(pack, run_id=run_id, generated_at=created_at,
                             accepted_risks=load_accepted_risks(exceptions))
    with _inputs_source(warehouse, lake, config) as wh:
        cols, rows = wh.query("select path, sha256, bytes, format, lines_read, quarantined from ingest_files "
                              "order by file_id")
    write_manifest(pack, {
        "run_id": run_id, "created_at": created_at.isoformat(), "parameters": parameters,
        "thresholds": controls["thresholds"], "inputs": [dict(zip(cols, r)) for r in rows], "versions": _versions(),
        **previous_link(final.parent, framework, period), **({"samples": samples} if samples else {}),
    }, sign_key=sign_key)
    restrict_tree(pack)
    if not verify_pack(pack).intact:
        raise VaultlabError(f"the pack rendered for {final} does not verify against its manifest; "
                            "the previous pack is kept")
    shutil.make_archive(str(pack), "zip", root_dir=pack.parent, base_dir=pack.name)
    pack.with_name(pack.name + ".zip").chmod(0o600)


def _checked_lake(lake: str, engine: str) -> tuple[str, str]:
    """The lake's URI (a folder resolved) and its engine, checked before any file is touched."""
    from vaultlab.lake.engines import ENGINES
    from vaultlab.lake.layout import open_lake

    engine = engine or "duckdb"
    if engine not in ENGINES:
        raise VaultlabError(f"unknown engine {engine!r}; give one of {', '.join(ENGINES)}")
    uri = open_lake(lake).uri
    return (uri if uri.startswith("s3://") else str(Path(uri).resolve())), engine


def _inputs_source(warehouse, lake: str, config):
    """What the manifest's inputs (ingest_files) are read from: the warehouse, or DuckDB over the lake."""
    if lake:
        from vaultlab.lake.engines import open_engine

        return open_engine(lake, "duckdb", thresholds=load_config(config or None))
    return Warehouse(warehouse, read_only=True)


def pdf_options(pdf: bool, paper: str) -> dict | None:
    """Where the PDF printer is and the paper, checked before any file is touched (None: no PDF)."""
    if paper not in PAPER:
        raise VaultlabError(f"--paper {paper!r}: choose a4 or letter")
    return {"paper": paper, "chromium": find_chromium()} if pdf else None


def make_inert(notebook: Path) -> None:
    """The executed notebook's parameters, made inert: re-executed anywhere (papermill, Run All) it
    writes nothing into the pack and records no run, unless told to (-p out_dir DIR -p record True)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            kept = [line for line in cell.source.splitlines()
                    if not line.startswith(("out_dir = ", "record = "))]
            cell.source = "\n".join(kept + ['out_dir = ""  # inert: this notebook writes no pack when run again',
                                             "record = False  # inert: recording a run is `vaultlab report`'s job"])
    nbformat.write(nb, notebook)


def make_readable(notebook: Path) -> None:
    """Charts a notebook viewer shows without trusting the notebook.

    JupyterLab sanitises the HTML of an untrusted notebook and drops inline SVG from it (its text
    is left as garbled words), and never renders an untrusted image/svg+xml output; it does render
    PNG. So every HTML output holding inline SVG charts is split: the HTML around them stays HTML,
    and each chart becomes an output of its own carrying the same SVG and a PNG rendered from it."""
    import nbformat
    import vl_convert

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "") if output.get("output_type") == "display_data" else ""
            if "<svg" not in html:
                outputs.append(output)
                continue
            position = 0
            for found in SVG_ELEMENT.finditer(html):
                outputs.append(_html_output(html[position:found.start()]))
                png = base64.b64encode(vl_convert.svg_to_png(found.group(0), scale=1)).decode("ascii")
                outputs.append(nbformat.v4.new_output("display_data", data={
                    "image/svg+xml": found.group(0), "image/png": png, "text/plain": "<chart>"}))
                position = found.end()
            outputs.append(_html_output(html[position:]))
        cell.outputs = [o for o in outputs if o is not None]
    nbformat.write(nb, notebook)


def _html_output(html: str):
    """An HTML display output, or None when there is nothing but markup left to show."""
    import nbformat

    if not re.sub(r"<[^>]*>|\s", "", html):
        return None
    return nbformat.v4.new_output("display_data", data={"text/html": html, "text/plain": "<HTML>"})


def _swap_in(staging: Path, pack: Path) -> None:
    """Put the rendered pack (staging/<name>, staging/<name>.zip) in place of the previous one.

    The previous folder is moved aside, not deleted, until the new one is in place (a symlink or a
    file at the pack's path is removed, never followed)."""
    archive = pack.with_name(pack.name + ".zip")
    aside = None
    if pack.is_symlink() or (pack.exists() and not pack.is_dir()):
        pack.unlink()
    elif pack.exists():
        aside = staging / "previous"
        pack.rename(aside)
    try:
        (staging / pack.name).rename(pack)
    except OSError:
        if aside is not None:
            aside.rename(pack)
        raise
    if archive.is_symlink():
        archive.unlink()
    os.replace(staging / (pack.name + ".zip"), archive)


def _checked_options(framework: str, period: str, out, *, config=None, exceptions=None,
                     sign_key=None) -> tuple[str, Path]:
    """Every option checked before any file is touched; the pack path is built from checked parts only."""
    if framework not in framework_names():
        raise VaultlabError(f"unknown framework {framework!r}; choose one of {', '.join(framework_names())}")
    period = named_period(str(period)).label
    load_config(config)
    load_accepted_risks(exceptions)
    if sign_key:
        private_key(sign_key)
    out = Path(out).resolve()
    if out.exists() and not out.is_dir():
        raise VaultlabError(f"--out {out} is not a folder")
    pack = out / f"{framework}-{period}"
    archive = pack.with_name(pack.name + ".zip")
    if archive.is_dir() and not archive.is_symlink():
        raise VaultlabError(f"{archive} is a folder; move it away, the pack's zip goes there")
    return period, pack
