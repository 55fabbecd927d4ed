"""Reproducible samples in an evidence pack (`vaultlab report --sample N [--seed S]`).

A framework's sampled populations are the evidence tables its requirements draw on that are
also views (rotation_status, access_inventory, policy_findings, ...): the items an auditor
re-performs a control on, and names `vaultlab sample --population` resolves to the same query.
Each is drawn with `vaultlab.queries.sample.draw` (from the warehouse, or with `report --lake` by the
lake's engine, DuckDB or Spark: the same rows), so `samples/<population>.csv` holds exactly what
`vaultlab sample --population P --size N --seed S --period PERIOD --format csv` prints.
Without --seed, the seed is derived from the framework and the period (never from the clock),
so next year's re-render of October draws October's rows again.
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vaultlab import output
from vaultlab.config import load_config
from vaultlab.controls.catalog import check_names, load_check, load_framework
from vaultlab.errors import VaultlabError
from vaultlab.period import parse_period
from vaultlab.queries.sample import Sample, as_seed, draw, view_query
from vaultlab.views import VIEWS
from vaultlab.warehouse import Warehouse

FOLDER = "samples"
INDEX = "index.json"  # samples/index.json: seed, size and each population's size, for the report and the manifest


@dataclass
class PackSamples:
    """What `report --sample` drew: the seed, the size asked, and one sample per population."""
    seed: int | str
    size: int
    period: str
    samples: dict[str, Sample]

    def details(self) -> dict:
        """The manifest's (and samples/index.json's) record of the draw: enough to repeat it."""
        return {"seed": self.seed, "size": self.size, "period": self.period, "populations": {
            name: {"file": f"{FOLDER}/{name}.csv", "population_size": s.population_size, "drawn": len(s.rows),
                   "command": command(name, self.size, self.seed, self.period)}
            for name, s in self.samples.items()}}


def population_query(name: str) -> str:
    """The SQL of a population `vaultlab sample` accepts: a view, else a check's result rows."""
    if query := view_query(name):
        return query
    if name in check_names():
        return load_check(name).sql
    raise VaultlabError(f"unknown population {name!r}: give a view ({', '.join(VIEWS)}) "
                        f"or a check ({', '.join(check_names())})")


def populations(framework: str) -> list[str]:
    """The populations sampled for a framework: its requirements' evidence tables that are views."""
    return sorted({t for req in load_framework(framework).requirements for t in req.evidence if t in VIEWS})


def default_seed(framework: str, period: str) -> int:
    """A seed fixed by the run's inputs (framework and period label), below 2**32 so it is easy to type."""
    digest = hashlib.sha256(f"vaultlab sample {framework} {period}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def command(population: str, size: int, seed: int | str, period: str) -> str:
    """The `vaultlab sample` command that draws the same rows (the warehouse and --config aside)."""
    seed_text = str(seed) if isinstance(seed, int) else json.dumps(seed)
    return (f"vaultlab sample --population {population} --size {size} --seed {seed_text} "
            f"--period {period} --format csv")


def draw_samples(warehouse: str | Path, framework: str, period: str, size: int, seed: int | str | None = None,
                 *, config: str | None = None, lake: str = "", engine: str = "") -> PackSamples:
    """One sample of `size` rows per population of the framework, from a read-only warehouse, or from
    `lake` read by `engine` (duckdb or spark): the same rows either way (vaultlab/queries/sample.py)."""
    label = parse_period(period).label
    seed = default_seed(framework, label) if seed is None or str(seed).strip() == "" else as_seed(seed)
    drawn, names, scope = {}, populations(framework), parse_period(label)
    with _source(warehouse, lake, engine, load_config(config or None)) as source, \
            source.views_computed(scope, names):  # each population's view once, not in each of draw's queries
        for name in names:
            drawn[name] = draw(source, name, population_query(name), size=size, seed=seed, period=scope)
    return PackSamples(seed, size, label, drawn)


@contextmanager
def _source(warehouse: str | Path, lake: str, engine: str, thresholds: dict):
    """The read-only warehouse, or the engine over the lake (Spark's views computed once for the period)."""
    if not lake:
        with Warehouse(warehouse, read_only=True, create=False, thresholds=thresholds) as wh:
            yield wh
        return
    from vaultlab.lake.engines import open_engine

    source = open_engine(lake, engine or "duckdb", thresholds=thresholds)
    try:
        yield source
    finally:
        source.close()  # Spark: its cached views released before the report's notebook starts its own


def write_samples(pack: Path, drawn: PackSamples) -> dict:
    """samples/<population>.csv (as `vaultlab sample --format csv` prints it) and samples/index.json."""
    folder = pack / FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    for name, s in drawn.samples.items():
        (folder / f"{name}.csv").write_text(output.render(s.columns, s.rows, "csv"), encoding="utf-8")
    details = drawn.details()
    (folder / INDEX).write_text(json.dumps(details, indent=2) + "\n", encoding="utf-8")
    return details


def read_samples(pack: str | Path | None) -> dict:
    """samples/index.json of a pack folder being rendered, with each sample's rows; {} when none."""
    if not pack or not (Path(pack) / FOLDER / INDEX).is_file():
        return {}
    folder = Path(pack) / FOLDER
    details = json.loads((folder / INDEX).read_text(encoding="utf-8"))
    for name, entry in details["populations"].items():
        with open(folder / f"{name}.csv", encoding="utf-8", newline="") as fh:
            table = list(csv.reader(fh))
        entry["columns"], entry["rows"] = table[0], [tuple(r) for r in table[1:]]
    return details


def samples_html(samples: dict, req) -> str:
    """The samples drawn from a requirement's evidence populations, for its section of report.html."""
    parts = []
    for name in req.evidence:
        entry = samples.get("populations", {}).get(name) if samples else None
        if entry is None:
            continue
        esc = html.escape
        head = "".join(f"<th>{esc(c)}</th>" for c in entry["columns"])
        body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in entry["rows"])
        parts.append(
            f'<div class="sample"><h3>Sample: {esc(name)}</h3><p>{entry["drawn"]} of {entry["population_size"]} '
            f'row(s) drawn at random with seed {esc(str(samples["seed"]))}; the file is <code>{esc(entry["file"])}'
            f'</code>. The same rows: <code>{esc(entry["command"])}</code></p>'
            + (f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" if entry["rows"]
               else '<p class="muted">The population is empty in this period.</p>') + "</div>")
    return "\n".join(parts)


def describe_samples(pack: Path) -> str:
    """One line for the CLI: how many populations were sampled, with which seed, and how to repeat it."""
    details = json.loads((pack / FOLDER / INDEX).read_text(encoding="utf-8"))
    names = ", ".join(f"{n} ({e['drawn']} of {e['population_size']})" for n, e in details["populations"].items())
    return (f"samples (seed {details['seed']}): {names or 'no population'}; the same rows: vaultlab sample "
            f"--population NAME --size {details['size']} --seed {details['seed']} --period {details['period']}")
