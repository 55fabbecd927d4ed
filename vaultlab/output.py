"""Render (columns, rows) as an aligned text table, CSV or JSON."""

from __future__ import annotations

import json
import numbers
import re
from datetime import date, datetime

FORMATS = ("table", "csv", "json")
MAX_CELL = 80
# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a terminal shows
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SHORT = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# cells a spreadsheet would run as a formula (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def visible(text: str) -> str:
    """Control characters as visible escapes (\\n, \\x1b, \\u202e): log fields never drive the terminal."""
    return CONTROL.sub(lambda m: SHORT.get(m.group()) or (f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                                          else f"\\u{ord(m.group()):04x}"), text)


def csv_safe(value):
    """A CSV cell: text that a spreadsheet would run as a formula gets a leading ' ; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_field(value) -> str:
    text = "" if value is None else str(value)
    if any(ch in text for ch in ',"\r\n'):  # Python 3.11's csv module leaves a bare CR unquoted
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_row(values: list) -> str:
    fields = [_csv_field(csv_safe(v)) for v in values]
    return ('""' if fields == [""] else ",".join(fields)) + "\n"


def write_csv(columns: list[str], rows, cell=None) -> str:
    """The one CSV writer for every CSV vaultlab writes (evidence tables, --format csv): RFC 4180
    quoting (every field holding a comma, quote, CR or LF), LF line ends, formula-like text neutralised."""
    return _csv_row([str(c) for c in columns]) + "".join(_csv_row([cell(v) if cell else v for v in row])
                                                         for row in rows)


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


def _csv_cell(value):
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return value  # a number, never a formula (a negative one included)
    plain = to_plain(value)
    if plain is None:
        return ""
    return plain if isinstance(plain, str) else json.dumps(plain)


def _cell(value, max_cell: int | None) -> str:
    if value is None:
        return ""
    plain = to_plain(value)
    text = visible(plain if isinstance(plain, str) else json.dumps(plain))
    return text if max_cell is None or len(text) <= max_cell else text[: max_cell - 1] + "…"


def render(columns: list[str], rows: list[tuple], fmt: str = "table", max_cell: int | None = None, *,
           width: int | None = None, colours: dict[str, str] | None = None) -> str:
    """The table format cuts cells longer than max_cell, and lines longer than `width` (a
    terminal's), and paints cells whose whole text is a key of `colours` (ANSI SGR codes);
    CSV and JSON never cut."""
    if fmt == "json":
        return json.dumps([{c: to_plain(v) for c, v in zip(columns, row)} for row in rows], indent=2) + "\n"
    if fmt == "csv":
        return write_csv(columns, rows, _csv_cell)
    columns = [visible(str(c)) for c in columns]
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
