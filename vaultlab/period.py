"""A period: the window of time that views and checks answer for (UTC, end exclusive)."""

from __future__ import annotations

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



def today() -> date:
    """Today (UTC), or the day $VAULTLAB_TODAY names: what `last-month` and `this-month` mean, for a
    scheduled run replayed on another day and for tests."""
    return now().date()


def _month_start(year: int, month: int) -> datetime:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=timezone.utc)


def named_period(text: str) -> Period:
    try:
        return _named_period(text)
    except (ValueError, OverflowError):  # beyond year 9999
        raise VaultlabError(f"--period {text!r} is beyond the calendar DuckDB and Python share") from None


def _named_period(text: str) -> Period:
    """A period as users say it: last-month, this-month, YYYY-MM, YYYY-Qn or YYYY (UTC, end exclusive).
    Its label is the resolved name (`last-month` on 2026-12-01 is labelled 2026-11)."""
    word = text.lower()
    if word in ("last-month", "this-month"):
        now = today()
        month = now.month - (1 if word == "last-month" else 0)
        first = _month_start(now.year, month)
        return Period(first, _month_start(first.year, first.month + 1), f"{first.year:04d}-{first.month:02d}")
    if match := re.fullmatch(r"([0-9]{4})-([0-9]{2})", word):
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            return Period(_month_start(year, month), _month_start(year, month + 1), f"{year:04d}-{month:02d}")
    elif match := re.fullmatch(r"([0-9]{4})-q([1-4])", word):
        year, quarter = int(match.group(1)), int(match.group(2))
        first = _month_start(year, 3 * quarter - 2)
        return Period(first, _month_start(year, 3 * quarter + 1), f"{year:04d}-Q{quarter}")
    elif re.fullmatch(r"[0-9]{4}", word) and int(word) >= 1:
        return Period(_month_start(int(word), 1), _month_start(int(word) + 1, 1), f"{int(word):04d}")
    raise VaultlabError(f"--period {text!r} is not a period; write last-month, this-month, a month YYYY-MM "
                        "(e.g. 2026-10), a quarter YYYY-Qn (e.g. 2026-Q3) or a year YYYY (e.g. 2026)")


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
    """--period (see `named_period`), or --from/--to (dates inclusive), or --as-of."""
    if period:
        if start or end or as_of:
            raise VaultlabError("give --period, or --from/--to/--as-of, not both")
        return named_period(period)
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
