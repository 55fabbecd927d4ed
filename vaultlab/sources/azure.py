"""placeholder until the azure source lands."""

NAME = "azure"
DESCRIPTION = "azure"
RECORDS_SQL = ""


def recognises(record: dict) -> bool:
    return False


def recognises_prefix(sample: bytes) -> bool:
    return False
