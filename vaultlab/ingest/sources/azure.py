"""Azure Key Vault diagnostic logs (AuditEvent): {"records": [...]} blobs and JSON lines."""

import re

from vaultlab.ingest.sources.records import complete, records_sql

NAME = "azure"
DESCRIPTION = "Azure Key Vault AuditEvent logs (storage blobs or JSON lines)"

RECORDS_SQL = complete(records_sql("azure_records"), {
    "line", "reason", "excerpt", "rec_hash", "kind", "part", "event_id", "source", "ts", "actor",
    "actor_name", "actor_type", "auth_method", "action", "category", "resource", "mount", "src_ip",
    "source_host", "user_agent", "outcome", "error", "path", "account", "region"})


def recognises(record: dict) -> bool:
    """A Key Vault AuditEvent; not an Activity Log record (whose operationName is a /-path)."""
    operation = record.get("operationName")
    if not isinstance(operation, str) or "/" in operation or "time" not in record:
        return False
    return (str(record.get("category", "")).lower() == "auditevent"
            or "/providers/microsoft.keyvault/" in str(record.get("resourceId", "")).lower())


_OPERATION = re.compile(rb'"operationName"\s*:\s*"[A-Za-z]+"')
_KEY_VAULT = re.compile(rb'"category"\s*:\s*"AuditEvent"|/PROVIDERS/MICROSOFT\.KEYVAULT/', re.IGNORECASE)


def recognises_prefix(sample: bytes) -> bool:
    """For a first record too long to parse whole: a Key Vault AuditEvent's leading fields."""
    first = sample.lstrip()[:65536]
    return first.startswith((b"{", b"[")) and bool(_OPERATION.search(first)) and bool(_KEY_VAULT.search(first))
