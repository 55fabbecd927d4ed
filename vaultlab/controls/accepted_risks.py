"""Accepted risks: a YAML file of approved deviations (check, resource pattern, reason, approver,
ticket, expiry). A matching alarm becomes `excepted` until the risk expires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from vaultlab.errors import VaultlabError
from vaultlab.safe_yaml import load_yaml_file

MAX_ACCEPTED_RISKS_BYTES = 4 << 20  # an accepted-risks file is a few KB


@dataclass
class AcceptedRisk:
    check: str
    resource: str  # fnmatch pattern
    reason: str
    approver: str
    ticket: str
    expires: date

    def as_dict(self) -> dict:
        return {"check": self.check, "resource": self.resource, "reason": self.reason,
                "approver": self.approver, "ticket": self.ticket, "expires": self.expires.isoformat()}


def load_accepted_risks(path: str | Path | None) -> list[AcceptedRisk]:
    if not path:
        return []
    path = Path(path)
    if not path.is_file():
        raise VaultlabError(f"accepted-risks file {path} does not exist")
    data = load_yaml_file(path, "accepted-risks file", max_bytes=MAX_ACCEPTED_RISKS_BYTES) or []
    if isinstance(data, dict):
        data = data.get("exceptions", [])
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise VaultlabError(f"{path}: the accepted risks are not a list of mappings (check, resource, reason, "
                            "approver, ticket, expires)")
    out = []
    for n, item in enumerate(data, start=1):
        missing = [k for k in ("check", "resource", "reason", "approver", "ticket", "expires") if not item.get(k)]
        if missing:
            raise VaultlabError(f"{path}: accepted risk {n} lacks {', '.join(missing)}")
        expires = item["expires"]
        if not isinstance(expires, date):
            try:
                expires = date.fromisoformat(str(expires))
            except ValueError:
                raise VaultlabError(f"{path}: accepted risk {n} expires {expires!r} is not a date "
                                    "(YYYY-MM-DD)") from None
        out.append(AcceptedRisk(str(item["check"]), str(item["resource"]), str(item["reason"]),
                              str(item["approver"]), str(item["ticket"]), expires))
    return out
