"""The rotation planner: upcoming and overdue rotations by owner, and an iCalendar feed."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, time, timedelta, timezone

from vaultlab.period import Period
from vaultlab.views import query_text
from vaultlab.warehouse import Warehouse

CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")  # RFC 5545 CONTROL: every control but HTAB
COLUMNS = ["owner", "secret_id", "store", "kind", "last_rotated_at", "rotation_days", "due_at", "days_overdue",
           "status", "urgency", "days_left"]


def rotation_plan(wh: Warehouse, *, as_of: date, horizon: int = 30) -> list[dict]:
    """Rotations overdue, never done, or due within `horizon` days of `as_of`, by owner."""
    end = datetime.combine(as_of + timedelta(days=1), time(), timezone.utc)
    cols, rows = wh.query(query_text("questions/rotation_plan"), {"horizon": horizon},
                          period=Period(None, end, f"as of {as_of}"))
    return [dict(zip(cols, r)) for r in rows]


def _ics_text(value) -> str:
    """RFC 5545 TEXT: backslash, ';' and ',' escaped, every line break (CRLF, LF or a bare CR) as \\n,
    other control characters (which TEXT may not hold) as a space."""
    text = str(value).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    text = text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")
    return CONTROL.sub(" ", text)


def _fold(line: str) -> str:
    """RFC 5545: lines of at most 75 octets, continued with a space."""
    out, raw = [], line.encode()
    while len(raw) > 75:
        cut = 75
        while (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        out.append(raw[:cut].decode())
        raw = b" " + raw[cut:]
    out.append(raw.decode())
    return "\r\n".join(out)


def to_ical(plan: list[dict], as_of: date) -> str:
    """One all-day event per rotation on its due day (overdue ones on the as-of day)."""
    stamp = as_of.strftime("%Y%m%dT000000Z")  # deterministic: the same plan gives the same file
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//vaultlab//rotation plan//EN", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:vaultlab secret rotations"]
    for item in plan:
        day = item["due_at"] if item["status"] not in ("overdue", "never") else as_of
        uid = hashlib.sha256(f"{item['secret_id']}|{item['due_at']}".encode()).hexdigest()[:32]
        what = {"overdue": f"{item['days_overdue']} day(s) overdue", "never": "never rotated"}.get(
            item["status"], f"due {item['due_at']}")
        lines += ["BEGIN:VEVENT", f"UID:{uid}@vaultlab", f"DTSTAMP:{stamp}",
                  f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
                  f"DTEND;VALUE=DATE:{(day + timedelta(days=1)).strftime('%Y%m%d')}",
                  _fold("SUMMARY:" + _ics_text(f"[{item['urgency']}] rotate {item['secret_id']}")),
                  _fold("DESCRIPTION:" + _ics_text(
                      f"{item['kind']} secret in {item['store']}, owner {item['owner']}: {what}; "
                      f"rotation interval {item['rotation_days']} days.")),
                  _fold("CATEGORIES:" + _ics_text(item["owner"])), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
