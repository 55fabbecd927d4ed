"""Spark over a lake: the lake's tables as Spark temp views, the views and checks transpiled from
their one DuckDB definition (vaultlab/lake/spark_sql.py), run by pyspark.

Local mode (`local[*]`, or $VAULTLAB_SPARK_MASTER) unless launched by spark-submit, whose master
(YARN, Kubernetes, standalone) is kept. The session time zone is UTC: times are UTC instants.
"""

from __future__ import annotations

import logging
import os
import shutil
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from vaultlab.config import load_config
from vaultlab.errors import VaultlabError
from vaultlab.lake.duck import has_files, readable_root
from vaultlab.lake.layout import LAKE_TABLES, PARTITIONS, Lake
from vaultlab.lake.spark_session import get_session
from vaultlab.lake.spark_sql import to_spark
from vaultlab.period import Period, now
from vaultlab.views import VIEWS, query_text

# DuckDB column types (vaultlab/schema.py) as Spark types; a lake column is read as its warehouse type
SPARK_TYPES = {"VARCHAR": "string", "INTEGER": "int", "BIGINT": "bigint", "BOOLEAN": "boolean",
               "TIMESTAMP WITH TIME ZONE": "timestamp", "JSON": "string", "VARCHAR[]": "array<string>",
               "UHUGEINT": "string", "DOUBLE": "double", "DATE": "date"}


