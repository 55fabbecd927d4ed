"""placeholder until the gcp source lands."""

NAME = "gcp"
DESCRIPTION = "gcp"
RECORDS_SQL = ""


def recognises(record: dict) -> bool:
    return False


def recognises_prefix(sample: bytes) -> bool:
    return False
