"""Leak response: who touched a secret (or used a token) in an exposure window, what to revoke,
and who read the same secret before the window, for comparison."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files

import polars as pl

from .errors import VaultlabError
from .views import Period, parse_period
from .warehouse import Warehouse

ACCESS_SQL = (files("vaultlab.queries") / "incident_access.sql").read_text()


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
    accesses = wh.sql(ACCESS_SQL, params, period=window)
    to_revoke = wh.sql(
        "select actor, max(actor_name) as actor_name, max(actor_type) as actor_type, token_id, "
        "count(*) as reads, min(ts) as first_read, max(ts) as last_read, list_sort(list_distinct(list(src_ip))) "
        "as src_ips from (" + ACCESS_SQL + ") where category = 'secret.read' and outcome = 'ok' "
        "group by actor, token_id order by reads desc, actor, token_id", params, period=window)
    before = Period(window.start - (window.end - window.start), window.start, "before")
    readers_before = wh.sql(
        "select actor, max(actor_name) as actor_name, count(*) as reads, list_sort(list_distinct(list(src_ip))) "
        "as src_ips from (" + ACCESS_SQL + ") where category = 'secret.read' and outcome = 'ok' "
        "group by actor order by reads desc, actor", params, period=before)
    return Incident(window, accesses, to_revoke, readers_before)
