"""SQL that turns staged records into events: a Vault request joined with its response.

Records sharing a request id pair up (the n-th request with the n-th response, in time
order), including a lone half already in the warehouse from an earlier file: it is taken
out, paired, and put back as one event. Records without a request id stand alone.
"""

from dataclasses import dataclass

from vaultlab.ingest import excerpts

EVENT_COLUMNS = [
    "event_id", "source", "ts", "actor", "actor_name", "actor_type", "auth_method", "token_id",
    "token_ttl_s", "policies", "action", "category", "resource", "mount", "src_ip", "user_agent",
    "outcome", "error", "file_id", "line", "path", "namespace", "request_id", "entity_id",
    "token_type", "client_token", "issued_token_id", "auth_token_ttl_s", "auth_metadata",
    "request_keys", "response_keys", "data_hmacs", "raw_values", "has_request", "has_response",
    "response_file_id", "response_line", "request_hash", "response_hash",
    "account", "region", "source_host", "resource_alias",
]
# How an event column is made from its request record `r` and response record `s`:
# by default the response's value, else the request's (a Vault response record repeats
# its request, so its data HMACs include the request's); these take the request's first,
# and the rest are computed.
REQUEST_FIRST = {"ts", "file_id", "line", "error", "request_keys",
                 "user_agent"}  # the request's audited header; a response may carry only its HMAC
COMPUTED = {
    "response_file_id": "s.file_id",
    "response_line": "s.line",
    "request_hash": "r.rec_hash",
    "response_hash": "s.rec_hash",
    "has_request": "r.kind is not null",
    "has_response": "s.kind is not null",
    "outcome": "case when 'denied' in (r.outcome, s.outcome) then 'denied' "
               "when 'error' in (r.outcome, s.outcome) then 'error' else 'ok' end",
    "raw_values": "greatest(r.raw_values, s.raw_values)",
}
# the columns a staged record carries
RECORD_COLUMNS = [c for c in EVENT_COLUMNS if c not in COMPUTED or c in ("outcome", "raw_values")]


def _merge(column: str) -> str:
    if column in COMPUTED:
        return f"{COMPUTED[column]} as {column}"
    first, second = ("r", "s") if column in REQUEST_FIRST else ("s", "r")
    return f"coalesce({first}.{column}, {second}.{column}) as {column}"


# The records of the current segment to load: good ones, minus those in `skipped`, plus
# lone halves pulled back from the warehouse (they carry an older file_id, never in `skipped`).
_FRESH = """
fresh as (
    select * from vl_stage s
    where reason is null and not exists (select 1 from skipped k where k.file_id = s.file_id and k.line = s.line)
)
"""

# orders records across the files of a group (a file's lines stay below 10^10)
POSITION = "(file_id::bigint * 10000000000 + line)"

# Records of this segment (of one file, or of a group of small files) already in the
# warehouse (from an earlier file, or earlier in this one), or repeating an earlier record of
# the segment. $ts_min/$ts_max bound the search, and events sharing a request id with the
# segment are always searched: an event's time is its request's, and its response may come
# any time later (a late file, a skewed clock).
SELECT_SKIPPED = f"""
create or replace temp table skipped as
with repeated as (
    select rec_hash, min({POSITION}) as first_at from vl_stage where reason is null
    group by rec_hash having count(*) > 1
),
known as (
    select h from (select request_hash as h, ts, request_id from event_store
                   union all select response_hash, ts, request_id from event_store)
    where h is not null and (ts between $ts_min::timestamptz - interval 1 day
                                    and $ts_max::timestamptz + interval 1 day
                             or request_id in (select request_id from vl_stage where request_id is not null))
)
select distinct file_id, line from vl_stage s
where reason is null
  and (rec_hash in (select h from known)
       or exists (select 1 from repeated d
                  where d.rec_hash = s.rec_hash and s.file_id::bigint * 10000000000 + s.line > d.first_at))
"""

# A lone half of a pair, loaded earlier, whose other half is in this segment.
_LONE_HALVES = f"""
from event_store
where not (has_request and has_response)
  and request_id in (with {_FRESH} select request_id from fresh where request_id is not null)
"""
PULL_LONE_HALVES = f"""
insert into vl_stage by name
select {', '.join(RECORD_COLUMNS)},
       coalesce(request_hash, response_hash) as rec_hash,
       case when has_request then 'request' else 'response' end as kind
{_LONE_HALVES}
"""
DELETE_LONE_HALVES = "delete " + _LONE_HALVES

# Pair keys that occur more than once per kind (rare: a request forwarded between nodes).
COUNT_REPEATED_KEYS = f"""
with {_FRESH}
select count(*) from (select 1 from fresh group by coalesce(request_id, event_id), kind having count(*) > 1)
"""


