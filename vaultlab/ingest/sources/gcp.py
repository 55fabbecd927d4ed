"""GCP Cloud Audit Logs: LogEntry JSON (lines, arrays, pretty-printed, BigQuery sink exports)."""

import re

from vaultlab.ingest.sources.records import complete, records_sql

NAME = "gcp"
DESCRIPTION = "GCP Cloud Audit Logs (LogEntry JSON lines or arrays, BigQuery exports)"

RECORDS_SQL = complete(records_sql("gcp_records"), {
    "line", "reason", "excerpt", "rec_hash", "kind", "part", "event_id", "source", "ts", "actor",
    "actor_name", "actor_type", "auth_method", "token_id", "action", "category", "resource", "mount",
    "src_ip", "source_host", "user_agent", "outcome", "error", "path", "account", "region",
    "request_keys", "response_keys"})

_AUDIT_LOG = "google.cloud.audit.AuditLog"


def recognises(record: dict) -> bool:
    """An audit LogEntry: an AuditLog payload, as the Logging API or a BigQuery export spells it."""
    if isinstance(record.get("protopayload_auditlog"), dict):
        return True
    payload = record.get("protoPayload")
    return isinstance(payload, dict) and (str(payload.get("@type", "")).endswith(_AUDIT_LOG)
                                          or "methodName" in payload)


_PREFIX = re.compile(rb'"protopayload_auditlog"\s*:\s*\{'
                     rb'|"@type"\s*:\s*"type\.googleapis\.com/google\.cloud\.audit\.AuditLog"')


def recognises_prefix(sample: bytes) -> bool:
    """For a first record too long to parse whole: a JSON object with an AuditLog payload."""
    first = sample.lstrip()[:65536]
    return first.startswith((b"{", b"[")) and bool(_PREFIX.search(first))
