"""Secret inventories from files: CSV, JSON, YAML, and the rotation planner's JSON array.

Each `load_inventory` call is one dated snapshot. A row needs a `name`; a bad row (no name,
an unknown kind, a date that does not parse) is rejected with its row number and the good
rows load. Names become the canonical key that `events.resource` uses.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

from vaultlab.config import KINDS
from vaultlab.errors import VaultlabError
from vaultlab.period import now as clock_now
from vaultlab.safe_yaml import load_yaml_file
from vaultlab.warehouse import Warehouse

MAX_YAML_BYTES = 64 << 20  # YAML parses slowly and large: bigger inventories go in CSV or JSON
COLUMNS = ["name", "store", "kind", "owner", "environment", "created_at", "last_rotated_at",
           "last_accessed_at", "rotation_days", "expires_at"]
DATES = ["created_at", "last_rotated_at", "last_accessed_at", "expires_at"]
# the rotation planner's names for the same fields
ALIASES = {"type": "kind", "last_rotated": "last_rotated_at", "created": "created_at",
           "last_accessed": "last_accessed_at", "expires": "expires_at"}
KIND_ALIASES = {"db": "database", "api_key": "api-key", "apikey": "api-key", "api-token": "api-key",
                "ssh": "ssh-key", "ssh_key": "ssh-key", "tls": "tls-certificate", "certificate": "tls-certificate",
                "cert": "tls-certificate", "oauth": "oauth-secret", "oauth_secret": "oauth-secret",
                "token": "service-token", "service_token": "service-token", "encryption_key": "encryption-key",
                "key": "encryption-key"}
KV2_SEGMENTS = {"data", "metadata"}
AWS_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")  # the random tail Secrets Manager adds to an ARN
AWS_NOT_SUFFIX = re.compile(r"-[a-z]{6}$")  # six lower-case letters: a word of the name (db-backup), kept
GCP_VERSION = re.compile(r"/versions/[^/]+$")
AZURE_OBJECT = re.compile(r"^https://(?P<host>[^/]+)/(?P<kind>secrets|keys|certificates)/(?P<name>[^/]+)(/[^/]*)?/?$")
_TS = pa.timestamp("us", tz="UTC")
ROW_SCHEMA = pa.schema([("snapshot_id", pa.int32()), ("secret_id", pa.string()), ("store", pa.string()),
                        ("name", pa.string()), ("kind", pa.string()), ("owner", pa.string()),
                        ("environment", pa.string()), ("created_at", _TS), ("last_rotated_at", _TS),
                        ("last_accessed_at", _TS), ("rotation_days", pa.int32()), ("expires_at", _TS),
                        ("source", pa.string()), ("row_number", pa.int32())])


@dataclass
class InventoryResult:
    snapshot_id: int
    rows_loaded: int = 0
    rejects: list[tuple[str, int, str]] = field(default_factory=list)  # (file, row, reason)


def canonical_secret_id(name: str, store: str, row: dict | None = None) -> str:
    """The key events.resource uses for a secret of `store`.

    vault: the KV path without its data/ or metadata/ segment. aws: the ARN without its random
    -XXXXXX suffix, built from `region` and `account` columns when the row names the secret
    only (else the bare name, which events match through their resource_alias). gcp:
    projects/P/secrets/S without /versions/N (`project` column for a bare name). azure: the
    vault URI and /secrets/NAME without a version (`vault` column for a bare name).
    """
    name, row = name.strip(), row or {}
    if store == "vault":
        parts = name.strip("/").split("/")
        if len(parts) > 2 and parts[1] in KV2_SEGMENTS:
            return "/".join([parts[0]] + parts[2:])
        return name.strip("/")
    if store == "aws":
        arn = str(row.get("arn") or name).strip()
        if arn.startswith("arn:") and ":secret:" in arn:
            head, _, secret = arn.partition(":secret:")
            return head + ":secret:" + (secret if AWS_NOT_SUFFIX.search(secret) else AWS_SUFFIX.sub("", secret))
        if row.get("region") and row.get("account"):
            region = str(row["region"]).strip()
            partition = ("aws-cn" if region.startswith("cn-")
                         else "aws-us-gov" if region.startswith("us-gov-") else "aws")
            return f"arn:{partition}:secretsmanager:{region}:{str(row['account']).strip()}:secret:{name}"
        return name
    if store == "gcp":
        if not name.startswith("projects/") and row.get("project"):
            name = f"projects/{str(row['project']).strip()}/secrets/{name}"
        return GCP_VERSION.sub("", name)
    if store == "azure":
        if not name.startswith("https://") and row.get("vault"):
            vault = str(row["vault"]).strip().rstrip("/")
            vault = vault if vault.startswith("https://") else f"https://{vault}.vault.azure.net"
            name = f"{vault}/secrets/{name}"
        match = AZURE_OBJECT.match(name)
        return f"https://{match['host'].lower()}/{match['kind']}/{match['name']}" if match else name
    return name


def _read_rows(path: Path) -> list[dict]:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        data = load_yaml_file(path, "inventory", max_bytes=MAX_YAML_BYTES)
        return _secrets_list(path, data)
    text = path.read_text(encoding="utf-8-sig")
    try:
        if suffix == ".csv":
            return list(csv.DictReader(io.StringIO(text, newline="")))  # quoted line breaks stay in their field
        data = json.loads(text)
    except ValueError as err:
        kind = suffix.lstrip(".") or "JSON"
        raise VaultlabError(f"{path} cannot be read as {kind}: {str(err).splitlines()[0]}") from None
    return _secrets_list(path, data)


def _secrets_list(path: Path, data) -> list[dict]:
    if isinstance(data, dict):  # {"secrets": [...]} is accepted too
        data = data.get("secrets")
    if not isinstance(data, list):
        raise VaultlabError(f"{path} holds no list of secrets (a list, or a mapping with a `secrets` list)")
    return data


def _parse_date(value) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        parsed = datetime.fromisoformat(text)  # YYYY-MM-DD or ISO 8601, Z included
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _normalise(raw: dict, default_store: str) -> dict:
    if not isinstance(raw, dict):
        raise ValueError("not a mapping of column to value")
    row = {ALIASES.get(str(k).strip().lower(), str(k).strip().lower()): v for k, v in raw.items()}
    name = str(row.get("name") or "").strip()
    if not name:
        raise ValueError("no name")
    store = str(row.get("store") or default_store).strip().lower()
    kind = str(row.get("kind") or "other").strip().lower()
    kind = KIND_ALIASES.get(kind, kind)
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
    out = {"name": name, "store": store, "kind": kind,
           "owner": str(row["owner"]).strip() if row.get("owner") not in (None, "") else None,
           "environment": str(row["environment"]).strip() if row.get("environment") not in (None, "") else None}
    for column in DATES:
        try:
            out[column] = _parse_date(row.get(column))
        except ValueError:
            raise ValueError(f"{column} {row.get(column)!r} is not a date (YYYY-MM-DD or ISO 8601)") from None
    days = row.get("rotation_days")
    try:
        out["rotation_days"] = int(days) if days not in (None, "") else None
    except (TypeError, ValueError):
        raise ValueError(f"rotation_days {days!r} is not a whole number") from None
    if out["rotation_days"] is not None and out["rotation_days"] <= 0:
        raise ValueError(f"rotation_days {days!r} must be positive")
    # a live collector knows the key itself (a KV v2 secret may be named data/x); files give names
    given = str(row.get("secret_id") or "").strip()
    out["secret_id"] = given or canonical_secret_id(name, store, row)
    return out


def load_inventory(wh: Warehouse, paths: list[str], *, as_of: datetime | None = None,
                   default_store: str = "vault") -> InventoryResult:
    """Load inventory files as one snapshot (taken at `as_of`, default now)."""
    files = [Path(p) for p in paths]
    for path in files:
        if not path.is_file():
            raise VaultlabError(f"{path} does not exist")
    return _store([(str(path), _read_rows(path)) for path in files], wh, as_of, default_store)


def load_inventory_rows(wh: Warehouse, rows: list[dict], *, source: str, as_of: datetime | None = None,
                        default_store: str = "vault") -> InventoryResult:
    """Load rows in the inventory file format (from a live collector) as one snapshot."""
    return _store([(source, rows)], wh, as_of, default_store)


def _store(sources: list[tuple[str, list]], wh: Warehouse, as_of: datetime | None,
           default_store: str) -> InventoryResult:
    parsed: list[dict] = []
    rejects: list[tuple[str, int, str, str]] = []
    for source, raw_rows in sources:
        for number, raw in enumerate(raw_rows, start=1):
            try:
                parsed.append({**_normalise(raw, default_store), "source": source, "row_number": number})
            except ValueError as err:
                rejects.append((source, number, str(err), json.dumps(raw, default=str)[:1024]))
    now = datetime.now(timezone.utc)
    with wh.transaction() as cur:
        snapshot_id = cur.execute("select nextval('snapshot_ids')").fetchall()[0][0]
        cur.execute("insert into inventory_snapshots values (?, ?, ?, ?, ?, ?)",
                    [snapshot_id, as_of or clock_now(), now, [s for s, _ in sources], len(parsed), len(rejects)])
        if parsed:
            rows_table = pa.Table.from_pylist(  # noqa: F841 (read by DuckDB's replacement scan)
                [{"snapshot_id": snapshot_id, **r} for r in parsed], schema=ROW_SCHEMA)
            cur.execute("insert into inventory_rows by name select * from rows_table")  # replacement scan
        if rejects:
            cur.executemany("insert into inventory_rejects values (?, ?, ?, ?, ?)",
                            [[snapshot_id, *r] for r in rejects])
    return InventoryResult(snapshot_id, len(parsed), [(f, n, why) for f, n, why, _ in rejects])
