"""The public SQL surface: macros for the period and thresholds, and one view per query file.

Views read the period from the DuckDB variables `period_start` / `period_end` (UTC, end
exclusive) and each threshold from a variable of its name, falling back to the whole loaded
range and to the thresholds of the last vaultlab run (table `vl_config`). So in any DuckDB
client:

    SET VARIABLE period_start = TIMESTAMPTZ '2026-10-01 00:00:00+00';
    SET VARIABLE period_end   = TIMESTAMPTZ '2026-11-01 00:00:00+00';
    SELECT * FROM rotation_status;
"""

from __future__ import annotations

import hashlib
import re

from vaultlab.period import Period, now
from vaultlab.sqlfiles import quote_ident, sql_text

# dependency order: a view may read the ones before it
VIEWS = ["secrets", "access_inventory", "rotation_status", "orphaned_secrets", "anomalies",
         "audit_gaps", "source_coverage", "policy_drift", "policy_changes", "policy_findings"]

MACRO_FILES = ["period", "snapshots"]  # in order: a file may use the ones before it
CHECK_MACRO_FILES = ["evidence"]  # macros for checks, which read views: installed after them


def query_text(name: str) -> str:
    """The SQL of a view (`queries/<name>.sql`) or a named question (`queries/<folder>/<name>.sql`)."""
    return sql_text("vaultlab.queries", name)


def macros_text(names: list[str] = MACRO_FILES) -> str:
    return "\n".join(query_text(f"macros/{name}") for name in names)


def views_digest() -> str:
    digest = hashlib.sha256((macros_text() + macros_text(CHECK_MACRO_FILES)).encode())
    for name in VIEWS:
        digest.update(query_text(name).encode())
    return digest.hexdigest()


def views_read(*texts: str) -> list[str]:
    """The views that SQL texts read, directly, through the macros they call or through other views,
    in dependency order. Comments aside, a name that appears anywhere (even in a string) counts:
    computing a view that is not needed costs time, never a wrong result."""
    macros = dict(re.findall(r"create or replace macro (\w+)(.*?)(?=create or replace macro|\Z)",
                             macros_text(MACRO_FILES + CHECK_MACRO_FILES), flags=re.S))
    found: set[str] = set()
    todo = list(texts)
    while todo:
        for word in set(re.findall(r"\w+", re.sub(r"--[^\n]*", "", todo.pop()).lower())) - found:
            if word in VIEWS or word in macros:
                found.add(word)
                todo.append(query_text(word) if word in VIEWS else macros[word])
    return [name for name in VIEWS if name in found]


def install(cur, *, temporary: bool = False) -> None:
    """Create (or replace) the macros and views (temporary ones live in one session)."""
    verb = "create or replace temp " if temporary else "create or replace "
    cur.execute(macros_text().replace("create or replace ", verb))
    for name in VIEWS:
        cur.execute(verb + "view " + quote_ident(name) + " as\n" + query_text(name))
    cur.execute(macros_text(CHECK_MACRO_FILES).replace("create or replace ", verb))


def set_session(cur, period: Period | None, thresholds: dict[str, object]) -> None:
    """Bind the period and thresholds as DuckDB variables for one cursor."""
    for name, value in thresholds.items():
        cur.execute("set variable " + quote_ident(name) + " = ?", [str(value)])
    cur.execute("set variable vl_now = ?::timestamptz", [now()])  # a period not ended is covered until now
    if period and period.start:
        cur.execute("set variable period_start = ?::timestamptz", [period.start])
    else:
        cur.execute("reset variable period_start")
    if period and period.end:
        cur.execute("set variable period_end = ?::timestamptz", [period.end])
    else:
        cur.execute("reset variable period_end")
