"""DuckDB over a lake: an in-memory DuckDB whose tables are views over the lake's Parquet.

The warehouse's schema is created in memory (the same migrations), then every lake table is
replaced by a view over `read_parquet(..., hive_partitioning)` cast back to the warehouse's column
types, and the usual macros and views are installed on top (vaultlab/views.py): every view, check
and question then runs unchanged. An s3:// lake is read with DuckDB's httpfs extension where it
is installed, else mirrored into a local folder first (vaultlab/lake/s3.py).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb

from vaultlab import views
from vaultlab.config import load_config
from vaultlab.lake.layout import LAKE_TABLES, Lake
from vaultlab.schema import MIGRATIONS
from vaultlab.sqlfiles import quote_ident
from vaultlab.warehouse import Warehouse


def readable_root(lake: Lake, con: duckdb.DuckDBPyConnection | None = None) -> tuple[str, Path | None]:
    """Where an engine reads the lake: its URI, or a local mirror of an s3:// lake (and that folder,
    for the caller to remove)."""
    if not lake.is_s3:
        return lake.uri, None
    if con is not None:
        try:
            con.execute("load httpfs")
            con.execute("create secret (type s3, provider credential_chain)")
            return lake.uri, None
        except duckdb.Error:
            pass  # no httpfs here (an offline machine): read a mirror
    from vaultlab.lake import s3

    folder = Path(tempfile.mkdtemp(prefix="vaultlab-lake-mirror-"))
    return str(s3.mirror(lake.uri, folder)), folder


def table_files(root: str, table: str, partitioned: bool) -> str:
    return f"{root}/{table}/" + ("*/*/part-*.parquet" if partitioned else "part-*.parquet")


def has_files(root: str, table: str, partitioned: bool) -> bool:
    if root.startswith("s3://"):
        return True  # read with httpfs: a missing table fails when read, with its own error
    pattern = table_files("", table, partitioned).lstrip("/")
    return next(Path(root).glob(pattern), None) is not None


def attach_lake(con: duckdb.DuckDBPyConnection, root: str) -> None:
    """The warehouse schema in memory, each table replaced by a view over the lake's files."""
    for _, ddl in MIGRATIONS:
        con.execute(ddl)
    for table in LAKE_TABLES:
        partitioned = table == "event_store"
        if not has_files(root, table, partitioned):
            continue  # nothing written (an empty event_store): the empty table stands
        columns = con.execute("select column_name, data_type from information_schema.columns "
                              "where table_name = ? order by ordinal_position", [table]).fetchall()
        files = table_files(root, table, partitioned)
        source = f"read_parquet('{files}', hive_partitioning = {str(partitioned).lower()}, union_by_name = true)"
        present = {d[0] for d in con.execute(f"select * from {source} limit 0").description}
        # a column added by a later migration than the lake's files were written with reads as NULL
        select = ", ".join(f"{quote_ident(c) if c in present else 'null'}::{t} as {quote_ident(c)}"
                           for c, t in columns)
        con.execute(f"drop table {quote_ident(table)}")
        con.execute(f"create view {quote_ident(table)} as select {select} from {source}")
    views.install(con)


class LakeWarehouse(Warehouse):
    """A `Warehouse` (read-only) whose tables are the lake's: `session`, `query`, `sql` work as on a file."""

    def __init__(self, lake: Lake, *, thresholds: dict[str, object] | None = None, memory_limit: str | None = None,
                 external_access: bool = True):
        """`external_access=False` (what `vaultlab sql` uses): queries read the lake's files and no others,
        and no setting can change (as on a warehouse file)."""
        self.lake = lake
        self.path = Path(lake.uri) if not lake.is_s3 else Path(lake.uri.replace("s3://", "s3/"))
        self.thresholds = dict(thresholds) if thresholds is not None else load_config()
        self._held = False
        self._computed: dict[tuple, str] = {}  # as Warehouse: views computed once per period (views_computed)
        self._temp = Path(tempfile.mkdtemp(prefix="vaultlab-lake-spill-"))
        self._con = duckdb.connect(":memory:", config={"temp_directory": str(self._temp),
                                                       **({"memory_limit": memory_limit} if memory_limit else {})})
        self._mirror = None
        try:
            try:
                self._con.execute("set enable_progress_bar = false")
            except duckdb.Error:
                pass  # in a Jupyter kernel without ipywidgets DuckDB refuses to touch the setting (as Warehouse)
            root, self._mirror = readable_root(lake, self._con)
            attach_lake(self._con, root)
            if not external_access:
                self._con.execute("set allowed_directories = ?", [[root.rstrip("/") + "/"]])
                self._con.execute("set enable_external_access = false")
                self._con.execute("set lock_configuration = true")
        except BaseException:
            self.close()
            raise

    @property
    def schema_version(self) -> int:
        return self.lake.schema_version

    def close(self) -> None:
        super().close()
        shutil.rmtree(self._temp, ignore_errors=True)
        if self._mirror is not None:
            shutil.rmtree(self._mirror, ignore_errors=True)
