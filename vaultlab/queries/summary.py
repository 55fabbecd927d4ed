"""What the warehouse holds: sources, time range, events by category, the ledger."""

from __future__ import annotations

from vaultlab.views import query_text
from vaultlab.warehouse import Warehouse

INFO_TABLES = ["sources", "categories", "files", "quarantine"]


def describe(wh: Warehouse) -> dict[str, tuple[list[str], list[tuple]]]:
    """Named tables (columns, rows) that `vaultlab info` prints."""
    return {name: wh.query(query_text(f"questions/info_{name}")) for name in INFO_TABLES}
