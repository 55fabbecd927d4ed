"""The lake's layout: one folder per warehouse table, Hive-partitioned Parquet, and `_lake.json`.

(Provisional copy with the agreed API; the lake branch owns this module.)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from vaultlab.errors import VaultlabError
from vaultlab.schema import MIGRATIONS

LAKE_FILE = "_lake.json"
PARTITIONS = {"event_store": ("source", "event_date")}  # event_date: the UTC date of ts
LAKE_TABLES = ("event_store", "ingest_files", "quarantine")


@dataclass
class Lake:
    uri: str
    schema_version: int

    def table_uri(self, table: str) -> str:
        return f"{self.uri}/{table}"

    def partition_columns(self, table: str) -> tuple[str, ...]:
        return PARTITIONS.get(table, ())


def open_lake(uri: str, *, create: bool = False) -> Lake:
    """The lake at `uri` (a local folder; s3:// in the lake branch's version)."""
    uri = uri.rstrip("/")
    marker = os.path.join(uri, LAKE_FILE)
    version = max(number for number, _ in MIGRATIONS)
    if os.path.exists(marker):
        with open(marker, encoding="utf-8") as fh:
            found = json.load(fh)
        if found.get("format") != "vaultlab-lake":
            raise VaultlabError(f"{marker} is not a vaultlab lake marker")
        return Lake(uri, int(found["schema_version"]))
    if not create:
        raise VaultlabError(f"no lake at {uri} ({LAKE_FILE} is missing); create it with `vaultlab lake export`")
    os.makedirs(uri, exist_ok=True)
    with open(marker, "w", encoding="utf-8") as fh:
        json.dump({"format": "vaultlab-lake", "lake_version": 1, "schema_version": version}, fh)
    return Lake(uri, version)
