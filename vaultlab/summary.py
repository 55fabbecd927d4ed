"""What the warehouse holds: sources, time range, events by category, the ledger."""

from __future__ import annotations

from .warehouse import Warehouse


def describe(wh: Warehouse) -> dict[str, tuple[list[str], list[tuple]]]:
    """Named tables (columns, rows) that `vaultlab info` prints."""
    return {
        "sources": wh.query("""
            select source, count(*) as events, min(ts) as first_event, max(ts) as last_event
            from events group by source order by source"""),
        "categories": wh.query("""
            select category,
                   count(*) as events,
                   count(*) filter (where outcome = 'ok') as ok,
                   count(*) filter (where outcome = 'denied') as denied,
                   count(*) filter (where outcome = 'error') as error
            from events group by category order by category"""),
        "files": wh.query("""
            select file_id, path, format, lines_read, events_loaded, duplicates, quarantined,
                   events_created, case when log_raw then 'yes' else '' end as log_raw,
                   left(sha256, 12) as sha256
            from ingest_files order by file_id"""),
        "quarantine": wh.query("""
            select reason, count(*) as lines from quarantine group by reason order by lines desc, reason"""),
    }
