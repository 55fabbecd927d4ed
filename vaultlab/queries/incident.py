"""Leak response: who touched a secret (or used a token) in an exposure window, what to revoke,
and who read the same secret before the window, for comparison."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from vaultlab.errors import VaultlabError
from vaultlab.period import Period, parse_period
from vaultlab.views import query_text
from vaultlab.warehouse import Warehouse

if TYPE_CHECKING:  # polars is imported where a query returns a DataFrame (Warehouse.sql), not by every command
    import polars as pl


def _question(name: str) -> str:
    """A question over the matching events, which it reads as `incident_access`."""
    return "with incident_access as (" + query_text("questions/incident_access") + ")\n" + query_text(
        f"questions/{name}")


@dataclass
class Incident:
    window: Period
    accesses: pl.DataFrame  # every matching event in the window
    to_revoke: pl.DataFrame  # identities and tokens that read it successfully in the window
    readers_before: pl.DataFrame  # who read it in the same length of time before the window


def investigate(wh: Warehouse, *, secret: str = "", token: str = "", start: str, end: str) -> Incident:
    if not secret and not token:
        raise VaultlabError("give a secret (path or prefix) or a token accessor to investigate")
    window = parse_period(start=start, end=end)
    params = {"secret": secret.strip(), "token": token.strip()}
    accesses = wh.sql(query_text("questions/incident_access"), params, period=window)
    to_revoke = wh.sql(_question("incident_to_revoke"), params, period=window)
    before = Period(window.start - (window.end - window.start), window.start, "before")
    readers_before = wh.sql(_question("incident_readers_before"), params, period=before)
    return Incident(window, accesses, to_revoke, readers_before)


def blast_radius(wh: Warehouse, digest: str, *, start: str | None = None, end: str | None = None) -> Incident:
    """Every event whose token, accessor, issued token or data carries `digest`, in the window
    (the whole loaded range when none is given)."""
    if not (start and end):
        _, [(first, last)] = wh.query("select min(ts), max(ts) from events")
        if first is None:
            raise VaultlabError("the warehouse holds no events; run `vaultlab ingest` first")
        start = start or first.isoformat()
        end = end or (last + timedelta(seconds=1)).isoformat()
    return investigate(wh, token=digest, start=start, end=end)
