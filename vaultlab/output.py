"""Render (columns, rows) as an aligned text table, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

FORMATS = ("table", "csv", "json")
MAX_CELL = 80


def to_plain(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return json.loads(json.dumps(value, default=str))
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def _csv_cell(value) -> str:
    plain = to_plain(value)
    if plain is None:
        return ""
    return plain if isinstance(plain, str) else json.dumps(plain)


def _cell(value, max_cell: int | None) -> str:
    if value is None:
        return ""
    plain = to_plain(value)
    text = plain if isinstance(plain, str) else json.dumps(plain)
    text = text.replace("\n", "\\n").replace("\t", "\\t")
    return text if max_cell is None or len(text) <= max_cell else text[: max_cell - 1] + "…"


def render(columns: list[str], rows: list[tuple], fmt: str = "table", max_cell: int | None = None) -> str:
    """The table format cuts cells longer than max_cell; CSV and JSON never cut."""
    if fmt == "json":
        return json.dumps([{c: to_plain(v) for c, v in zip(columns, row)} for row in rows], indent=2) + "\n"
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(v) for v in row])
        return buf.getvalue()
    cells = [[_cell(v, max_cell) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    line = lambda values: "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()  # noqa: E731
    out = [line(columns), line(["-" * w for w in widths])] + [line(r) for r in cells]
    return "\n".join(out) + "\n"
