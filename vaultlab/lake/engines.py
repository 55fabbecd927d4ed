"""Choosing the engine that reads a lake: `--lake LAKE --engine duckdb|spark`.

Both give the same object shape: `query(sql, params, period=...)` -> (columns, rows), `thresholds`,
and for the Spark engine `evaluate_checks` (see vaultlab/controls/run.py's CheckEngine); the
DuckDB one is a read-only `Warehouse` over the lake.
"""

from __future__ import annotations

from vaultlab.errors import VaultlabError
from vaultlab.lake.layout import open_lake

ENGINES = ("duckdb", "spark")


def open_engine(uri: str, engine: str = "duckdb", *, thresholds: dict[str, object] | None = None,
                external_access: bool = True):
    """The lake at `uri` served by `engine`; a missing lake or engine is one line (VaultlabError)."""
    if engine not in ENGINES:
        raise VaultlabError(f"unknown engine {engine!r}; give one of {', '.join(ENGINES)}")
    lake = open_lake(uri)
    if engine == "spark":
        from vaultlab.lake.spark import SparkLake

        return SparkLake.shared(lake, thresholds=thresholds)
    from vaultlab.lake.duck import LakeWarehouse

    return LakeWarehouse(lake, thresholds=thresholds, external_access=external_access)
