"""Vault ACL policies from .hcl files: dated snapshots, parsed into (path, capabilities) rules.

python-hcl2 does the parsing (a real HCL grammar rather than regular expressions); this module
only unwraps its output: quoted keys and values, and a block whose `{` sits on the next line.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

import hcl2

from vaultlab.errors import VaultlabError
from vaultlab.period import now as clock_now
from vaultlab.warehouse import Warehouse

# the pre-0.9 `policy = "..."` shorthand, as Vault expands it
LEGACY = {"deny": ["deny"], "read": ["read", "list"], "write": ["create", "read", "update", "delete", "list"],
          "sudo": ["create", "read", "update", "delete", "list", "sudo"]}


def _unquote(value):
    return value[1:-1] if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"' else value


def _block_body(body: dict) -> dict:
    while set(body) - {"__is_block__"} and all(not k.strip() for k in body if k != "__is_block__"):
        body = next(v for k, v in body.items() if k != "__is_block__")  # `{` on the next line
    return body


def parse_policy(text: str, name: str) -> list[tuple[str, list[str]]]:
    """The rules of one policy: (path, sorted capabilities)."""
    try:
        tree = hcl2.loads(text)
    except Exception as err:  # python-hcl2 raises lark errors of several types
        raise VaultlabError(f"policy {name} is not valid HCL: {str(err).splitlines()[0]}") from None
    rules: dict[str, set[str]] = {}
    for entry in tree.get("path", []):
        for raw_path, body in entry.items():
            body = _block_body(body)
            caps = [_unquote(c) for c in body.get("capabilities", [])]
            legacy = _unquote(body.get("policy"))
            if legacy:
                if legacy not in LEGACY:
                    raise VaultlabError(f"policy {name}: path {_unquote(raw_path)} has unknown policy {legacy!r}")
                caps += LEGACY[legacy]
            rules.setdefault(_unquote(raw_path), set()).update(caps)
    return sorted((path, sorted(caps)) for path, caps in rules.items())


def _policy_files(paths: list[str]) -> list[Path]:
    found = []
    for given in map(Path, paths):
        if given.is_dir():
            found += sorted(p for p in given.rglob("*.hcl") if p.is_file())
        elif given.is_file():
            found.append(given)
        else:
            raise VaultlabError(f"{given} does not exist; give .hcl files or folders")
    if not found:
        raise VaultlabError("no .hcl policy files found in " + ", ".join(paths))
    return found


def load_policies(wh: Warehouse, paths: list[str], *, baseline: bool = False,
                  as_of: datetime | None = None) -> tuple[int, list[str]]:
    """Load .hcl files (the policy name is the file stem) as one snapshot; returns its id and the names."""
    texts = {}
    for path in _policy_files(paths):
        name = path.stem
        if name in texts:
            raise VaultlabError(f"two files define policy {name}: {texts[name][0]} and {path}")
        text = path.read_text()
        texts[name] = (path, text, parse_policy(text, name))
    return store_policy_snapshot(wh, texts, baseline=baseline, as_of=as_of,
                                 sources=[str(p) for p in paths]), sorted(texts)


def store_policy_snapshot(wh: Warehouse, texts: dict, *, baseline: bool, as_of: datetime | None,
                          sources: list[str], store: str = "vault") -> int:
    """One policy snapshot: texts maps a policy name to (where it came from, its text, its rules)."""
    now = datetime.now(timezone.utc)
    with wh.transaction() as cur:
        snapshot_id = cur.execute("select nextval('snapshot_ids')").fetchall()[0][0]
        cur.execute("insert into policy_snapshots (snapshot_id, taken_at, loaded_at, baseline, sources, store) "
                    "values (?, ?, ?, ?, ?, ?)", [snapshot_id, as_of or clock_now(), now, baseline, sources, store])
        for name, (path, text, rules) in texts.items():
            cur.execute("insert into policy_texts values (?, ?, ?, ?, ?)",
                        [snapshot_id, name, str(path), hashlib.sha256(text.encode()).hexdigest(), text])
            if rules:
                cur.executemany("insert into policy_rules values (?, ?, ?, ?)",
                                [[snapshot_id, name, p, caps] for p, caps in rules])
    return snapshot_id
