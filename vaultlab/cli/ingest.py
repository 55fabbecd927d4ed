"""`vaultlab ingest`: audit logs into the warehouse, with a table of what each file gave."""

from __future__ import annotations

import sys

from vaultlab.cli.common import print_table
from vaultlab.ingest import FileResult, ingest
from vaultlab.ingest.ledger import COUNT_OLD_IDENTITY_FILES, old_identity_warning
from vaultlab.ingest.sources import SOURCES
from vaultlab.warehouse import Warehouse

COLUMNS = ["file", "source", "lines", "loaded", "duplicates", "quarantined", "events", "seconds"]


def report_results(results: list[FileResult]) -> int:
    """The per-file table on stdout; quarantine and log_raw notes on stderr. Returns the exit code:
    1 when a file was skipped and not loaded, else 0."""
    rows = []
    for r in results:
        if r.already_loaded_as is not None:
            rows.append((r.path, r.format, "", "", "", "", f"already loaded (file {r.already_loaded_as})", ""))
        elif r.skipped:
            rows.append((r.path, r.format, "", "", "", "", f"skipped: {r.skipped}", ""))
        else:
            rows.append((r.path, r.format, r.lines_read, r.events_loaded, r.duplicates, r.quarantined,
                         r.events_created, round(r.seconds, 2)))
    print_table(None, COLUMNS, rows)
    quarantined = sum(r.quarantined for r in results)
    if quarantined:
        print(f"{quarantined} line(s) quarantined; see: vaultlab sql \"select * from quarantine\"", file=sys.stderr)
    for r in results:
        if r.raw_values:
            print(f"warning: {r.path} holds plain-text values where HMACs belong (audit device with "
                  "log_raw=true); they were not stored", file=sys.stderr)
        elif r.plain_accessors:
            print(f"warning: {r.path} holds token accessors in clear (audit device with hmac_accessor=false)",
                  file=sys.stderr)
    left_out = [r for r in results if r.left_out]
    if left_out:
        print(f"{len(left_out)} file(s) skipped and not loaded (see their rows above); the rest loaded",
              file=sys.stderr)
        return 1
    return 0


def cmd_ingest(args) -> int:
    if args.old_format:
        print("vaultlab: warning: `ingest --format` is now `--source`; the old spelling will go", file=sys.stderr)
    with Warehouse(args.db) as wh:
        results = ingest(wh, args.paths, source=args.source or args.old_format,
                         progress=None if not args.quiet else False)
        [(old_files,)] = wh.query(COUNT_OLD_IDENTITY_FILES)[1]
    code = report_results(results)
    if old_files and any(r.file_id is not None for r in results):
        print(old_identity_warning(old_files), file=sys.stderr)
    return code


def register(sub, options) -> None:
    p = sub.add_parser("ingest", parents=[options.db],
                       help="load audit log files, folders, globs (.gz too) or s3://bucket/prefix",
                       description="Load audit logs into the warehouse; every line is loaded, a known duplicate, "
                                   "or quarantined with its reason. Example: vaultlab ingest /var/log/vault/")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--source", choices=sorted(SOURCES), help="the log's source; skips detection")
    p.add_argument("--format", dest="old_format", choices=sorted(SOURCES), help="old spelling of --source")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_ingest)
