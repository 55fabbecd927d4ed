"""HashiCorp Vault / OpenBao file audit device (JSON lines, or pretty-printed by jq)."""

import re

from vaultlab.ingest.sources.records import RECORD_TYPES, complete, records_sql

NAME = "vault"
DESCRIPTION = "HashiCorp Vault / OpenBao file audit device"
RECORD_TYPES_SEEN = {"request", "response", "kmip-request", "kmip-response"}

RECORDS_SQL = complete(records_sql("vault_records"),
                       set(RECORD_TYPES) - {"account", "region", "source_host", "resource_alias", "part"})


def recognises(record: dict) -> bool:
    return record.get("type") in RECORD_TYPES_SEEN and any(k in record for k in ("request", "auth", "response"))


_PREFIX = re.compile(rb'"type"\s*:\s*"(request|response|kmip-request|kmip-response)"')


def recognises_prefix(sample: bytes) -> bool:
    """For a first record too long to parse whole: its type field, and a Vault section."""
    first = sample.lstrip()[:65536]
    return first.startswith(b"{") and bool(_PREFIX.search(first)) and (b'"request"' in first or b'"auth"' in first)