def spark_session():
    """The active SparkSession, or a new one (one clear line when Java or pyspark is missing)."""
    try:
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
    except ImportError:
        raise VaultlabError("the Spark engine needs pyspark: pip install 'vaultlab[spark]'") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise VaultlabError("the Spark engine needs Java 17 (no java on PATH and no JAVA_HOME); install "
                            "openjdk-17-jre-headless, or use --engine duckdb")
    local = "spark.master" not in dict(SparkConf().getAll())  # spark-submit sets it; else local mode
    # a query that fails is reported once, as a VaultlabError line: not also as pyspark's JSON log record
    logging.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)
    # one session for the views and checks and for `lake ingest` (spark_session.get_session: the
    # Python workers run this interpreter, Parquet instants, UTC), with what the checks need besides
    return get_session(os.environ.get("VAULTLAB_SPARK_MASTER", "local[*]") if local else None, settings={
        **({"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "8"} if local else {}),
        "spark.log.level": "ERROR",
        "spark.sql.legacy.sizeOfNull": "false",  # size(NULL) is NULL, as DuckDB's len(NULL)
    })


def _warehouse_columns() -> dict[str, list[tuple[str, str]]]:
    """Each table's (column, DuckDB type), from the migrations run in an in-memory DuckDB."""
    import duckdb

    from vaultlab.schema import MIGRATIONS

    con = duckdb.connect(":memory:")
    try:
        for _, ddl in MIGRATIONS:
            con.execute(ddl)
        rows = con.execute("select table_name, column_name, data_type from information_schema.columns "
                           "order by table_name, ordinal_position").fetchall()
    finally:
        con.close()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        columns.setdefault(table, []).append((column, kind))
    return columns


def _spark_ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _plain(value):
    """A Spark value as DuckDB's Python client gives it: times as aware UTC instants, rows as tuples."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc) if value.tzinfo is None else value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    return value


_NONE = object()  # no views installed yet
_SHARED: dict[tuple, "SparkLake"] = {}  # per lake and thresholds: views cached once per process
_OWNER: list["SparkLake"] = []  # the SparkLake whose tables the session's temp views are now


class SparkLake:
    """The lake read by Spark: `query` and `evaluate_checks` as the check runner expects (CheckEngine).

    Temp views are the session's: two SparkLakes on one session take turns (`_activate`)."""

    @classmethod
    def shared(cls, lake: Lake, *, thresholds: dict[str, object] | None = None) -> "SparkLake":
        """One SparkLake per lake and thresholds in a process (its views computed and cached once)."""
        thresholds = dict(thresholds) if thresholds is not None else load_config()
        key = (lake.uri, tuple(sorted((k, str(v)) for k, v in thresholds.items())))
        if key not in _SHARED:
            _SHARED[key] = cls(lake, thresholds=thresholds)
        return _SHARED[key]

    def __init__(self, lake: Lake, *, thresholds: dict[str, object] | None = None, spark=None):
        self.lake = lake
        self.thresholds = dict(thresholds) if thresholds is not None else load_config()
        self.spark = spark or spark_session()
        self._mirror: Path | None = None
        self._installed: object = _NONE
        self.view_errors: dict[str, str] = {}
        self._cached: list[str] = []
        root = lake.uri
        if lake.is_s3 and self.spark.sparkContext.master.startswith("local"):
            root, self._mirror = readable_root(lake)  # local mode has no s3a connector: read a mirror
        elif lake.is_s3:
            root = "s3a://" + lake.uri.removeprefix("s3://")
        # Spark's ReorderJoin fails an assertion ("assertion failed", an INTERNAL_ERROR) on the views' pattern
        # of a one-row parameters CTE cross-joined at two levels (anomalies: `from events e, p` then
        # `from scope s, p`); without it joins keep their written order, which these queries were written in
        self.spark.conf.set("spark.sql.optimizer.excludedRules", "org.apache.spark.sql.catalyst.optimizer.ReorderJoin")
        self.spark.conf.set("spark.sql.legacy.sizeOfNull", "false")  # size(NULL) is NULL, as DuckDB's len(NULL)
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")  # whoever started the session
        self._root = root
        self._activate()

    def _activate(self) -> None:
        if _OWNER and _OWNER[0] is self:
            return
        if _OWNER:
            _OWNER[0]._uncache()
            _OWNER[0]._installed = _NONE
        _OWNER[:] = [self]
        self._register(self._root)
        self._installed = _NONE

    # -- the lake's tables ----------------------------------------------------------------
    def _register(self, root: str) -> None:
        from pyspark.sql.types import StructType

        columns = _warehouse_columns()
        for table in LAKE_TABLES:
            cols = columns[table]
            partitioned = table in PARTITIONS
            if root.startswith("s3a://") or has_files(root, table, partitioned):
                frame = self.spark.read.parquet(f"{root}/{table}")  # partitions discovered from the folders
            else:  # nothing written (an empty event_store): an empty table of the warehouse's columns
                schema = ", ".join(f"{_spark_ident(c)} {SPARK_TYPES[t]}" for c, t in cols)
                frame = self.spark.createDataFrame([], StructType.fromDDL(schema))
            frame.createOrReplaceTempView(f"lake_{table}")  # LAKE_TABLES: plain names
            # a column added by a later migration than the lake's files were written with reads as NULL
            select = ", ".join(f"cast({_spark_ident(c) if c in frame.columns else 'null'} as {SPARK_TYPES[t]}) "
                               f"as {_spark_ident(c)}" for c, t in cols)
            self.spark.sql(f"create or replace temp view {_spark_ident(table)} as select {select} "
                           f"from {_spark_ident('lake_' + table)}")
        events = ", ".join(_spark_ident(c) for c, _ in columns["events"])
        self.spark.sql(f"create or replace temp view `events` as select {events} from `event_store`")

    # -- the views, for one period ---------------------------------------------------------
    def values(self, period: Period | None) -> dict[str, object]:
        """What DuckDB reads from session variables: the thresholds, the period bounds and now."""
        return {**{k: v for k, v in self.thresholds.items()}, "vl_now": now(),
                "period_start": period.start if period else None, "period_end": period.end if period else None}

    def install(self, period: Period | None, *, cache: bool = False) -> dict[str, object]:
        self._activate()
        key = (period.start, period.end) if period else None
        values = self.values(period)
        if self._installed != key:
            self._uncache()
            self.view_errors: dict[str, str] = {}
            for name in VIEWS:  # a view that fails leaves the queries reading it to fail, each with its error
                try:
                    self.spark.sql(f"create or replace temp view {_spark_ident(name)} as "
                                   f"{to_spark(query_text(name), values)}")
                except Exception as err:
                    self.spark.catalog.dropTempView(name)
                    self.view_errors[name] = _first_line(err)
            self._installed = key
        if cache:  # each view once for all checks, as the DuckDB runner's temp tables
            self._cache(VIEWS)
        return values

    def _cache(self, names) -> None:
        for name in names:
            if name not in self._cached and name not in self.view_errors:
                self.spark.catalog.cacheTable(name)
                self._cached.append(name)

    @contextmanager
    def views_computed(self, period: Period | None, names: list[str] | None = None):
        """As `Warehouse.views_computed`: inside the block the named views (all by default) of `period` are
        computed once, into Spark's cache, rather than again in every query that reads them."""
        self.install(period)
        self._cache(VIEWS if names is None else names)
        yield

    def _uncache(self) -> None:
        for name in self._cached:
            self.spark.catalog.uncacheTable(name)
        self._cached = []

    # -- queries ---------------------------------------------------------------------------
    def _run(self, sql: str, values: dict, params=None) -> tuple[list[str], list[tuple]]:
        frame = self.spark.sql(to_spark(sql, values), args=list(params) if params else None)
        rows = frame.collect()
        return list(frame.columns), [tuple(_plain(v) for v in row) for row in rows]

    def query(self, query: str, params: list | None = None, *, period=None) -> tuple[list[str], list[tuple]]:
        """Run one DuckDB-dialect query on Spark; (column names, rows) as plain Python values."""
        period = period if period is None or isinstance(period, Period) else _parse(period)
        values = self.install(period)
        try:
            return self._run(query, values, params)
        except VaultlabError:
            raise
        except Exception as err:
            raise VaultlabError(f"query failed on Spark: {_first_line(err)}") from None

    def evaluate_checks(self, period: Period, checks: dict[str, str]):
        """((as-of date, period start, period end), {check: rows}) for the checks' SQL (CheckEngine)."""
        values = self.install(period, cache=True)
        _, bounds = self._run("select vl_as_of_date(), vl_period_start(), vl_period_end()", values)
        outcomes: dict[str, list[dict]] = {}
        for name, sql in checks.items():
            try:
                _, rows = self._run(sql, values)
                outcomes[name] = [{"check": name, "resource": r[0], "status": r[1], "reason": r[2]} for r in rows]
            except Exception as err:
                outcomes[name] = [{"check": name, "resource": None, "status": "error",
                                   "reason": f"the check failed: {_first_line(err)}"}]
        return bounds[0], outcomes

    # -- lifecycle -------------------------------------------------------------------------
    def close(self) -> None:
        """Drop the cached views and the local mirror of an s3:// lake."""
        self._uncache()
        self._installed = _NONE
        if self._mirror is not None:
            shutil.rmtree(self._mirror, ignore_errors=True)
        for key, shared in list(_SHARED.items()):
            if shared is self:
                del _SHARED[key]
        if _OWNER and _OWNER[0] is self:
            _OWNER.clear()

    def __enter__(self) -> "SparkLake":
        return self

    def __exit__(self, *exc) -> None:
        pass  # kept open (and its views cached) for the next command of this process; close() ends it


def _parse(period) -> Period:
    from vaultlab.period import parse_period

    return parse_period(str(period))


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return (text.splitlines() or [type(err).__name__])[0][:300]

