"""The lake layout: a warehouse's tables as Hive-partitioned Parquet that DuckDB and Spark both read.

A lake is a local folder or an `s3://bucket/prefix` holding

    _lake.json                       {"format": "vaultlab-lake", "lake_version": 1, "schema_version": N}
    event_store/source=vault/event_date=2026-10-01/part-0.parquet
    event_store/source=vault/event_date=__HIVE_DEFAULT_PARTITION__/part-0.parquet   (events without a time)
    ingest_files/part-0.parquet      (every other table: one folder, unpartitioned)
    ...

One folder per warehouse table, named as the table. `event_store` is partitioned by `source` and
`event_date` (the UTC day of `ts`), so a month's checks read only that month's folders (and the
baseline days before it). Times are UTC instants (Parquet TIMESTAMP isAdjustedToUTC), lists are
Parquet lists, JSON columns are strings; the 128-bit duplicate hashes (`request_hash`,
`response_hash`), which Parquet has no type for, are decimal strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from vaultlab.errors import VaultlabError
from vaultlab.schema import LATEST

LAKE_FILE = "_lake.json"
LAKE_FORMAT = "vaultlab-lake"
LAKE_VERSION = 1
PARTITIONS = {"event_store": ("source", "event_date")}  # every other table: unpartitioned
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # the partition value of a NULL (both engines read it as NULL)
PART_GLOB = "part-*.parquet"

# Every warehouse table (vaultlab/schema.py) but schema_version, which _lake.json carries.
LAKE_TABLES = (
    "event_store", "ingest_files", "quarantine",
    "inventory_snapshots", "inventory_rows", "inventory_rejects",
    "policy_snapshots", "policy_texts", "policy_rules",
    "check_runs", "control_results",
    "collect_runs", "collected_facts", "collect_gaps",
    "integrity_runs", "integrity_findings",
    "vl_config",
)

# Columns whose warehouse type Parquet cannot hold: stored as this type in the lake.
COLUMN_TYPES = {"event_store": {"request_hash": "varchar", "response_hash": "varchar"}}


def is_s3(uri: str) -> bool:
    return str(uri).startswith("s3://")


@dataclass(frozen=True)
class Lake:
    """A lake at a local folder or an s3:// URI (no trailing slash)."""

    uri: str
    schema_version: int

    def table_uri(self, table: str) -> str:
        if table not in LAKE_TABLES:
            raise VaultlabError(f"{table!r} is not a lake table; the lake holds {', '.join(LAKE_TABLES)}")
        return f"{self.uri}/{table}"

    def partition_columns(self, table: str) -> tuple[str, ...]:
        return PARTITIONS.get(table, ())

    @property
    def is_s3(self) -> bool:
        return is_s3(self.uri)


def lake_document(schema_version: int = LATEST) -> dict:
    return {"format": LAKE_FORMAT, "lake_version": LAKE_VERSION, "schema_version": schema_version}


def normalise_uri(uri: str) -> str:
    """An s3:// URI without a trailing slash, or an absolute local path."""
    uri = str(uri)
    if is_s3(uri):
        return uri.rstrip("/")
    return str(Path(uri).expanduser().absolute())


def _read_document(uri: str) -> dict | None:
    if is_s3(uri):
        from vaultlab.lake import s3

        text = s3.read_text(f"{uri}/{LAKE_FILE}")
    else:
        path = Path(uri) / LAKE_FILE
        text = path.read_text(encoding="utf-8") if path.is_file() else None
    if text is None:
        return None
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict) or document.get("format") != LAKE_FORMAT:
        raise VaultlabError(f"{uri}/{LAKE_FILE} is not a vaultlab lake description; give another lake")
    return document


def open_lake(uri: str, *, create: bool = False) -> Lake:
    """The lake at `uri`; with `create`, a new (empty) one is described there when none is.

    A missing lake is one line that says how to make one; a lake written by a newer vaultlab is refused."""
    uri = normalise_uri(uri)
    found = find_lake(uri)
    if found is not None:
        return found
    if not create:
        raise VaultlabError(f"no vaultlab lake at {uri}; create one with `vaultlab lake export`")
    write_document(uri, lake_document())
    return Lake(uri, LATEST)


def find_lake(uri: str) -> Lake | None:
    """The lake at `uri`, None when there is none (a lake written by a newer vaultlab is refused)."""
    uri = normalise_uri(uri)
    document = _read_document(uri)
    if document is None:
        return None
    version = document.get("lake_version")
    schema = document.get("schema_version")
    if version != LAKE_VERSION or not isinstance(schema, int) or schema > LATEST:
        raise VaultlabError(f"the lake at {uri} was written by another vaultlab version (lake {version}, schema "
                            f"{schema}); upgrade vaultlab or export the warehouse into a new lake")
    return Lake(uri, schema)


def write_document(uri: str, document: dict) -> None:
    text = json.dumps(document, indent=2) + "\n"
    if is_s3(uri):
        from vaultlab.lake import s3

        s3.write_text(f"{uri}/{LAKE_FILE}", text)
        return
    folder = Path(uri)
    folder.mkdir(parents=True, exist_ok=True)
    scratch = folder / (LAKE_FILE + ".tmp")
    scratch.write_text(text, encoding="utf-8")
    scratch.replace(folder / LAKE_FILE)
