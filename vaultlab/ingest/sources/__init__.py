"""One module per input format: how to recognise it and the SQL that normalises it.

Each module exposes `NAME`, `DESCRIPTION`, `recognises(record: dict) -> bool` (given the
first record of a file), `recognises_prefix(sample: bytes) -> bool` (for a first record too
long to parse) and `RECORDS_SQL`: a query over the Arrow batch `batch(line, raw)` that
returns, per record, the columns of `event_store` plus `reason, excerpt, rec_hash, kind,
part`. A record that names several secrets (CloudTrail's BatchGetSecretValue) gives one row
per secret, numbered by `part` from 0; every other record gives one row with part 0.
"""

from vaultlab.ingest.sources import azure, cloudtrail, gcp, vault

SOURCES = {module.NAME: module for module in (vault, cloudtrail, gcp, azure)}
