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


def draw(wh: Warehouse, name: str, query: str, *, size: int, seed: int | str, period: Period | None) -> Sample:
    """Draw `size` rows of the population `query` returns (named `name`) in `period`.

    `query` is the project's own SQL (a view through `view_query`, or a check's file), never text a
    user typed: it is composed as a subquery, identifiers are quoted, the positions are bound."""
    if size < 1:
        raise VaultlabError("the sample size must be at least 1")
    body = query.strip().rstrip(";")
    try:
        names, _ = wh.query(f"select * from ({body}) as population limit 0", period=period)
        every = ", ".join(quote_ident(c) for c in names)  # `order by all` is refused in a window
        ordered = f"select *, row_number() over (order by {every}) as {POSITION} from ({body}) as population"
        _, [(total,)] = wh.query(f"select count(*) from ({body}) as population", period=period)
        picked = positions(total, size, seed)
        columns, rows = wh.query(f"select * from ({ordered}) where {POSITION} in (select unnest(?::bigint[])) "
                                 f"order by {POSITION}", [picked], period=period)
    except VaultlabError as err:
        raise VaultlabError(f"the population {name!r} could not be read: {err}") from None
    columns = [POSITION] + [c for c in columns if c != POSITION]
    return Sample(name, as_seed(seed), total, columns, [(r[-1], *r[:-1]) for r in rows])
