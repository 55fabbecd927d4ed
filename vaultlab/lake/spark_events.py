"""Staged records to events on Spark: duplicates skipped, Vault requests paired with responses.

The rules are those of the DuckDB path (vaultlab/ingest/pairing.py), applied to the whole run
at once instead of file by file, which gives the same result for files loaded in order:

* a good record is a duplicate when its hash is already in the lake, or the same record
  occurs at an earlier (file, line) of the run;
* the remaining records pair up by request id (else event id) and kind, the n-th request
  with the n-th response in (ts, file, line) order; a lone half already in the lake whose
  other half arrives is taken out of the lake and paired (its partition is rewritten);
* each event column is merged from the two halves by pairing.py's own rules
  (EVENT_COLUMNS, REQUEST_FIRST, COMPUTED), as Spark SQL: the expressions are portable;
* an event id seen before (in the lake, or earlier in the run) gets pairing.py's suffix.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from vaultlab.ingest.pairing import COMPUTED, EVENT_COLUMNS, RECORD_COLUMNS, REQUEST_FIRST

LINE_SPAN = 10_000_000_000  # a record's place in the run: file_id * LINE_SPAN + line
# event_store columns kept as text in the lake: Parquet has no 128-bit integer
HASH_COLUMNS = ("request_hash", "response_hash")


def merge_expression(column: str) -> str:
    """pairing.py's rule for one event column, over the request `r` and response `s`."""
    if column in COMPUTED:
        return f"{COMPUTED[column]} as {column}"
    first, second = ("r", "s") if column in REQUEST_FIRST else ("s", "r")
    return f"coalesce({first}.{column}, {second}.{column}) as {column}"


@dataclass
class Events:
    events: DataFrame  # new event_store rows (with event_date), to append
    fresh: DataFrame  # the run's records that were loaded (not duplicates)
    pulled: DataFrame  # lone halves taken out of the lake: (source, event_date, file_id, line, has_request)
    owners: DataFrame  # file_id -> events created


def _hex(decimal_text):
    return None if decimal_text is None else format(int(decimal_text), "032x")


def build(records: DataFrame, lake_events: DataFrame | None) -> Events:
    """Events from the run's good staged `records`, against the events already in the lake."""
    pos = F.col("file_id").cast("long") * LINE_SPAN + F.col("line")
    good = records.withColumn("pos", pos).withColumn(
        "first_pos", F.min("pos").over(Window.partitionBy("rec_hash")))
    fresh = good.filter("pos = first_pos").drop("pos", "first_pos")
    if lake_events is not None:
        known = lake_events.select(F.col("request_hash").alias("h")).union(
            lake_events.select(F.col("response_hash").alias("h"))).filter("h is not null").distinct()
        fresh = fresh.join(known, fresh.rec_hash == known.h, "left_anti")
    fresh = fresh.withColumn("pulled", F.lit(False))
    candidates = fresh
    pulled = None
    if lake_events is not None:
        ids = fresh.filter("request_id is not null").select("request_id").distinct()
        lone = lake_events.filter("not (has_request and has_response)").join(ids, "request_id", "left_semi")
        pulled = lone.select("source", "event_date", "file_id", "line", "has_request")
        to_hex = F.udf(_hex, "string")
        back = lone.selectExpr(*[c for c in RECORD_COLUMNS],
                               "coalesce(request_hash, response_hash) as rec_hash",
                               "case when has_request then 'request' else 'response' end as kind",
                               "cast(null as int) as part", "true as pulled")
        back = back.withColumn("rec_hex", to_hex("rec_hash"))
        candidates = fresh.unionByName(back, allowMissingColumns=True)
    keyed = candidates.withColumn("pair_key", F.coalesce("request_id", "event_id"))
    order = Window.partitionBy("pair_key", "kind").orderBy(
        F.col("ts").asc_nulls_last(), F.col("file_id").asc_nulls_last(), F.col("line").asc_nulls_last())
    numbered = keyed.withColumn("pair_no", F.row_number().over(order))
    r = numbered.filter("kind = 'request'").alias("r")
    s = numbered.filter("kind = 'response'").alias("s")
    merged = r.join(s, (F.col("r.pair_key") == F.col("s.pair_key")) & (F.col("r.pair_no") == F.col("s.pair_no")),
                    "full_outer").selectExpr(
        *[merge_expression(c) for c in EVENT_COLUMNS],
        "coalesce(r.rec_hex, s.rec_hex) as hash_hex",
        # the file whose record made the event first, as the DuckDB path counts events_created;
        # none when a half came back from the lake (the event existed already)
        "case when coalesce(r.pulled, false) or coalesce(s.pulled, false) then null "
        "else least(r.file_id, s.file_id) end as owner")
    events = _unique_ids(merged, lake_events, pulled)
    owners = events.filter("owner is not null").groupBy(F.col("owner").alias("file_id")).count()
    events = events.drop("owner").withColumn("event_date", F.to_date("ts"))
    empty = records.sparkSession.createDataFrame([], "source string, event_date date, file_id int, line bigint, "
                                                     "has_request boolean")
    return Events(events, fresh, pulled if pulled is not None else empty, owners)


def _unique_ids(merged: DataFrame, lake_events: DataFrame | None, pulled: DataFrame | None) -> DataFrame:
    """pairing.UNIQUE_EVENT_IDS: a later event with a known id gets `~` and 10 hex digits of its hash."""
    first = Window.partitionBy("event_id").orderBy(F.col("file_id").asc_nulls_last(), F.col("line").asc_nulls_last())
    out = merged.withColumn("clash", F.row_number().over(first) > 1)
    if lake_events is not None:
        staying = lake_events.join(pulled, ["file_id", "line", "has_request"], "left_anti") \
            if pulled is not None else lake_events
        seen = staying.select(F.col("event_id").alias("seen_id")).distinct()
        out = out.join(seen, out.event_id == seen.seen_id, "left").withColumn(
            "clash", F.col("clash") | F.col("seen_id").isNotNull()).drop("seen_id")
    suffixed = F.concat(F.col("event_id"), F.lit("~"), F.substring("hash_hex", 1, 10))
    return out.withColumn("event_id", F.when(F.col("clash"), suffixed).otherwise(F.col("event_id"))) \
        .drop("clash", "hash_hex")
