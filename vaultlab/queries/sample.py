"""`sample`: a random sample of a population (a view, or a check's result rows) that is the same
for the same inputs and seed on any machine.

The population is ordered totally by its values (every column, in order); the positions drawn are those
of Python's `random.Random(seed).sample`, whose sequence for an integer seed (or a text seed,
hashed with SHA-512) is stable across versions and platforms. DuckDB's own sampling is not
used: it is not stable across versions.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from vaultlab.errors import VaultlabError
from vaultlab.period import Period
from vaultlab.sqlfiles import quote_ident
from vaultlab.views import VIEWS
from vaultlab.warehouse import Warehouse

POSITION = "population_row"  # the drawn row's place in the ordered population (1 = the first)


@dataclass
class Sample:
    population: str
    seed: int | str
    population_size: int
    columns: list[str]
    rows: list[tuple]


def view_query(name: str) -> str | None:
    """The population of a view, or None when `name` is not one."""
    return f"select * from {quote_ident(name)}" if name in VIEWS else None


def as_seed(seed: int | str) -> int | str:
    """An integer seed as a number (so `--seed 7` and seed=7 draw alike), any other text as it is."""
    text = str(seed).strip()
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else text


def positions(population_size: int, size: int, seed: int | str) -> list[int]:
    """The 1-based positions drawn, in ascending order; all of them when size >= population_size."""
    if size >= population_size:
        return list(range(1, population_size + 1))
    return sorted(random.Random(as_seed(seed)).sample(range(1, population_size + 1), size))


def ordered_query(body: str, names: list[str], picks: int | None) -> str:
    """The population numbered in its total order, keeping the `picks` positions bound as parameters
    (None: every row, for a sample as large as its population).

    Every column is ordered ascending with NULLs last, written out (DuckDB's default, not Spark's), and
    the positions are one bound integer each (`in (?, ?, ...)`): the same SQL for DuckDB, over a warehouse
    or a lake, and for Spark (vaultlab/lake/spark_sql.py), which has no list parameters. (Lists compare
    element by element on both; only a NULL element inside a list sorts differently, last on DuckDB and
    first on Spark, and no population's lists hold one.)"""
    every = ", ".join(f"{quote_ident(c)} nulls last" for c in names)  # `order by all` is refused in a window
    ordered = f"select *, row_number() over (order by {every}) as {POSITION} from ({body}) as population"
    kept = "true" if picks is None else f"{POSITION} in ({', '.join('?' for _ in range(picks))})"
    return f"select * from ({ordered}) as ordered where {kept} order by {POSITION}"


def draw(wh: Warehouse, name: str, query: str, *, size: int, seed: int | str, period: Period | None) -> Sample:
    """Draw `size` rows of the population `query` returns (named `name`) in `period`, from `wh`: a
    warehouse, DuckDB over a lake, or Spark over one (vaultlab/lake/engines.py), the same rows from each.

    `query` is the project's own SQL (a view through `view_query`, or a check's file), never text a
    user typed: it is composed as a subquery, identifiers are quoted, the positions are bound."""
    if size < 1:
        raise VaultlabError("the sample size must be at least 1")
    body = query.strip().rstrip(";")
    try:
        names, _ = wh.query(f"select * from ({body}) as population limit 0", period=period)
        _, [(total,)] = wh.query(f"select count(*) from ({body}) as population", period=period)
        picked = positions(total, size, seed)
        if len(picked) == total:  # all of it (or none): no positions to bind
            columns, rows = wh.query(ordered_query(body, names, None), period=period) if total else ([], [])
        else:
            columns, rows = wh.query(ordered_query(body, names, len(picked)), picked, period=period)
    except VaultlabError as err:
        raise VaultlabError(f"the population {name!r} could not be read: {err}") from None
    columns = [POSITION] + [c for c in (columns or names) if c != POSITION]
    return Sample(name, as_seed(seed), total, columns, [(r[-1], *map(_utc, r[:-1])) for r in rows])


def _utc(value):
    """A time as a UTC instant, whatever time zone the engine's client gave it in (DuckDB: the machine's)."""
    return value.astimezone(timezone.utc) if isinstance(value, datetime) and value.tzinfo is not None else value
