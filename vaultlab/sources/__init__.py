"""One module per input format: how to recognise it and the SQL that normalises it.

Each module exposes `NAME`, `DESCRIPTION`, `recognises(record: dict) -> bool` (given the
first record of a file), `recognises_prefix(sample: bytes) -> bool` (for a first record too
long to parse) and `RECORDS_SQL`: a query over the Arrow batch `batch(line, raw)` that
returns, per record, the columns of `event_store` plus `reason, excerpt, rec_hash, kind,
part`. A record that names several secrets (CloudTrail's BatchGetSecretValue) gives one row
per secret, numbered by `part` from 0; every other record gives one row with part 0.
"""

from importlib.resources import files

# event_store columns a record carries, with their types: a format that has no value for
# one gets a typed NULL from `complete`
RECORD_TYPES = {
    "event_id": "varchar", "source": "varchar", "ts": "timestamptz", "actor": "varchar",
    "actor_name": "varchar", "actor_type": "varchar", "auth_method": "varchar", "token_id": "varchar",
    "token_ttl_s": "bigint", "policies": "varchar[]", "action": "varchar", "category": "varchar",
    "resource": "varchar", "mount": "varchar", "src_ip": "varchar", "user_agent": "varchar",
    "outcome": "varchar", "error": "varchar", "line": "bigint", "path": "varchar", "namespace": "varchar",
    "request_id": "varchar", "entity_id": "varchar", "token_type": "varchar", "client_token": "varchar",
    "issued_token_id": "varchar", "auth_token_ttl_s": "bigint", "auth_metadata": "json",
    "request_keys": "varchar[]", "response_keys": "varchar[]", "data_hmacs": "varchar[]",
    "raw_values": "integer", "account": "varchar", "region": "varchar", "source_host": "varchar",
    "resource_alias": "varchar",
    # bookkeeping (plain_accessors: token accessors in clear, an hmac_accessor=false device)
    "reason": "varchar", "excerpt": "varchar", "rec_hash": "uhugeint", "kind": "varchar", "part": "integer",
    "plain_accessors": "integer",
}


def sql_file(name: str) -> str:
    return (files("vaultlab") / "sql" / name).read_text()


def complete(sql: str, provided: set[str]) -> str:
    """Wrap a format's query so that it returns every record column, NULL where it has none."""
    unknown = provided - RECORD_TYPES.keys()
    if unknown:
        raise ValueError(f"not event_store columns: {sorted(unknown)}")
    columns = [_column(name, kind) if name in provided else f"{'0' if name == 'part' else 'null'}::{kind} as {name}"
               for name, kind in RECORD_TYPES.items()]
    return "select " + ", ".join(columns) + " from (\n" + sql + "\n)"


# bookkeeping columns whose text is kept as it is
_KEPT_AS_IS = {"reason", "excerpt", "kind"}


def _column(name: str, kind: str) -> str:
    """A provided column; an empty string of any source means nothing was said, so NULL."""
    if kind == "varchar" and name not in _KEPT_AS_IS:
        return f"nullif({name}, '') as {name}"
    return name


from . import azure, cloudtrail, gcp, vault  # noqa: E402  (they use the helpers above)

FORMATS = {module.NAME: module for module in (vault, cloudtrail, gcp, azure)}