# event_id names one event: a source that reuses an id for other content (CloudTrail does;
# Vault's request ids repeat across forwarded requests) keeps it for the first event loaded,
# in file order, and gives each later one the id with a tilde and the first 10 hex digits of
# its record's hash: the same input always gets the same ids. `exists`, not `in`: the join is
# built over the new events and probes event_store, never a hash table of every stored id.
UNIQUE_EVENT_IDS = """
select * exclude (clash) replace (
    case when clash then event_id || '~' || left(lpad(lower(hex(coalesce(request_hash, response_hash))), 32, '0'), 10)
         else event_id end as event_id)
from (select *, row_number() over (partition by event_id order by file_id, line) > 1
                or exists (select 1 from event_store x where x.event_id = e.event_id) as clash
      from {events} e)
"""


def _merged(numbering: str) -> str:
    # `not materialized`: DuckDB would otherwise copy every wide row of `numbered` (read twice,
    # once per half) into a CTE before the join: a fifth of the insert (measured)
    return f"""
with {_FRESH.replace("fresh as (", "fresh as not materialized (")},
keyed as not materialized (select *, coalesce(request_id, event_id) as pair_key from fresh),
numbered as not materialized ({numbering}),
merged as (
    select {', '.join(_merge(c) for c in EVENT_COLUMNS)}
    from (select * from numbered where kind = 'request') r
    full outer join (select * from numbered where kind = 'response') s
      on r.pair_key = s.pair_key and r.pair_no = s.pair_no
)
"""


# The usual case: every pair key once per kind, so a request simply meets its response.
# Otherwise the n-th request of a key meets its n-th response, in time order.
_NUMBERINGS = {
    False: "select *, 1 as pair_no from keyed",
    True: "select *, row_number() over (partition by pair_key, kind order by ts, file_id, line) as pair_no from keyed",
}
# event ids of the new events that repeat among them or are taken in event_store: the pairing
# join over the few columns this needs, much cheaper than numbering every wide row of the insert
COUNT_CLASHES = {repeated: _merged(numbering) + """
select (select count(*) from (select event_id from merged group by event_id having count(*) > 1))
     + (select count(*) from merged m where exists (select 1 from event_store x where x.event_id = m.event_id))
""" for repeated, numbering in _NUMBERINGS.items()}
# (repeated pair keys, clashing event ids) -> the insert
INSERT_EVENTS = {(repeated, clashes): f"insert into event_store ({', '.join(EVENT_COLUMNS)})" + _merged(numbering)
                 + (UNIQUE_EVENT_IDS.format(events="merged") if clashes else "select * from merged")
                 for repeated, numbering in _NUMBERINGS.items() for clashes in (False, True)}

# per file of the segment: records, quarantined records
COUNT_STAGED = """
select file_id, count(*) filter (where part = 0), count(reason) filter (where part = 0),
       min(ts) filter (where reason is null), max(ts) filter (where reason is null)
from vl_stage group by file_id
"""
# per file: records loaded, plain values, plain accessors
COUNT_FRESH = f"""
with {_FRESH} select file_id, count(*) filter (where part = 0), coalesce(sum(raw_values), 0),
                    coalesce(sum(plain_accessors), 0) from fresh group by file_id
"""
# events a group of files created, each counted for the earliest file holding one of its halves
# (as when the files load one by one); an event completing a lone half loaded before is not new
CREATED_PER_FILE = """
select least(file_id, coalesce(response_file_id, file_id)) as f, count(*) from event_store
where file_id >= $first_file_id and least(file_id, coalesce(response_file_id, file_id)) >= $first_file_id
group by f
"""


@dataclass
class Counts:
    """What loading a stage did to one of its files."""

    records: int = 0
    bad: int = 0
    fresh: int = 0
    raw_values: int = 0
    plain_accessors: int = 0

    @property
    def duplicates(self) -> int:
        return self.records - self.bad - self.fresh


def load_stage(cur) -> tuple[dict[int, Counts], int]:
    """Quarantine the staged records that failed a check, skip duplicates, pair the rest into
    events; returns the counts per file_id and the events created (less lone halves completed)."""
    excerpts.quarantine_staged(cur)
    counts: dict[int, Counts] = {}
    ts_min = ts_max = None
    for file_id, records, bad, low, high in cur.execute(COUNT_STAGED).fetchall():
        counts[file_id] = Counts(records, bad)
        ts_min = low if ts_min is None or (low is not None and low < ts_min) else ts_min
        ts_max = high if ts_max is None or (high is not None and high > ts_max) else ts_max
    cur.execute(SELECT_SKIPPED, {"ts_min": ts_min, "ts_max": ts_max})
    for file_id, fresh, raw_values, plain_accessors in cur.execute(COUNT_FRESH).fetchall():
        counts[file_id].fresh, counts[file_id].raw_values, counts[file_id].plain_accessors = \
            fresh, raw_values, plain_accessors
    pulled = cur.execute(PULL_LONE_HALVES).fetchall()[0][0]
    cur.execute(DELETE_LONE_HALVES)
    repeated = cur.execute(COUNT_REPEATED_KEYS).fetchall()[0][0] > 0
    clashes = cur.execute(COUNT_CLASHES[repeated]).fetchall()[0][0] > 0
    created = cur.execute(INSERT_EVENTS[repeated, clashes]).fetchall()[0][0]
    return counts, created - pulled
