"""An s3:// lake that `lake ingest` writes with Spark in local mode, where there is no S3A connector.

A cluster's Spark writes an s3:// lake itself (S3A, hadoop-aws: staging.py moves the staged
files with Hadoop's FileSystem). Spark in local mode has no S3A, so there the run works on a
local copy of what it reads of the lake (`event_store` and the ledger, downloaded with boto3),
stages and commits into that copy as into a local lake, and only when the commit is done
uploads the files it added (events, quarantine, the ledger last) and deletes the files a
rewritten partition replaced, as `lake export` writes an s3:// lake. A run that fails before
then uploads nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from vaultlab.ingest.s3 import split_uri
from vaultlab.lake import s3
from vaultlab.lake.layout import PART_GLOB, Lake
from vaultlab.lake.spark_session import is_local

READ = ("event_store", "ingest_files")  # what a run reads of the lake: duplicates, pairs, the ledger
UPLOAD_ORDER = ("event_store", "quarantine", "ingest_files")  # the ledger last, as staging.py commits


def _parts(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for table in UPLOAD_ORDER for p in (folder / table).rglob(PART_GLOB)}


@contextmanager
def writable(spark, lake: Lake):
    """The lake Spark stages and commits into: `lake` itself, or (an s3:// lake in local mode) a
    local copy whose changes are uploaded to `lake` when the block ends without an error."""
    if not lake.is_s3 or not is_local(spark):
        yield lake
        return
    folder = Path(tempfile.mkdtemp(prefix="vaultlab-lake-copy-"))
    try:
        for table in READ:
            s3.mirror(lake.table_uri(table) + "/", folder / table)
        before = _parts(folder)
        yield Lake(str(folder), lake.schema_version)
        after = _parts(folder)
        added = sorted(after - before, key=lambda name: (UPLOAD_ORDER.index(name.split("/")[0]), name))
        s3.upload_files(folder, added, lake.uri)
        bucket, prefix = split_uri(lake.uri)
        s3.delete_keys(bucket, [f"{prefix}/{name}" for name in sorted(before - after)])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
