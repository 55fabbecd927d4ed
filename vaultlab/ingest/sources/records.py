"""The columns every source's record SQL returns, and the wrapper that completes a source's query."""

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
    # bookkeeping
    "reason": "varchar", "excerpt": "varchar", "rec_hash": "uhugeint", "kind": "varchar", "part": "integer",
}



def complete(sql: str, provided: set[str]) -> str:
    """Wrap a format's query so that it returns every record column, NULL where it has none."""
    unknown = provided - RECORD_TYPES.keys()
    if unknown:
        raise ValueError(f"not event_store columns: {sorted(unknown)}")
    columns = [name if name in provided else f"{'0' if name == 'part' else 'null'}::{kind} as {name}"
               for name, kind in RECORD_TYPES.items()]
    return "select " + ", ".join(columns) + " from (\n" + sql + "\n)"
