"""Stage 1, ingest: audit log files (and S3 objects) into the warehouse, every line accounted for.

reader (bytes to records), sources (per-source recognition and normalising SQL), pairing (a
Vault request joined with its response), grouped (many small files per statement), load (the
ledger, quarantine and one transaction per file), s3 (objects to scratch files).
"""

from vaultlab.ingest.load import FileResult, ingest

__all__ = ["FileResult", "ingest"]
