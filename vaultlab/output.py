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


def render(columns: list[str], rows: list[tuple], fmt: str = "table", max_cell: int | None = None, *,
           width: int | None = None, colours: dict[str, str] | None = None) -> str:
    """The table format cuts cells longer than max_cell, and lines longer than `width` (a
    terminal's), and paints cells whose whole text is a key of `colours` (ANSI SGR codes);
    CSV and JSON never cut."""
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
    if width:
        widths = _fit(widths, [len(c) for c in columns], width)
        cells = [[v if len(v) <= w else v[: max(w - 1, 0)] + "…" for v, w in zip(r, widths)] for r in cells]

    def line(values, paint=False) -> str:
        parts = [_paint(v.ljust(w), colours.get(v) if paint and colours else None) for v, w in zip(values, widths)]
        return "  ".join(parts).rstrip()

    out = [line(columns), line(["-" * w for w in widths])] + [line(r, paint=True) for r in cells]
    return "\n".join(out) + "\n"


def _fit(widths: list[int], minimums: list[int], width: int) -> list[int]:
    """Narrow the widest columns (never below their header or 8) until a line fits `width`."""
    widths = list(widths)
    while sum(widths) + 2 * (len(widths) - 1) > width:
        i = max(range(len(widths)), key=lambda k: widths[k])
        floor = max(minimums[i], 8)
        if widths[i] <= floor:
            break
        widths[i] -= 1
    return widths


def _paint(text: str, code: str | None) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if code else text
