"""The warehouse: one DuckDB file, owned by one `Warehouse` object."""

from __future__ import annotations

import itertools
import os
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb

from vaultlab import views
from vaultlab.config import load_config
from vaultlab.errors import VaultlabError
from vaultlab.modes import hold_owner_only, private_folder, release_owner_only
from vaultlab.period import Period, parse_period
from vaultlab.schema import LATEST, MIGRATIONS
from vaultlab.sqlfiles import quote_ident

DEFAULT_DB = "vaultlab.duckdb"
# DuckDB's working memory; it spills to disk beyond this. 512 MB keeps a 10M-line ingest
# under 1 GB of RSS at a small cost in speed (see benchmarks/README.md).
DEFAULT_MEMORY_LIMIT = "512MB"
# A new warehouse is written in the storage format of DuckDB 1.5, which the DuckDB CLI that users
# install (`pip install duckdb-cli`, 1.5.x; `duckdb` 1.5 releases) reads; DuckDB keeps a file's format
# when it writes to it later. A warehouse created before this setting keeps its newer format.
STORAGE_VERSION = "v1.5.0"


def default_db_path() -> Path:
    return Path(os.environ.get("VAULTLAB_DB") or DEFAULT_DB)


def missing_warehouse(path: Path) -> VaultlabError:
    """The one line every read command gives for a path that holds no warehouse."""
    return VaultlabError(f"no warehouse at {path}; create one with `vaultlab ingest`")


def require_warehouse(path: str | os.PathLike | None) -> Path:
    """The warehouse path, refused (nothing created) when no warehouse file is there."""
    path = Path(path) if path else default_db_path()
    if not path.is_file():
        raise missing_warehouse(path)
    return path


def _busy(err: duckdb.Error) -> bool:
    return "lock" in str(err).lower()


def _holder(err: duckdb.Error) -> str:
    pid = re.search(r"PID (\d+)", str(err))
    return f" (process {pid.group(1)})" if pid else ""


def _connect(path: Path, read_only: bool, config: dict, wait: float) -> duckdb.DuckDBPyConnection:
    """Open the file; while another process holds it, try again every half second for `wait` seconds."""
    deadline = time.monotonic() + max(wait, 0)
    told = False
    while True:
        try:
            if not read_only and not path.exists():
                config = {**config, "storage_compatibility_version": STORAGE_VERSION}
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.Error as err:
            if not _busy(err) or time.monotonic() >= deadline:
                raise
            if not told:
                print(f"vaultlab: the warehouse {path} is in use by another process{_holder(err)}; "
                      f"waiting up to {wait:g} s for it (--wait)", file=sys.stderr)
                told = True
            time.sleep(0.5)


def _explain_open_error(path: Path, err: duckdb.Error, wait: float = 0) -> VaultlabError:
    text = str(err)
    if _busy(err):
        waited = f" after waiting {wait:g} s" if wait > 0 else ""
        return VaultlabError(
            f"the warehouse {path} is in use by another vaultlab or DuckDB process{_holder(err)}{waited}; "
            "wait for it to finish (or give --wait SECONDS), or pass --db to use another file"
        )
    if "not a valid DuckDB database" in text:
        return VaultlabError(f"{path} is not a vaultlab warehouse (not a DuckDB file); pass --db with another path")
    return VaultlabError(f"cannot open the warehouse {path}: {text.splitlines()[0]}")


