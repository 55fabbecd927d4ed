"""DuckDB SQL to Spark SQL: the views, macros and checks are written once, in DuckDB's dialect, and
transpiled with sqlglot; this module holds the few named shims where the dialects differ.

The order: parse the DuckDB text (sqlglot), substitute the session values (`shim_session_values`),
rewrite the constructs whose meaning depends on types sqlglot cannot see (`shim_date_difference`),
expand the macros of vaultlab/queries/macros/*.sql in place (`expand_macros`), then rewrite the
functions whose Spark spelling sqlglot gets wrong or lacks (`shim_functions`) and print Spark SQL.
Spark runs with spark.sql.session.timeZone=UTC (see vaultlab/lake/spark.py), which several shims rely on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache

import sqlglot
from sqlglot import exp

from vaultlab.errors import VaultlabError
from vaultlab.views import CHECK_MACRO_FILES, MACRO_FILES, macros_text


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...]
    table: bool  # a table macro (used in FROM) or a scalar one
    body: exp.Expression


_MACRO = re.compile(r"create or replace macro\s+(\w+)\s*\(([^)]*)\)\s+as\s+(table\s+)?(.*)", re.S | re.I)


def _statements(text: str) -> list[str]:
    """The statements of a macro file: split at a `;` that ends a line (none occurs inside a string)."""
    return [s.strip() for s in re.split(r";[ \t]*(?:\n|$)", text) if s.strip()]


@cache
def macros() -> dict[str, Macro]:
    """Every macro of vaultlab/queries/macros, parsed once (DuckDB dialect)."""
    found: dict[str, Macro] = {}
    for statement in _statements(macros_text(MACRO_FILES) + "\n" + macros_text(CHECK_MACRO_FILES)):
        body_lines = [line for line in statement.splitlines() if not line.lstrip().startswith("--")]
        match = _MACRO.match("\n".join(body_lines).strip())
        if not match:
            continue
        name, params, table, body = match.groups()
        found[name.lower()] = Macro(name.lower(), tuple(p.strip() for p in params.split(",") if p.strip()),
                                    bool(table), sqlglot.parse_one(body, read="duckdb"))
    return found


def _everywhere(tree: exp.Expression, replace) -> exp.Expression:
    """tree.transform(replace), repeated until nothing changes: sqlglot does not descend into a node
    that `replace` has just put in, so a shim nested inside another is reached on a later pass."""
    for _ in range(50):
        before = tree.sql(dialect="duckdb")
        tree = tree.transform(replace)
        if tree.sql(dialect="duckdb") == before:
            return tree
    raise VaultlabError("a Spark SQL shim does not settle (it keeps rewriting its own output)")


def _literal(value) -> exp.Expression:
    """A Python value as a Spark SQL literal (times as UTC instants: the session time zone is UTC)."""
    if value is None:
        return exp.Null()
    if isinstance(value, datetime):
        utc = value.astimezone(timezone.utc).replace(tzinfo=None)
        return exp.cast(exp.Literal.string(utc.isoformat(sep=" ")), exp.DataType.build("timestamp"))
    return exp.Literal.string(str(value))


def _call_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return None


def _string_arg(node: exp.Expression) -> str | None:
    args = node.expressions if isinstance(node, exp.Anonymous) else []
    if len(args) == 1 and isinstance(args[0], exp.Literal) and args[0].is_string:
        return args[0].this
    return None


def shim_session_values(tree: exp.Expression, values: dict[str, object]) -> exp.Expression:
    """Spark has no session variables (DuckDB's SET VARIABLE / getvariable): the period bounds, `vl_now`
    and every threshold are substituted as literals. `vl_period_bound(name)` (which in DuckDB parses a
    variable's text, Python has done that already) becomes the bound itself, `vl_threshold(name)` and
    `getvariable(name)` the value's text, as DuckDB reads it."""
    def replace(node):
        name = _call_name(node)
        key = _string_arg(node) if name in ("vl_period_bound", "vl_threshold", "getvariable") else None
        if key is None:
            return node
        value = values.get(key)
        if name == "vl_period_bound" or key in ("vl_now", "period_start", "period_end"):
            return _literal(value)
        return _literal(None if value is None else str(value))
    return _everywhere(tree, replace)


_DATE_CALLS = {"vl_as_of_date", "vl_day"}


def _is_day_count(node: exp.Expression) -> bool:
    """An integer operand (a number of days), as opposed to a date."""
    if isinstance(node, exp.Paren):
        return _is_day_count(node.this)
    if isinstance(node, exp.Cast):
        return node.to.is_type(*exp.DataType.INTEGER_TYPES)
    return isinstance(node, exp.Literal) and not node.is_string


def shim_date_difference(tree: exp.Expression) -> exp.Expression:
    """DuckDB's `date - date` is a number of days; Spark's is an interval, which no integer compares
    with. A difference with a macro that yields a date (vl_as_of_date, vl_day) on one side and no day
    count on the other becomes datediff(left, right) (the same days, as an integer)."""
    def replace(node):
        if not isinstance(node, exp.Sub):
            return node
        left, right = node.this, node.expression
        if not any(_call_name(side) in _DATE_CALLS for side in (left, right)):
            return node
        if _is_day_count(left) or _is_day_count(right):
            return node
        return exp.Anonymous(this="datediff", expressions=[left, right])
    return _everywhere(tree, replace)


def _substitute(body: exp.Expression, params: tuple[str, ...], args: list[exp.Expression]) -> exp.Expression:
    if len(args) != len(params):
        raise VaultlabError(f"a macro takes {len(params)} argument(s), was given {len(args)}")
    bound = dict(zip(params, args))

    def replace(node):
        if isinstance(node, exp.Column) and not node.table and node.name in bound:
            return bound[node.name].copy()
        return node
    return body.copy().transform(replace)


def expand_macros(tree: exp.Expression, values: dict[str, object]) -> exp.Expression:
    """DuckDB macros, expanded in place: a scalar macro call becomes its body (parameters replaced by the
    arguments), a table macro in FROM a subquery of its body. Spark SQL has no macros, and a Spark SQL
    function cannot read tables; expansion keeps one definition for both engines."""
    known = macros()
    for _ in range(20):  # macros call macros: expand until none is left
        changed = False
        tree = shim_date_difference(shim_session_values(tree, values))  # before the calls they read go

        def replace(node):
            nonlocal changed
            if isinstance(node, exp.Table) and _call_name(node.this) in known:
                macro = known[_call_name(node.this)]
                changed = True
                body = _substitute(macro.body, macro.params, list(node.this.expressions))
                alias = node.alias or macro.name
                return exp.Subquery(this=body, alias=exp.TableAlias(this=exp.to_identifier(alias)))
            name = _call_name(node)
            if name in known and not known[name].table:
                macro = known[name]
                changed = True
                body = _substitute(macro.body, macro.params, list(node.expressions))
                return body if isinstance(body, exp.Subquery) else exp.Paren(this=body)
            return node
        tree = tree.transform(replace)
        if not changed:
            return tree
    raise VaultlabError("macros nest too deeply to expand (a macro that calls itself?)")


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def shim_functions(tree: exp.Expression) -> exp.Expression:
    """Functions whose Spark spelling sqlglot does not give (each line says why)."""
    def replace(node):
        name = _call_name(node)
        args = list(node.expressions) if isinstance(node, exp.Anonymous) else []
        # DuckDB timezone(zone, t): the wall time of instant t in a zone; Spark's from_utc_timestamp, read
        # in a UTC session, is the same wall time (sqlglot keeps a timezone() that Spark lacks)
        if name == "timezone" and len(args) == 2:
            return _fn("from_utc_timestamp", args[1], args[0])
        # to_days/to_minutes build intervals; Spark's make_dt_interval(days, hours, minutes, seconds)
        if isinstance(node, exp.ToDays) or name == "to_days":
            zero = exp.Literal.number(0)
            return _fn("make_dt_interval", node.this if not args else args[0], zero, zero.copy(), zero.copy())
        if name == "to_minutes":
            return _fn("make_dt_interval", exp.Literal.number(0), exp.Literal.number(0), args[0],
                       exp.Literal.number(0))
        # epoch(t) is seconds with microseconds in DuckDB; sqlglot's unix_timestamp drops the fraction
        if isinstance(node, exp.TimeToUnix) or name == "epoch":
            arg = node.this if isinstance(node, exp.TimeToUnix) else args[0]
            return exp.Div(this=exp.cast(_fn("unix_micros", arg), exp.DataType.build("double")),
                           expression=exp.Literal.number(1000000))
        # isodow is Monday=1..Sunday=7; Spark's weekday() is Monday=0 (sqlglot's dayofweek formula is off)
        if isinstance(node, exp.DayOfWeekIso) or name == "isodow":
            return exp.Add(this=_fn("weekday", node.this if not args else args[0]), expression=exp.Literal.number(1))
        # list_has_any: sqlglot prints the && operator, which Spark has no meaning for on arrays
        if isinstance(node, exp.ArrayOverlaps):
            return _fn("arrays_overlap", node.this, node.expression)
        # DuckDB's range(start, stop, step) excludes stop; Spark's sequence includes it. sqlglot's own
        # rewrite compares the step with 0, which Spark refuses for an interval step
        if isinstance(node, exp.GenerateSeries) and node.args.get("is_end_exclusive") and node.args.get("step"):
            start, stop, step = node.args["start"], node.args["end"], node.args["step"]
            return _fn("if", exp.GT(this=stop.copy(), expression=start.copy()),
                       _fn("sequence", start.copy(), exp.Sub(this=stop.copy(), expression=step.copy()), step.copy()),
                       _fn("array"))
        # strftime: sqlglot leaves literal letters (the T and Z of ISO 8601) unquoted, which Spark refuses
        if isinstance(node, exp.TimeToStr) and isinstance(node.args.get("format"), exp.Literal):
            return _fn("date_format", node.this, exp.Literal.string(spark_pattern(node.args["format"].this)))
        # json_extract_string(x, '$.a[*]') is a list of strings in DuckDB; Spark's get_json_object gives
        # the JSON text of the array, which from_json reads as one
        if isinstance(node, exp.JSONExtractScalar) and isinstance(node.expression, exp.JSONPath) \
                and isinstance(node.expression.expressions[-1], exp.JSONPathSubscript):
            path = exp.JSONPath(expressions=[e.copy() for e in node.expression.expressions[:-1]])
            return _fn("from_json", exp.JSONExtract(this=node.this.copy(), expression=path),
                       exp.Literal.string("array<string>"))
        # CTE materialisation hints (`as not materialized`) are DuckDB's; Spark plans CTEs itself
        if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
            node.set("materialized", None)
            return node
        return node
    return _everywhere(tree, replace)


# strftime's directives as Spark datetime pattern letters; any other letter is quoted as text
_STRFTIME = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss", "%%": "%"}


def spark_pattern(strftime: str) -> str:
    """A DuckDB strftime format as a Spark date_format pattern ('%Y-%m-%dT%H:%MZ' -> yyyy-MM-dd'T'HH:mm'Z')."""
    out, i = [], 0
    while i < len(strftime):
        code = strftime[i:i + 2]
        if code in _STRFTIME:
            out.append(_STRFTIME[code])
            i += 2
            continue
        if code.startswith("%"):
            raise VaultlabError(f"strftime directive {code} has no Spark shim (vaultlab/lake/spark_sql.py)")
        char = strftime[i]
        out.append(f"'{char}'" if char.isalpha() else "''" if char == "'" else char)
        i += 1
    return "".join(out)


def to_spark(sql: str, values: dict[str, object]) -> str:
    """One DuckDB SELECT (a view, a check, an evidence query) as Spark SQL, for one session's values."""
    # DuckDB's len() is a list's length, which sqlglot reads as length() of a string: array_length is
    # the same DuckDB function under a name sqlglot maps to Spark's size()
    sql = re.sub(r"\blen\(", "array_length(", sql, flags=re.I)
    tree = expand_macros(sqlglot.parse_one(sql, read="duckdb"), values)
    tree = shim_functions(tree)
    return tree.sql(dialect="spark")
