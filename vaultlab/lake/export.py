"""`vaultlab lake export`: a warehouse's tables written into a lake, idempotently per partition.

Every table is first written by DuckDB (COPY ... (FORMAT parquet, PARTITION_BY ...)) into a
staging folder; only when all of them are written are they swapped into the lake: a table's
folder whole, or with --period only the `event_store` partitions of the period's days (every
other table is small and written whole). A failure before the swap leaves the lake as it was; a
second export of the same warehouse gives the same lake, with no duplicate rows.

On S3 the staged files are uploaded over the same keys (a PUT replaces an object whole) and the
keys of the replaced partitions that the new export did not write are deleted afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from vaultlab.errors import VaultlabError
from vaultlab.lake.layout import (
    COLUMN_TYPES,
    LAKE_TABLES,
    NULL_PARTITION,
    Lake,
    lake_document,
    normalise_uri,
    open_lake,
    write_document,
)
from vaultlab.period import Period
from vaultlab.sqlfiles import quote_ident, quote_literal
from vaultlab.warehouse import Warehouse


@dataclass
class Exported:
    lake: Lake
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows written
    partitions: list[str] = field(default_factory=list)  # event_store partitions replaced (source=S/event_date=D)


def _select(cur, table: str, period: Period | None) -> str:
    """The SELECT that writes `table`: its columns (retyped where Parquet needs), event_date for events."""
    columns = [r[0] for r in cur.execute(f"describe {quote_ident(table)}").fetchall()]
    casts = COLUMN_TYPES.get(table, {})
    items = [f"{quote_ident(c)}::{casts[c]} as {quote_ident(c)}" if c in casts else quote_ident(c) for c in columns]
    where = ""
    if table == "event_store":
        items.append("timezone('UTC', ts)::date as event_date")
        bounds = [f"ts >= '{period.start.isoformat()}'::timestamptz"] if period and period.start else []
        bounds += [f"ts < '{period.end.isoformat()}'::timestamptz"] if period and period.end else []
        where = " where " + " and ".join(bounds) if bounds else ""
    return f"select {', '.join(items)} from {quote_ident(table)}{where}"


def _days(period: Period) -> tuple[str | None, str | None]:
    first = period.start.date().isoformat() if period.start else None
    last = (period.end - timedelta(microseconds=1)).date().isoformat() if period.end else None
    return first, last


def _in_days(value: str, days: tuple[str | None, str | None]) -> bool:
    first, last = days
    if value == NULL_PARTITION:
        return False
    return (first is None or value >= first) and (last is None or value <= last)


def stage(wh: Warehouse, folder: Path, period: Period | None) -> dict[str, int]:
    """Write every lake table of the warehouse into `folder` (one sub-folder per table)."""
    rows: dict[str, int] = {}
    with wh.cursor() as cur:
        for table in LAKE_TABLES:
            query = _select(cur, table, period)
            target = folder / table
            if table == "event_store":
                written = cur.execute(f"copy ({query}) to {quote_literal(str(target))} (format parquet, "
                                      "partition_by (source, event_date), filename_pattern 'part-{i}', "
                                      "write_partition_columns false)")
            else:
                target.mkdir(parents=True)
                written = cur.execute(f"copy ({query}) to {quote_literal(str(target / 'part-0.parquet'))} "
                                      "(format parquet)")
            rows[table] = written.fetchall()[0][0]  # COPY returns the rows it wrote: no second pass
    return rows


def _partition_dirs(table_dir: Path) -> list[str]:
    """source=S/event_date=D paths under a local event_store folder."""
    return sorted(p.relative_to(table_dir).as_posix() for p in table_dir.glob("source=*/event_date=*") if p.is_dir())


def _replaced(existing: list[str], staged: list[str], period: Period | None) -> list[str]:
    """The partitions an export replaces: all (no period), else every one of the period's days."""
    if period is None:
        return sorted(set(existing) | set(staged))
    days = _days(period)
    return sorted({p for p in set(existing) | set(staged) if _in_days(p.rsplit("=", 1)[1], days)})


def _swap_local(staging: Path, root: Path, period: Period | None) -> list[str]:
    trash = root / f".trash-{uuid.uuid4().hex}"
    trash.mkdir()
    replaced: list[str] = []
    try:
        for table in LAKE_TABLES:
            target = root / table
            if table == "event_store" and period is not None:
                existing = _partition_dirs(target) if target.is_dir() else []
                staged = _partition_dirs(staging / table)
                replaced = _replaced(existing, staged, period)
                for part in replaced:
                    old, new = target / part, staging / table / part
                    if old.is_dir():
                        (trash / table / part).parent.mkdir(parents=True, exist_ok=True)
                        old.rename(trash / table / part)
                    if new.is_dir():
                        old.parent.mkdir(parents=True, exist_ok=True)
                        new.rename(old)
                continue
            if table == "event_store":
                replaced = _replaced(_partition_dirs(target) if target.is_dir() else [],
                                     _partition_dirs(staging / table), None)
            if target.exists():
                target.rename(trash / table)
            if (staging / table).is_dir():
                (staging / table).rename(target)
    finally:
        shutil.rmtree(trash, ignore_errors=True)
    return replaced


def _swap_s3(staging: Path, lake: Lake, period: Period | None) -> list[str]:
    from vaultlab.ingest.s3 import split_uri
    from vaultlab.lake import s3

    bucket, _ = split_uri(lake.uri)
    replaced: list[str] = []
    for table in LAKE_TABLES:
        uri = lake.table_uri(table)
        _, prefix = split_uri(uri)
        before = s3.list_keys(uri + "/")
        written = set(s3.upload_folder(staging / table, uri)) if (staging / table).is_dir() else set()
        stale = [k for k in before if k not in written]
        if table == "event_store":
            parts = sorted({k[len(prefix) + 1:].rsplit("/", 1)[0] for k in before + sorted(written) if "=" in k})
            replaced = _replaced(parts, [], period)
            if period is not None:
                stale = [k for k in stale if k[len(prefix) + 1:].rsplit("/", 1)[0] in replaced]
        s3.delete_keys(bucket, stale)
    return replaced


def export_lake(wh: Warehouse, uri: str, period: Period | None = None) -> Exported:
    """Write the warehouse's tables into the lake at `uri` (created when absent); see the module doc."""
    try:
        lake = open_lake(uri)
    except VaultlabError as err:
        if "no vaultlab lake" not in str(err):
            raise
        lake = Lake(normalise_uri(uri), wh.schema_version)
    if lake.schema_version != wh.schema_version and period is not None:
        raise VaultlabError(f"the lake at {lake.uri} holds schema {lake.schema_version}, the warehouse "
                            f"{wh.schema_version}; export the whole warehouse (without --period) first")
    if lake.is_s3:
        staging = Path(tempfile.mkdtemp(prefix="vaultlab-lake-"))
    else:
        Path(lake.uri).mkdir(parents=True, exist_ok=True)
        staging = Path(lake.uri) / f".staging-{uuid.uuid4().hex}"
        staging.mkdir()
    try:
        rows = stage(wh, staging, period)
        replaced = _swap_s3(staging, lake, period) if lake.is_s3 else _swap_local(staging, Path(lake.uri), period)
        write_document(lake.uri, lake_document(wh.schema_version))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Exported(Lake(lake.uri, wh.schema_version), rows, replaced)