class Warehouse:
    """Owns the DuckDB connection: opens it, migrates the schema, hands out cursors.

    Driver errors are re-raised as `VaultlabError` with a message that says what to do.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False,
                 memory_limit: str | None = None, thresholds: dict[str, object] | None = None,
                 external_access: bool = True, create: bool = True, wait: float = 0):
        """`external_access=False` (what `vaultlab sql` uses) lets no query read or write any other
        file: no COPY ... TO, read_text(), read_csv(), ATTACH, INSTALL; and no setting can change.
        `create=False` (every read command) refuses a path that holds no warehouse; `wait` is how many
        seconds to wait for a warehouse another process holds (locked) before giving up."""
        self.path = Path(path) if path else default_db_path()
        self._computed: dict[tuple, str] = {}  # period (start, end) -> catalog of its views computed once
        self.thresholds = dict(thresholds) if thresholds is not None else load_config()
        if (read_only or not create) and not self.path.is_file():
            raise missing_warehouse(self.path)
        config = {"memory_limit": memory_limit or os.environ.get("VAULTLAB_MEMORY_LIMIT", DEFAULT_MEMORY_LIMIT),
                  "temp_directory": str(self._temp_folder())}
        hold_owner_only()  # the warehouse, its WAL and spill files: owner-only for as long as it is open
        try:
            self._con = _connect(self.path, read_only, config, wait)
        except duckdb.Error as err:
            release_owner_only()
            self._remove_temp()
            raise _explain_open_error(self.path, err, wait) from None
        self._held = True
        try:
            self._set_up(read_only, external_access)
        except BaseException:
            self.close()
            raise

    def _set_up(self, read_only: bool, external_access: bool) -> None:
        try:
            self._con.execute("set enable_progress_bar = false")  # ours is on stderr, when wanted
        except duckdb.Error:
            pass  # in a Jupyter kernel without ipywidgets DuckDB refuses to touch the setting
        if not external_access:  # after the connection is open: DuckDB refuses the temp folder otherwise
            self._con.execute("set enable_external_access = false")
            self._con.execute("set lock_configuration = true")
        if read_only:
            self._check_schema()
        else:
            self.path.chmod(0o600)
            self._migrate()
            self._install_views()

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        self._con.close()
        if self._held:
            self._held = False
            release_owner_only()
        self._remove_temp()

    def _remove_temp(self) -> None:
        try:
            self._temp.rmdir()  # ours, and empty once DuckDB has removed its spill files
        except OSError:
            pass

    def _temp_folder(self) -> Path:
        """DuckDB's spill folder beside the warehouse (its default name), created owner-only
        (0700) so that spilled warehouse data is never readable by others."""
        self._temp = self.path.with_name(self.path.name + ".tmp")
        try:
            private_folder(self._temp)
        except OSError:  # a folder we may not write, or a symlink planted there: a fresh one of our own
            self._temp = Path(tempfile.mkdtemp(prefix="vaultlab-spill-"))
        return self._temp

    def __enter__(self) -> "Warehouse":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- schema ------------------------------------------------------------------------
    def _migrate(self) -> None:
        con = self._con
        con.execute("create table if not exists schema_version (version integer, applied_at timestamptz)")
        current = con.execute("select coalesce(max(version), 0) from schema_version").fetchall()[0][0]
        if current > LATEST:
            raise VaultlabError(
                f"{self.path} was written by a newer vaultlab (schema {current} > {LATEST}); upgrade vaultlab"
            )
        for version, ddl in MIGRATIONS:
            if version <= current:
                continue
            with self.transaction() as cur:
                cur.execute(ddl)
                cur.execute("insert into schema_version values (?, now())", [version])

    def _install_views(self) -> None:
        """Views and thresholds as this vaultlab defines them, for any client of the file (written only
        when they differ: every command opens the warehouse, and rewriting them costs a checkpoint)."""
        wanted = {**{k: str(v) for k, v in self.thresholds.items()}, "views_sha256": views.views_digest()}
        try:
            if (dict(self._con.execute("select key, value from vl_config").fetchall()) == wanted
                    and set(views.VIEWS) <= {name for (name,) in self._con.execute(
                        "select view_name from duckdb_views() where database_name = current_database() "
                        "and schema_name = 'main'").fetchall()}):
                return
        except duckdb.Error:
            pass  # not readable as expected: install afresh
        with self.transaction() as cur:
            views.install(cur)
            cur.execute("delete from vl_config")
            cur.executemany("insert into vl_config values (?, ?)",
                            [[k, str(v)] for k, v in {**self.thresholds, "views_sha256": views.views_digest()}.items()])

    def _check_schema(self) -> None:
        try:
            version = self.schema_version
        except duckdb.Error:
            version = None
        digest = None
        if version == LATEST:
            rows = self._con.execute("select value from vl_config where key = 'views_sha256'").fetchall()
            digest = rows[0][0] if rows else None
        if version is None or (version == LATEST and digest is None):
            raise VaultlabError(
                f"{self.path} holds an unfinished warehouse (its creation was interrupted); finish it by opening it "
                "once for writing (e.g. `vaultlab ingest` of any file), or delete it and start again"
            )
        if version != LATEST or digest != views.views_digest():
            raise VaultlabError(
                f"{self.path} was written by another vaultlab version; open it once for writing "
                "(e.g. `vaultlab ingest` of any file) to upgrade it"
            )

    @property
    def schema_version(self) -> int:
        return self._con.execute("select max(version) from schema_version").fetchall()[0][0]

    # -- access ------------------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one operation; closed by the caller (or use it in a `with`)."""
        return self._con.cursor()

    @contextmanager
    def transaction(self):
        """A cursor inside one transaction: committed on success, rolled back on any error."""
        cur = self._con.cursor()
        cur.execute("begin transaction")
        try:
            yield cur
        except BaseException:
            cur.execute("rollback")
            cur.close()
            raise
        cur.execute("commit")
        cur.close()

    def session(self, period: Period | None = None):
        """A cursor with the period and thresholds bound as DuckDB variables (and, inside
        `views_computed` for this period, reading the views computed once)."""
        cur = self._con.cursor()
        views.set_session(cur, period, self.thresholds)
        catalog = self._computed.get(_period_key(period))
        if catalog:
            cur.execute(f"set search_path = '{catalog}.main,main'")
        return cur

    @contextmanager
    def views_computed(self, period: Period | None, names: list[str] | None = None):
        """Inside this block, every session for `period` reads the named views (all by default)
        computed once, rather than computing a view again in every query that reads it.

        Each view's query runs once into a table of an in-memory catalog put first on the session's
        search_path, so it shadows the view for unqualified names (a view reads the ones computed
        before it). Results are those of the views: the same SQL over the same data, which the
        warehouse lock keeps from changing meanwhile. A view that fails to compute is left out:
        whatever reads it gets its error as before. Nested for the same period, the outer block's
        tables serve; where the catalog cannot be attached (a locked configuration), the views serve."""
        key = _period_key(period)
        if key in self._computed:
            yield
            return
        catalog = f"vl_views_{next(_CATALOGS)}"
        try:
            self._con.execute(f"attach ':memory:' as {catalog} (read_only false)")
        except duckdb.Error:
            yield
            return
        try:
            with self.session(period) as cur:
                cur.execute(f"set search_path = '{catalog}.main,main'")
                for name in names if names is not None else views.VIEWS:
                    try:
                        cur.execute(f"create table {catalog}.main.{quote_ident(name)} as\n"
                                    + views.query_text(name))
                    except duckdb.Error:
                        pass  # what reads it fails with the view's own error
            self._computed[key] = catalog
            yield
        finally:
            self._computed.pop(key, None)
            self._con.execute("detach " + catalog)

    def bound_connection(self, period=None) -> "BoundConnection":
        """A DB-API connection for clients that open a cursor per query (jupysql's `%sql`): every
        cursor it hands out has the period and thresholds bound, as `session` does."""
        return BoundConnection(self, _as_period(period))

    def sql(self, query: str, params: list | dict | None = None, *, period=None):
        """Run one read query and return it as a polars DataFrame.

        `period` is a `Period` or a month "YYYY-MM"; without one, the whole loaded range.
        """
        import polars as pl  # here: ~0.1 s to import, and most commands never need it

        with self.session(_as_period(period)) as cur:
            try:
                return pl.from_arrow(cur.sql(query, params=params).to_arrow_table())
            except duckdb.Error as err:
                raise VaultlabError(f"query failed: {str(err).splitlines()[0]}") from None

    def query(self, query: str, params: list | dict | None = None, *,
              period=None) -> tuple[list[str], list[tuple]]:
        """Run one query and return (column names, rows) as plain Python values."""
        with self.session(_as_period(period)) as cur:
            try:
                res = cur.execute(query, params)
                cols = [d[0] for d in res.description] if res.description else []
                return cols, res.fetchall()
            except duckdb.Error as err:
                raise VaultlabError(f"query failed: {str(err).splitlines()[0]}") from None


class BoundConnection:
    """A session cursor that stands for a connection: `cursor()` gives another bound session; every
    other attribute (execute, sql, df, pl, close, ...) is the session's own."""

    def __init__(self, wh: Warehouse, period: Period | None):
        self._wh, self._period = wh, period
        self._session = wh.session(period)

    def cursor(self):
        return self._wh.session(self._period)

    def __getattr__(self, name):
        return getattr(self._session, name)


_CATALOGS = itertools.count(1)


def _period_key(period: Period | None) -> tuple:
    return (period.start, period.end) if period else (None, None)


def _as_period(period) -> "Period | None":
    if period is None or isinstance(period, Period):
        return period
    return parse_period(str(period))
