"""CloudTrail integrity results kept in the warehouse, for the audit-coverage checks.

`vaultlab verify-cloudtrail` records each run (`integrity_runs`) and its findings
(`integrity_findings`); the check `audit_log_integrity` reads the latest run per location.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from vaultlab.snapshots.cloudtrail_digest import IntegrityReport
from vaultlab.warehouse import Warehouse


def record_integrity(wh: Warehouse, report: IntegrityReport) -> str:
    """Store one verification run and its findings; return its run id."""
    run_id = str(uuid.uuid4())
    # named as the ledger names loaded files, so that the check can tell which files it vouches for
    location = report.location if report.location.startswith("s3://") else str(Path(report.location).resolve())
    with wh.transaction() as cur:
        cur.execute("insert into integrity_runs values (?, ?, ?, ?, ?, ?)",
                    [run_id, location, datetime.now(UTC), report.valid_digests, report.valid_log_files,
                     report.ok])
        if report.findings:
            cur.executemany("insert into integrity_findings values (?, ?, ?, ?)",
                            [[run_id, f.kind, f.path, f.detail] for f in report.findings])
    return run_id
