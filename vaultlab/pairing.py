"""SQL that turns staged records into events: a Vault request joined with its response.

Records sharing a request id pair up (the n-th request with the n-th response, in time
order), including a lone half already in the warehouse from an earlier file: it is taken
out, paired, and put back as one event. Records without a request id stand alone.
"""

# How each event_store column is taken from a request record (R) and a response record (S).
REQUEST_FIRST = ["ts", "file_id", "line", "error", "request_keys"]
RESPONSE_ONLY = {
    "response_file_id": "max(file_id) filter (where kind = 'response')",
    "response_line": "max(line) filter (where kind = 'response')",
    "request_hash": "max(rec_hash) filter (where kind = 'request')",
    "response_hash": "max(rec_hash) filter (where kind = 'response')",
    "has_request": "bool_or(kind = 'request')",
    "has_response": "bool_or(kind = 'response')",
    "outcome": "case when bool_or(outcome = 'denied') then 'denied' "
               "when bool_or(outcome = 'error') then 'error' else 'ok' end",
    "data_hmacs": "list_sort(list_distinct(flatten(list(data_hmacs))))",
    "raw_values": "max(raw_values)",
}
EVENT_COLUMNS = [
    "event_id", "source", "ts", "actor", "actor_name", "actor_type", "auth_method", "token_id",
    "token_ttl_s", "policies", "action", "category", "resource", "mount", "src_ip", "user_agent",
    "outcome", "error", "file_id", "line", "path", "namespace", "request_id", "entity_id",
    "token_type", "client_token", "issued_token_id", "auth_token_ttl_s", "auth_metadata",
    "request_keys", "response_keys", "data_hmacs", "raw_values", "has_request", "has_response",
    "response_file_id", "response_line", "request_hash", "response_hash",
]
# columns a staged record carries (event columns that describe one record, plus bookkeeping)
RECORD_COLUMNS = [c for c in EVENT_COLUMNS if c not in RESPONSE_ONLY or c in ("outcome", "data_hmacs", "raw_values")]


def _merge(column: str) -> str:
    if column in RESPONSE_ONLY:
        return f"{RESPONSE_ONLY[column]} as {column}"
    first, second = ("request", "response") if column in REQUEST_FIRST else ("response", "request")
    return (f"coalesce(max({column}) filter (where kind = '{first}'), "
            f"max({column}) filter (where kind = '{second}')) as {column}")


# Stage -> `fresh`: the records of this file not seen before (in the warehouse or earlier
# in the same file). Parameters: $file_id, $ts_min/$ts_max (bounds the duplicate search).
SELECT_FRESH = f"""
create temp table fresh as
select {', '.join(c for c in RECORD_COLUMNS if c != 'file_id')}, $file_id::integer as file_id, rec_hash, kind
from stage s
where reason is null
  and rec_hash not in (
      select h from (select request_hash as h, ts from event_store
                     union all select response_hash, ts from event_store)
      where h is not null and ts between $ts_min::timestamptz - interval 1 day
                                     and $ts_max::timestamptz + interval 1 day)
qualify row_number() over (partition by rec_hash order by line) = 1
"""

# A lone half of a pair, loaded from an earlier file, whose other half is in this file.
_LONE_HALVES = """
from event_store
where not (has_request and has_response)
  and request_id in (select request_id from fresh where request_id is not null)
"""
PULL_LONE_HALVES = f"""
insert into fresh by name
select {', '.join(RECORD_COLUMNS)},
       coalesce(request_hash, response_hash) as rec_hash,
       case when has_request then 'request' else 'response' end as kind
{_LONE_HALVES}
"""
DELETE_LONE_HALVES = "delete " + _LONE_HALVES

INSERT_EVENTS = f"""
insert into event_store ({', '.join(EVENT_COLUMNS)})
select {', '.join(_merge(c) for c in EVENT_COLUMNS)}
from (select *, row_number() over (partition by coalesce(request_id, event_id), kind
                                   order by ts, file_id, line) as pair_no
      from fresh)
group by coalesce(request_id, event_id), pair_no
order by ts
"""
