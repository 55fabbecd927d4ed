"""HashiCorp Vault / OpenBao file audit device (JSON lines, or pretty-printed by jq)."""

import re
from importlib.resources import files

NAME = "vault"
DESCRIPTION = "HashiCorp Vault / OpenBao file audit device"
RECORD_TYPES = {"request", "response", "kmip-request", "kmip-response"}

RECORDS_SQL = (files("vaultlab") / "sql" / "vault_records.sql").read_text()


def recognises(record: dict) -> bool:
    return record.get("type") in RECORD_TYPES and any(k in record for k in ("request", "auth", "response"))


_PREFIX = re.compile(rb'"type"\s*:\s*"(request|response|kmip-request|kmip-response)"')


def recognises_prefix(sample: bytes) -> bool:
    """For a first record too long to parse whole: its type field, and a Vault section."""
    first = sample.lstrip()[:65536]
    return first.startswith(b"{") and bool(_PREFIX.search(first)) and (b'"request"' in first or b'"auth"' in first)
