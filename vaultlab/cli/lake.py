"""`vaultlab lake export` and `vaultlab lake ingest`, and opening a lake for the commands that take
`--lake LAKE --engine E`."""

from __future__ import annotations

import argparse
import os

from vaultlab.cli.common import open_warehouse, period_of
from vaultlab.cli.ingest import report_results
from vaultlab.config import load_config
from vaultlab.errors import VaultlabError
from vaultlab.ingest.sources import SOURCES
from vaultlab.lake.engines import open_engine
from vaultlab.lake.export import export_lake


def cmd_lake_export(args) -> int:
    period = period_of(args) if args.period else None
    with open_warehouse(args, read_only=True, create=False) as wh:
        done = export_lake(wh, args.lake, period)
    events = done.rows.get("event_store", 0)
    scope = f"the period {period.label}" if period else "all"
    print(f"{done.lake.uri}: {events} event(s) of {scope} in {len(done.partitions)} partition(s), "
          f"{len(done.rows) - 1} other table(s) written")
    return 0


def lake_option(args) -> tuple[str | None, str]:
    """(--lake, --engine) checked: --engine alone and --lake with --db are refused; (None, "") without --lake."""
    lake, engine = getattr(args, "lake", None), getattr(args, "engine", None)
    if lake is None:
        if engine is not None:
            raise VaultlabError("--engine reads a lake: give --lake LAKE too (a folder or s3:// URI)")
        return None, ""
    if getattr(args, "db", None):
        raise VaultlabError("give --db or --lake, not both")
    return lake, engine or "duckdb"


def lake_source(args, *, external_access: bool = True):
    """The engine over --lake (None without it); --engine alone is refused."""
    lake, engine = lake_option(args)
    if lake is None:
        return None
    return open_engine(lake, engine, thresholds=load_config(getattr(args, "config", None)),
                       external_access=external_access)


ENGINES = ("spark",)


def cmd_lake_ingest(args) -> int:
    from vaultlab.lake.spark_ingest import lake_ingest  # only a Spark user pays for pyspark
    from vaultlab.lake.spark_session import get_session

    spark = get_session(args.master)
    results = lake_ingest(args.lake, args.paths, source=args.source, spark=spark)
    return report_results(results)


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


def register(groups, options) -> None:
    p = groups.lake.add_parser("export", parents=[options.db, options.period],
                               help="write the warehouse's tables into a lake (a folder or s3://), per partition",
                               description="Write the warehouse's tables into a lake (a local folder or s3:// URI): "
                                           "events partitioned by source and UTC day, every other table whole. With "
                                           "--period only that period's event partitions are replaced; running it "
                                           "again gives the same lake. Example: vaultlab lake export lake/ "
                                           "--period 2026-10")
    p.add_argument("lake", metavar="LAKE", help="a local folder or s3://bucket/prefix")
    p.add_argument("--warehouse", dest="db", default=argparse.SUPPRESS, help="the warehouse to export (same as --db)")
    p.set_defaults(func=cmd_lake_export)
    add_ingest_parser(groups.lake)
