"""AWS CloudTrail: delivery files ({"Records": [...]}, gzipped), JSON arrays, JSON lines."""

import re

from vaultlab.ingest.sources.records import complete, records_sql

NAME = "cloudtrail"
DESCRIPTION = "AWS CloudTrail (delivery files, JSON arrays or lines)"

RECORDS_SQL = complete(records_sql("cloudtrail_records"), {
    "line", "reason", "excerpt", "rec_hash", "kind", "part", "event_id", "source", "ts", "actor",
    "actor_name", "actor_type", "auth_method", "token_id", "action", "category", "resource", "mount",
    "src_ip", "source_host", "user_agent", "outcome", "error", "path", "account", "region",
    "resource_alias"})


def recognises(record: dict) -> bool:
    return "eventTime" in record and any(k in record for k in ("eventSource", "eventVersion", "eventID"))


_PREFIX = re.compile(rb'"event(Version|Source|Time)"\s*:\s*"')


def recognises_prefix(sample: bytes) -> bool:
    """For a first record too long to parse whole: a JSON object with CloudTrail's event fields."""
    first = sample.lstrip()[:65536]
    return first.startswith((b"{", b"[")) and len(_PREFIX.findall(first)) >= 2
