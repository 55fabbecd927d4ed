"""The public SQL surface: macros for the period and thresholds, and one view per query file.

Views read the period from the DuckDB variables `period_start` / `period_end` (UTC, end
exclusive) and each threshold from a variable of its name, falling back to the whole loaded
range and to the thresholds of the last vaultlab run (table `vl_config`). So in any DuckDB
client:

    SET VARIABLE period_start = TIMESTAMPTZ '2026-10-01 00:00:00+00';
    SET VARIABLE period_end   = TIMESTAMPTZ '2026-11-01 00:00:00+00';
    SELECT * FROM rotation_status;
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from importlib.resources import files

from .errors import VaultlabError
from .sqlutil import quote_ident

# dependency order: a view may read the ones before it
VIEWS = ["secrets", "access_inventory", "rotation_status", "orphaned_secrets", "anomalies",
         "audit_gaps", "policy_drift", "policy_changes", "policy_findings"]

MACROS = """
create or replace macro vl_period_start() as
    coalesce(getvariable('period_start')::timestamptz, (select min(ts) from event_store),
             timestamptz '1970-01-01 00:00:00+00');
create or replace macro vl_period_end() as
    coalesce(getvariable('period_end')::timestamptz,
             (select max(ts) + interval 1 microsecond from event_store), now());
-- the last day the period covers: time-dependent results are as of its end
create or replace macro vl_as_of_date() as (vl_period_end() - interval 1 microsecond)::date;
-- the UTC calendar day of a time, whatever the client's TimeZone setting
create or replace macro vl_day(t) as timezone('UTC', t)::date;
create or replace macro vl_threshold(name) as
    coalesce(getvariable(name)::varchar, (select value from vl_config where key = name));
"""


def query_text(name: str) -> str:
    return (files("vaultlab.queries") / f"{name}.sql").read_text()


def views_digest() -> str:
    digest = hashlib.sha256(MACROS.encode())
    for name in VIEWS:
        digest.update(query_text(name).encode())
    return digest.hexdigest()


def install(cur, *, temporary: bool = False) -> None:
    """Create (or replace) the macros and views (temporary ones live in one session)."""
    verb = "create or replace temp " if temporary else "create or replace "
    cur.execute(MACROS.replace("create or replace ", verb))
    for name in VIEWS:
        cur.execute(verb + "view " + quote_ident(name) + " as\n" + query_text(name))


@dataclass(frozen=True)
class Period:
    start: datetime | None  # None: from the first loaded event
    end: datetime | None  # exclusive; None: just after the last loaded event
    label: str

    @property
    def as_of(self) -> date | None:
        return (self.end - timedelta(microseconds=1)).date() if self.end else None


def _day(text: str, flag: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise VaultlabError(f"{flag} {text!r} is not a date (YYYY-MM-DD) or ISO 8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def parse_period(period: str | None = None, start: str | None = None, end: str | None = None,
                 as_of: str | None = None) -> Period:
    """--period YYYY-MM (that month, UTC), or --from/--to (dates inclusive), or --as-of."""
    if period:
        if start or end or as_of:
            raise VaultlabError("give --period, or --from/--to/--as-of, not both")
        match = re.fullmatch(r"([0-9]{4})-([0-9]{2})", period)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise VaultlabError(f"--period {period!r} is not a month; write it as YYYY-MM, e.g. 2026-10")
        year, month = int(match.group(1)), int(match.group(2))
        first = datetime(year, month, 1, tzinfo=timezone.utc)
        last_day = calendar.monthrange(year, month)[1]
        return Period(first, first + timedelta(days=last_day), period)
    begin = _day(start, "--from") if start else None
    if as_of and end:
        raise VaultlabError("give --to or --as-of, not both")
    finish = None
    if end:
        finish = _day(end, "--to")
        if len(end) == 10:  # a date: the whole day is in
            finish = datetime.combine(finish.date() + timedelta(days=1), time(), timezone.utc)
    if as_of:
        finish = _day(as_of, "--as-of")
        if len(as_of) == 10:
            finish = datetime.combine(finish.date() + timedelta(days=1), time(), timezone.utc)
    if begin and finish and begin >= finish:
        raise VaultlabError("the period is empty: --from must be before --to")
    label = f"{start or '…'}..{end or as_of or '…'}" if (begin or finish) else "all"
    return Period(begin, finish, label)


def set_session(cur, period: Period | None, thresholds: dict[str, object]) -> None:
    """Bind the period and thresholds as DuckDB variables for one cursor."""
    for name, value in thresholds.items():
        cur.execute("set variable " + quote_ident(name) + " = ?", [str(value)])
    if period and period.start:
        cur.execute("set variable period_start = ?::timestamptz", [period.start])
    else:
        cur.execute("reset variable period_start")
    if period and period.end:
        cur.execute("set variable period_end = ?::timestamptz", [period.end])
    else:
        cur.execute("reset variable period_end")
