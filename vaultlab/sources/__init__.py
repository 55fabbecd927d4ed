"""One module per input format: how to recognise it and the SQL that normalises it.

Each module exposes `NAME`, `DESCRIPTION`, `recognises(record: dict) -> bool` (given the
first record of a file) and `RECORDS_SQL` (a query over the Arrow batch `batch(line, raw)`
returning the columns of `event_store` plus `reason, excerpt, rec_hash, kind`).
"""

from . import vault

FORMATS = {module.NAME: module for module in (vault,)}
