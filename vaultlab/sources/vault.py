"""HashiCorp Vault / OpenBao file audit device (JSON lines, or pretty-printed by jq)."""

from importlib.resources import files

NAME = "vault"
DESCRIPTION = "HashiCorp Vault / OpenBao file audit device"
RECORD_TYPES = {"request", "response", "kmip-request", "kmip-response"}

RECORDS_SQL = (files("vaultlab") / "sql" / "vault_records.sql").read_text()


def recognises(record: dict) -> bool:
    return record.get("type") in RECORD_TYPES and any(k in record for k in ("request", "auth", "response"))
