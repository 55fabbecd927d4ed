"""The report's HTML building blocks: escaping, status labels, tables, anchors, and the stylesheet
(screen at any width down to 1024 px, and print: A4 or Letter without cut columns).

Every value that reaches the page goes through `esc`: log fields are attacker-controlled.
"""

from __future__ import annotations

import html
import json
import re

STATUS_COLOURS = {"ok": "#1a7f37", "alarm": "#cf222e", "error": "#8250df", "excepted": "#9a6700",
                  "manual": "#0969da", "not_evaluated": "#bc4c00", "incomplete": "#bc4c00", "info": "#6e7781"}
SHORT = 10  # characters: a cell this short never wraps (counts, statuses, dates)
WIDE = 10  # columns: a table with more is set smaller
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:72rem;
padding:0 1rem;color:#1f2328;overflow-wrap:anywhere;font-variant-ligatures:none}
h1,h2,h3{line-height:1.2} h1{font-size:1.7rem} h2{margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.8rem;width:100%;table-layout:auto;max-width:100%}
th,td{border:1px solid #d0d7de;padding:.2rem .35rem;text-align:left;vertical-align:top;
overflow-wrap:anywhere;word-break:break-word}
th{background:#f6f8fa;overflow-wrap:normal;word-break:normal} td.short,.status{white-space:nowrap}
table.wide{font-size:.68rem} .status{font-weight:600} .muted{color:#6e7781}
.req{border-top:2px solid #d0d7de;margin-top:2rem}
tr.behind td{background:#fff8c5} tr:target td{background:#ffd8b5}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.78rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;border:1px solid #d0d7de;padding:.5rem}
code.cmd{background:#f6f8fa;padding:0 .2rem;white-space:normal}
.chart svg{max-width:100%;height:auto}
.partial,.lacking{border:2px solid #bc4c00;background:#fff1e5;padding:.5rem 1rem}
.cover{border-bottom:3px solid #1f2328;padding-bottom:1rem} .cover th{width:12rem}
.signoff td{height:2.5rem}
table.kv{width:auto;min-width:50%} table.kv th{width:14rem}
@page{margin:16mm 12mm 18mm 12mm}
@media print{
body{margin:0;max-width:none;padding:0;font-size:9.5pt}
table{font-size:7.5pt;page-break-inside:auto} td.short{white-space:normal} th{overflow-wrap:anywhere}
thead{display:table-header-group} tfoot{display:table-footer-group}
tr,td,th,li,.chart,svg,pre{break-inside:avoid;page-break-inside:avoid}
h1,h2,h3{break-after:avoid;page-break-after:avoid}
.req,.appendix,.signoff-section{break-before:page;page-break-before:always}
a{color:inherit;text-decoration:none} tr.behind td{background:#fff8c5 !important;print-color-adjust:exact}
}
"""


def esc(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        value = json.dumps(value, default=str)
    elif hasattr(value, "isoformat"):
        value = value.isoformat().replace("+00:00", "Z")  # UTC, as every time in the report
    return html.escape(str(value), quote=True)


def style_html() -> str:
    return f"<style>{CSS}</style>"


def status_html(status: str) -> str:
    colour = STATUS_COLOURS.get(status, "#1f2328")
    return f'<span class="status" style="color:{colour}">{esc(status)}</span>'


def anchor(*parts) -> str:
    """An id safe in HTML and in a URL fragment, built from any text (requirement ids hold brackets)."""
    return "-".join(re.sub(r"[^A-Za-z0-9_]+", "_", str(p)).strip("_") or "x" for p in parts)


def link(target: str, text: str) -> str:
    """A link to an anchor of this page; `text` is escaped here."""
    return f'<a href="#{esc(target)}">{esc(text)}</a>'


def table_html(columns: list[str], rows: list[tuple], limit: int | None = None, *, css: str = "",
               row_ids: list[str] | None = None, row_classes: list[str] | None = None,
               raw_columns: frozenset[int] = frozenset()) -> str:
    """A table with escaped cells (columns listed in `raw_columns` hold HTML built here, already escaped)."""
    if not rows:
        return '<p class="muted">No rows.</p>'
    head = "".join(f"<th>{esc(c).replace('_', '_<wbr>')}</th>" for c in columns)  # headers break at _
    body = []
    for n, row in enumerate(rows[:limit]):
        attrs = ""
        if row_ids:
            attrs += f' id="{esc(row_ids[n])}"'
        if row_classes and row_classes[n]:
            attrs += f' class="{esc(row_classes[n])}"'
        cells = "".join(f"<td>{v}</td>" if i in raw_columns else _cell(v) for i, v in enumerate(row))
        body.append(f"<tr{attrs}>{cells}</tr>")
    css = " ".join(filter(None, [css, "wide" if len(columns) > WIDE else ""]))
    cls = f' class="{esc(css)}"' if css else ""
    return f"<table{cls}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _cell(value) -> str:
    """A cell; a short value without spaces (a number, a status, a date) is kept on one line."""
    text = esc(value)
    short = len(text) <= SHORT and " " not in text
    return f'<td class="short">{text}</td>' if short else f"<td>{text}</td>"


def kv_html(pairs: list[tuple[str, object]]) -> str:
    """A two-column table of labels and values (the cover, the counts)."""
    return ('<table class="kv"><tbody>' + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in pairs)
            + "</tbody></table>")
