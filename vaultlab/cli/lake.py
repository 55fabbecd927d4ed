"""`vaultlab lake ...`: the warehouse's tables as a Parquet lake that Spark and DuckDB read.

`add_ingest_parser(sub)` adds `lake ingest` to the `lake` group's subcommands, so that the
other `lake` commands can be added beside it.
"""

from __future__ import annotations

import os
import sys

from vaultlab.cli.ingest import report_results
from vaultlab.ingest.sources import SOURCES

ENGINES = ("spark",)


def cmd_lake_ingest(args) -> int:
    from vaultlab.lake.spark_ingest import lake_ingest  # only a Spark user pays for pyspark
    from vaultlab.lake.spark_session import get_session

    spark = get_session(args.master)
    results = lake_ingest(args.lake, args.paths, source=args.source, spark=spark)
    report_results(results)
    left_out = [r for r in results if r.left_out]
    if left_out:
        print(f"{len(left_out)} file(s) skipped and not loaded (see their rows above); the rest loaded",
              file=sys.stderr)
        return 1
    return 0


def add_ingest_parser(sub) -> None:
    p = sub.add_parser("ingest", help="load raw audit logs into a lake with Spark",
                       description="Load raw audit logs (files, folders, globs, .gz, rotated files, the CloudTrail "
                                   "S3 layout, s3://bucket/prefix) into a Parquet lake with Spark, normalised by "
                                   "the same SQL as `vaultlab ingest`; every line is loaded, a known duplicate or "
                                   "quarantined with its reason, and a re-run adds nothing. "
                                   "Example: vaultlab lake ingest lake/ /var/log/vault/ --engine spark")
    p.add_argument("lake", metavar="LAKE", help="the lake: a folder or s3://bucket/prefix (created if absent)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--engine", choices=ENGINES, default="spark", help="the engine that loads (default spark)")
    p.add_argument("--source", choices=sorted(SOURCES), help="the log's source; skips detection")
    p.add_argument("--master", default=os.environ.get("VAULTLAB_SPARK_MASTER", "local[*]"),
                   help="Spark master (default $VAULTLAB_SPARK_MASTER, else local[*]); "
                        "under spark-submit use vaultlab/lake/spark_job.py instead")
    p.set_defaults(func=cmd_lake_ingest)


def register(sub, options) -> None:
    group = sub.add_parser("lake", help="the Parquet lake that Spark and DuckDB read: ingest",
                           description="The warehouse's tables as Hive-partitioned Parquet. "
                                       "Example: vaultlab lake ingest lake/ /var/log/vault/ --engine spark")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=type(group))
    add_ingest_parser(actions)
