"""`spark-submit` entry of `vaultlab lake ingest`: the master and resources come from spark-submit.

    spark-submit --py-files vaultlab.zip vaultlab/lake/spark_job.py LAKE PATH... [--source S]

With vaultlab installed on every node, give spark-submit this file from the installed package
(`python -c 'import vaultlab.lake.spark_job as j; print(j.__file__)'`) instead of shipping a
zip. Prints one JSON line per file and exits as `vaultlab lake ingest` does: 0, 1 when a file
was left out, 2 on an error (one line).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys

from vaultlab.errors import VaultlabError
from vaultlab.ingest.sources import SOURCES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="spark_job.py", description="Raw audit logs into a vaultlab lake, "
                                     "under spark-submit. Example: spark-submit vaultlab/lake/spark_job.py "
                                     "s3://bucket/lake s3://bucket/AWSLogs/ (as vaultlab lake ingest)")
    parser.add_argument("lake", metavar="LAKE")
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument("--source", choices=sorted(SOURCES))
    args = parser.parse_args(argv)
    try:
        from vaultlab.lake.spark_ingest import lake_ingest
        from vaultlab.lake.spark_session import get_session

        results = lake_ingest(args.lake, args.paths, source=args.source, spark=get_session(master=None))
    except VaultlabError as err:
        print(f"vaultlab: error: {err}", file=sys.stderr)
        return 2
    for result in results:
        print(json.dumps(dataclasses.asdict(result), default=str))
    return 1 if any(r.left_out for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
