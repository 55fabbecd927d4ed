"""A period: the window of time that views and checks answer for (UTC, end exclusive)."""

from __future__ import annotations

import calendar
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from vaultlab.errors import VaultlabError

TODAY_VARIABLE = "VAULTLAB_TODAY"


def now() -> datetime:
    """The current time, UTC: the wall clock, or $VAULTLAB_TODAY (a date means noon UTC that day, so
    that snapshots taken "today" fall after a period that ended at midnight; or an ISO 8601 time).
    Read here only: snapshots taken without --as-of, and whether a period has ended, use it."""
    fixed = os.environ.get(TODAY_VARIABLE)
    if not fixed:
        return datetime.now(timezone.utc)
    when = _day(fixed, f"${TODAY_VARIABLE}")
    return when.replace(hour=12) if len(fixed) == 10 else when


@dataclass(frozen=True)
class Period:
    start: datetime | None  # None: from the first loaded event
    end: datetime | None  # exclusive; None: just after the last loaded event
    label: str

    @property
    def as_of(self) -> date | None:
        return (self.end - timedelta(microseconds=1)).date() if self.end else None

    def check_ended(self, partial: bool = False, today: datetime | None = None) -> bool:
        """Whether the period has not ended yet (allowed only with `partial`); a future one is an error."""
        today = today or now()
        if self.start and self.start > today:
            raise VaultlabError(f"the period {self.label} has not begun (today is {today.date()}); "
                                "give a period that has")
        if self.end and self.end > today:
            if not partial:
                raise VaultlabError(f"the period {self.label} has not ended (it ends {self.end.date()}, today is "
                                    f"{today.date()}); pass --partial to render it so far")
            return True
        return False


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
