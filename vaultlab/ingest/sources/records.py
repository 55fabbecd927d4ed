"""The columns every source's record SQL returns, the calls expanded in its text, and the
wrapper that completes a source's query.

The interface of a source's `<name>_records.sql` (also run from elsewhere, e.g. on a batch of
lines handed in by Spark): it reads the relation `batch(line bigint, raw blob)` (one record's
bytes per row; `file_id` is added by the caller around the query) and the parameter
`$max_line_bytes`, and returns one row per record (per secret for CloudTrail's batch calls)
with the columns of RECORD_TYPES. The `vl_*` calls below are expanded in its text; a caller
on another engine supplies its own expansions. Since 2026-12 `vl_record_hash` reads only its
argument (no longer the whole record's text) and `vl_canonical_json` replaces
`vl_json_tokens`: identities computed before differ, so records loaded by an earlier version
are not recognised as duplicates when they come again in another file (a file loaded whole is
still skipped by its SHA-256); rebuild such a warehouse from its logs.
"""

import re

from vaultlab.sqlfiles import sql_text

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
    "reason": "varchar", "excerpt": "blob", "rec_hash": "uhugeint", "kind": "varchar", "part": "integer",
    "plain_accessors": "integer",
}


# Times in records, read the same on every machine (never in the local time zone):
#   vl_timestamp(text)    a time without an offset is UTC; an impossible offset gives NULL
#   vl_bad_offset(text)   the text ends in an offset no place has (+24:00, +99:99)
#   vl_implausible(ts)    before 1990, or more than a day after the ingest (now(): the
#                         transaction's start); such a record is quarantined, so that no
#                         stored time can break a view (year 294247, infinity)
#   vl_record_hash(fields)  a record's identity for duplicate detection, the same whatever its
#                         layout (whitespace, escaping, key order: a log re-shipped through
#                         `jq -cS .`): an md5 over the struct of its fields as the one parse
#                         extracted them, with the parts kept as JSON text (headers, request
#                         parameters, responses) in vl_canonical_json form. No second parse of
#                         the record: its working memory is a few times the fields hashed, so a
#                         16 MiB record loads at the default memory limit (issue 12 item 8).
#   vl_canonical_json(x)  JSON text with its keys sorted at every depth, minified, escapes settled
#                         (json_normalize): the same text for any key order or layout
# They are expanded in the text of a format's SQL.
_OFFSETLESS = r"'^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?$'"
_OFFSET = r"'\d[+-]\d\d(:?\d\d)?$'"
_POSSIBLE_OFFSET = r"'\d[+-](0\d|1[0-4])(:?[0-5]\d)?$'"
_MACROS = {
    # a time ending in Z (most of them) has no offset to check: the regular expressions run on the rest
    "vl_bad_offset": (f"(not ends_with({{0}}, 'Z') and not regexp_matches({{0}}, {_OFFSETLESS})"
                      f" and regexp_matches({{0}}, {_OFFSET}) and not regexp_matches({{0}}, {_POSSIBLE_OFFSET}))"),
    "vl_timestamp": (f"(case when ends_with({{0}}, 'Z') then try_cast({{0}} as timestamptz)"
                     f" when regexp_matches({{0}}, {_OFFSETLESS})"
                     " then timezone('UTC', try_cast({0} as timestamp))"
                     " when vl_bad_offset({0}) then null else try_cast({0} as timestamptz) end)"),
    # md5, not hash(): stored hashes must match those of a later DuckDB version
    "vl_record_hash": "md5_number(({0})::varchar)",
    "vl_canonical_json": "json_normalize({0})",
    "vl_implausible": ("({0} < timestamptz '1990-01-01 00:00:00+00' or {0} > now() + interval 1 day"
                       " or not isfinite({0}))"),
}
_MACRO_NAME = re.compile(r"\b(" + "|".join(_MACROS) + r")\(")


def _expand(sql: str) -> str:
    """Expand the calls above, innermost (last) first; an argument runs to its matching parenthesis."""
    while calls := list(_MACRO_NAME.finditer(sql)):
        call = calls[-1]
        depth, end = 1, call.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            end += 1
        sql = sql[:call.start()] + _MACROS[call[1]].replace("{0}", sql[call.end():end - 1]) + sql[end:]
    return sql


def records_sql(name: str) -> str:
    """A source's `<name>.sql`, with the calls above expanded."""
    return _expand(sql_text("vaultlab.ingest.sources", name))


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
