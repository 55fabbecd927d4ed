"""Live collectors: dated snapshots of what exists in Vault (hvac) and AWS Secrets Manager
(boto3), without ever reading a secret value.

A collector returns a `Collected`; `store_collected` writes it into the warehouse as the same
kinds of snapshot the file loaders write (an inventory snapshot, a policy snapshot), plus the
facts only a live system can tell (mounts, audit devices, tokens, ...) and the parts it could
not read (coverage gaps). The analytics and reports then treat it like file-loaded data.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from vaultlab.errors import VaultlabError
from vaultlab.period import now as clock_now
from vaultlab.snapshots.inventory import load_inventory_rows
from vaultlab.snapshots.policies import parse_policy, store_policy_snapshot
from vaultlab.warehouse import Warehouse


@dataclass
class Collected:
    store: str  # "vault" or "aws"
    source: str  # the Vault address (and namespace), or the AWS account and regions
    taken_at: datetime = field(default_factory=clock_now)
    # inventory rows in the inventory file format: name, store, kind, owner, environment,
    # created_at, last_rotated_at, last_accessed_at, rotation_days, expires_at (+ region,
    # account, arn, project, vault for the cloud keys; see inventory.canonical_secret_id)
    secrets: list[dict] = field(default_factory=list)
    # policy name -> text: Vault ACL policies (HCL), or AWS resource policies (JSON)
    policies: dict[str, str] = field(default_factory=dict)
    # other facts, by kind: "mounts", "auth_methods", "audit_devices", "tokens", "entities",
    # "static_roles", "certificates", ...: each a list of JSON-able dicts with a "name"
    facts: dict[str, list[dict]] = field(default_factory=dict)
    # what could not be read: {"path": ..., "reason": ...} (a 403 subtree, a throttled call)
    gaps: list[dict] = field(default_factory=list)
    requests: int = 0  # HTTP requests made


def store_collected(wh: Warehouse, collected: Collected, *, inventory: bool = True, policies: bool = False,
                    baseline: bool = False) -> str:
    """Write a collection into the warehouse; returns its run id."""
    run_id = str(uuid.uuid4())
    if inventory:
        load_inventory_rows(wh, collected.secrets, source=f"{collected.store} {collected.source}",
                            as_of=collected.taken_at, default_store=collected.store)
    if policies:
        texts = {}
        for name, text in collected.policies.items():
            try:
                rules = parse_policy(text, name) if collected.store == "vault" else []
            except VaultlabError as err:  # kept as text (drift still sees it); its rules are a gap
                rules = []
                collected.gaps.append({"path": f"sys/policies/acl/{name}", "reason": str(err)})
            texts[name] = (f"{collected.store}:{name}", text, rules)
        store_policy_snapshot(wh, texts, baseline=baseline, as_of=collected.taken_at,
                              sources=[f"{collected.store} {collected.source}"], store=collected.store)
    with wh.transaction() as cur:
        cur.execute("insert into collect_runs values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [run_id, collected.store, collected.source, collected.taken_at, len(collected.secrets),
                     len(collected.policies), len(collected.gaps), collected.requests])
        rows = [[run_id, kind, str(item.get("name", "")), json.dumps(item, default=str, sort_keys=True)]
                for kind, items in collected.facts.items() for item in items]
        if rows:
            cur.executemany("insert into collected_facts values (?, ?, ?, ?)", rows)
        if collected.gaps:
            cur.executemany("insert into collect_gaps values (?, ?, ?)",
                            [[run_id, g["path"], g["reason"]] for g in collected.gaps])
    return run_id
