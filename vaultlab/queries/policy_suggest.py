"""Least-privilege Vault ACL policies from observed use (`vaultlab policies suggest`).

`suggest_policy(wh, actor, period)` reads one actor's Vault requests in the period
(queries/observed_access.sql, grouped in DuckDB), turns the successful ones into HCL rules, and
compares them with the policies the actor's tokens hold in the latest current (non-baseline)
policy snapshot: rules granted but never used, and accesses (denied ones too) that no held rule
grants. Those are listed for a person to judge; a denied request is never granted.

How observed requests become rules, in this order:

1. Each successful request gives (path, capability): the capability Vault's ACL checks for the
   operation (read, list, create, update, patch, delete; revoke, renew and rollback need update).
   The real request path is kept (KV v2's data/ and metadata/ segments included). Logins need no
   policy; what the default policy grants is left out while the actor's tokens hold it.
2. Ids: a path segment that is a UUID, 16 or more hex digits, or all digits becomes `+`, except in
   the mount root (the mount, and KV v2's data/ or metadata/ segment) and in the segment right
   below it, where a `+` would reach every secret of the mount.
3. Siblings: when at least `min_siblings` (default 3) paths in one folder have the same
   capabilities, they become `folder/*` with those capabilities; the folder's other paths stay
   exact with their own (an exact path wins over a glob in Vault). Below the mount root only: a
   glob at the mount root (`secret/data/*`) is emitted only when the inventory lists secrets there
   and every one of them is among those paths. `*` alone is never emitted.
4. Administrative paths (sys/, auth/, identity/) stay exact: a glob there would grant control of
   every policy, mount, role or entity. They are recognised at every depth, inside any namespace
   (`ns1/sys/policy/x`, `ns1/ns2/auth/...`), so a path with any `sys`, `auth` or `identity`
   segment stays exact (a KV folder of that name too: the safe side).
5. The rules are checked with Vault's matching (exact path, then the longest prefix glob and the
   `+` patterns by Vault's priority); a request that a more specific rule shadows gets an exact
   rule of its own.

Safety: paths come from audit logs and are attacker-controlled. An observed path is used only if
it matches `[A-Za-z0-9_./@=,-]+` (no glob characters, no quotes, braces, `$`, `%`, backslashes or
control characters) and is a normal path; the others are listed in `rejected` with the reason and
never emitted. Every emitted string is checked again when it is quoted. Characters that would
need escaping are rejected rather than escaped, because Vault parses policies as HCL 1 and
python-hcl2 as HCL 2, which escape `${` and `%{` differently. The actor goes only into a comment,
checked the same way, else replaced by its SHA-256.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from vaultlab.errors import VaultlabError
from vaultlab.period import Period, parse_period
from vaultlab.snapshots.policies import parse_policy
from vaultlab.views import query_text
from vaultlab.warehouse import Warehouse

MIN_SIBLINGS = 3
ADMIN_PREFIXES = ("sys/", "auth/", "identity/")
ADMIN_SEGMENTS = {p.rstrip("/") for p in ADMIN_PREFIXES}
_OBSERVED_PATH = re.compile(r"[A-Za-z0-9_./@=,-]+")
_SAFE_TEXT = re.compile(r"[A-Za-z0-9_./+*@=,-]+")
_ID_SEGMENT = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[0-9a-fA-F]{16,}|[0-9]+")
_KNOWN_CAPABILITIES = {"create", "read", "update", "patch", "delete", "list", "recover", "sudo", "deny"}

# Vault's built-in default policy (without its templated identity/entity paths): every token
# holds it unless created with no_default_policy. Used when no `default` policy text is loaded.
BUILTIN_DEFAULT = """
path "auth/token/lookup-self" { capabilities = ["read"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/revoke-self" { capabilities = ["update"] }
path "sys/capabilities-self" { capabilities = ["update"] }
path "sys/internal/ui/resultant-acl" { capabilities = ["read"] }
path "sys/renew" { capabilities = ["update"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/lookup" { capabilities = ["update"] }
path "cubbyhole/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "sys/wrapping/wrap" { capabilities = ["update"] }
path "sys/wrapping/lookup" { capabilities = ["update"] }
path "sys/wrapping/unwrap" { capabilities = ["update"] }
path "sys/tools/hash" { capabilities = ["update"] }
path "sys/tools/hash/*" { capabilities = ["update"] }
path "sys/control-group/request" { capabilities = ["update"] }
path "identity/oidc/provider/+/authorize" { capabilities = ["read", "update"] }
"""


@dataclass(frozen=True)
class Unused:
    """A held rule with capabilities no successful request of the actor used in the period."""
    policy: str
    path: str
    granted: tuple[str, ...]
    used: tuple[str, ...]
    unused: tuple[str, ...]

    @property
    def reason(self) -> str:
        what = "never used" if not self.used else f"only {', '.join(self.used)} used"
        return f'policy {self.policy}: path "{self.path}" grants {", ".join(self.granted)}; {what} in the period'


@dataclass(frozen=True)
class NotGranted:
    """An observed access that no held rule grants (denied requests, or policies not loaded)."""
    path: str
    capability: str
    ok: int
    denied: int
    reason: str


@dataclass(frozen=True)
class Rejected:
    path: str
    reason: str


@dataclass
class Suggestion:
    actor: str
    actors: list[str]  # the actor ids the name matched
    period: Period
    first_seen: datetime
    last_seen: datetime
    rules: dict[str, list[str]]  # path (glob) -> sorted capabilities, sorted by path
    covers: dict[str, list[str]]  # rule path -> the observed paths it stands for
    snapshot_id: int | None  # the current policy snapshot compared against
    held: dict[str, str]  # policy held by the actor's tokens and in the snapshot -> its text
    not_loaded: list[str]  # policies the tokens held that the snapshot lacks
    granted_unused: list[Unused]
    used_not_granted: list[NotGranted]
    via_default: list[str]  # observed paths the default policy already grants
    rejected: list[Rejected]
    notes: list[str]
    hcl: str = ""
    diffs: dict[str, str] = field(default_factory=dict)  # held policy -> unified diff to the suggestion


class _Acl:
    """Which rule Vault applies to a request, as vault/acl.go decides it (policies merged)."""

    def __init__(self, rules):
        self.caps: dict[str, set[str]] = defaultdict(set)
        for path, caps in rules:
            self.caps[path] |= set(caps)
        for caps in self.caps.values():
            if "deny" in caps:
                caps.intersection_update({"deny"})
        self.exact = {p for p in self.caps if "*" not in p and "+" not in p}
        self.prefix = {p[:-1]: p for p in self.caps if p.endswith("*") and "+" not in p}
        self.wild = [p for p in self.caps if "+" in p]

    def rule_for(self, path: str, listing: bool) -> str | None:
        if path in self.exact:
            return path
        if listing and path.endswith("/") and path[:-1] in self.exact:
            return path[:-1]
        if listing and path.endswith("/"):  # a list checks without the trailing slash first
            found = self._non_exact(path[:-1])
            if found:
                return found
        return self._non_exact(path)

    def allows(self, path: str, capability: str) -> bool:
        rule = self.rule_for(path, capability == "list")
        return rule is not None and capability in self.caps[rule]

    def _non_exact(self, path: str) -> str | None:
        found = []  # (first glob position, not a prefix glob, -wildcards, length, path) -> rule
        longest = next((path[:n] for n in range(len(path), -1, -1) if path[:n] in self.prefix), None)
        if longest is not None:
            found.append(((len(longest), False, 0, len(longest), longest), self.prefix[longest]))
        parts = path.split("/")
        for rule in self.wild:
            is_prefix = rule.endswith("*")
            pattern = rule[:-1] if is_prefix else rule
            pieces = pattern.split("/")
            if len(parts) < len(pieces) or (not is_prefix and len(parts) != len(pieces)):
                continue
            last = len(pieces) - 1
            if all(piece == "+" or piece == parts[i] or (is_prefix and i == last and parts[i].startswith(piece))
                   for i, piece in enumerate(pieces)):
                key = (rule.index("+"), not is_prefix, -pieces.count("+"), len(pattern), pattern)
                found.append((key, rule))
        return max(found)[1] if found else None


def suggest_policy(wh: Warehouse, actor: str, period=None, *, min_siblings: int = MIN_SIBLINGS) -> Suggestion:
    """A least-privilege policy for `actor` (an actor id or actor_name) from its requests in `period`
    (a `Period`, "YYYY-MM", or None for the whole loaded range)."""
    if not actor or not actor.strip():
        raise VaultlabError("give the actor to suggest a policy for (an actor id or actor_name of the events view)")
    if min_siblings < 2:
        raise VaultlabError("--min-siblings must be at least 2")
    if period is not None and not isinstance(period, Period):
        period = parse_period(str(period))
    observed = _observed(wh, actor, period)
    tokens_hold = sorted({p for row in observed for p in row["policies"]})
    snapshot_id, held_text, held_rules = _held_policies(wh, period)
    held = {name: held_text[name] for name in tokens_hold if name in held_text}
    not_loaded = [name for name in tokens_hold if name not in held_text]
    accesses = [r for r in observed if not r["login"]]  # login endpoints need no policy
    notes = []
    skipped = sorted({r["operation"] for r in accesses if r["capability"] is None})
    if skipped:
        notes.append(f"operations that need no capability were left out: {', '.join(skipped)}")
    accesses = [r for r in accesses if r["capability"] is not None]

    builtin = parse_policy(BUILTIN_DEFAULT, "default")
    default_acl = _Acl(held_rules.get("default", builtin)) if "default" in tokens_hold else None
    held_acl = _Acl([rule for name in held for rule in held_rules.get(name, [])]
                    + (builtin if "default" in not_loaded else []))
    candidates, via_default, rejected = _sort_out(accesses, default_acl)
    rules = _rules_from(candidates, min_siblings, lambda: _inventory(wh, period))
    acl, covers = _Acl(rules.items()), defaultdict(set)
    for r in candidates:
        covers[acl.rule_for(r["policy_path"], r["capability"] == "list")].add(r["policy_path"])
    root = "root" in tokens_hold
    used_not_granted, granted_unused = _compare(accesses, held, held_rules, held_acl, root, notes)
    if root:
        notes.append("the actor's tokens hold the root policy, which allows everything; the suggestion "
                     "shows what a non-root policy would need")
    if not_loaded:
        assumed = " (Vault's built-in default policy is assumed for default)" if "default" in not_loaded else ""
        notes.append(f"policies the tokens hold but the snapshot lacks: {', '.join(not_loaded)}{assumed}")
    suggestion = Suggestion(
        actor=actor, actors=sorted({a for row in observed for a in row["actors"] if a}),
        period=period or Period(None, None, "all"),
        first_seen=min(r["first_seen"] for r in observed), last_seen=max(r["last_seen"] for r in observed),
        rules={path: sorted(rules[path]) for path in sorted(rules)},
        covers={path: sorted(covers[path]) for path in sorted(rules)},
        snapshot_id=snapshot_id, held=held, not_loaded=not_loaded, granted_unused=granted_unused,
        used_not_granted=used_not_granted, via_default=via_default, rejected=rejected, notes=notes)
    suggestion.hcl = render(suggestion)
    body = suggestion.hcl.split("\n\n", 1)[1]  # the rules, without the header comment
    suggestion.diffs = {name: policy_diff(name, text, body) for name, text in sorted(held.items())}
    return suggestion


def _observed(wh: Warehouse, actor: str, period) -> list[dict]:
    cols, data = wh.query(query_text("questions/observed_access"), {"actor": actor}, period=period)
    if not data:
        label = period.label if period else "all loaded events"
        raise VaultlabError(
            f"no Vault requests by {actor!r} in {label}; the actor is matched by the actor or actor_name "
            "column (see: vaultlab sql \"select distinct actor, actor_name from events\")")
    return [dict(zip(cols, row)) for row in data]


def _sort_out(accesses, default_acl):
    """Successful accesses -> (candidates for rules, paths left to the default policy, rejected paths)."""
    candidates, via_default, rejected = [], set(), {}
    for r in accesses:
        if r["outcome"] != "ok":
            continue
        if default_acl and default_acl.allows(r["policy_path"], r["capability"]):
            via_default.add(r["policy_path"])
        elif problem := _observed_path_problem(r["policy_path"]):
            rejected[r["policy_path"]] = problem
        else:
            candidates.append(r)
    return candidates, sorted(via_default), [Rejected(p, reason) for p, reason in sorted(rejected.items())]


def _held_policies(wh: Warehouse, period):
    """The latest current snapshot before the period ends: its id, texts and rules by policy."""
    _, data = wh.query(query_text("questions/held_policies"), period=period)
    texts, rules = {}, defaultdict(list)
    for _snapshot_id, policy, text, path, caps in data:
        texts[policy] = text
        if path:
            rules[policy].append((path, list(caps)))
    return (data[0][0] if data else None), texts, dict(rules)


def _inventory(wh: Warehouse, period) -> set[str]:
    _, data = wh.query("select secret_id from secrets where store = 'vault'", period=period)
    return {row[0] for row in data}


def _observed_path_problem(path: str) -> str | None:
    if not _OBSERVED_PATH.fullmatch(path):
        bad = sorted({c for c in path if not _OBSERVED_PATH.fullmatch(c)})
        shown = ", ".join(repr(c) for c in bad[:8])
        if set(bad) <= {"*", "+"}:
            return f"holds {shown}, which a policy path reads as a glob"
        return f"holds characters a policy path may not hold: {shown}"
    if path.startswith("/") or "//" in path or any(part in (".", "..") for part in path.split("/")):
        return "is not a normal Vault path (a leading slash, an empty segment, or a . or .. segment)"
    return None


def _rules_from(candidates, min_siblings: int, inventory) -> dict[str, set[str]]:
    """Observed (path, capability) pairs -> rules: ids to +, siblings to folder/*, then a check."""
    leaves: dict[str, dict] = {}
    for r in candidates:
        leaf = _with_id_globs(r["policy_path"], r["mount_root"])
        info = leaves.setdefault(leaf, {"caps": set(), "root": r["mount_root"], "resources": set()})
        info["caps"].add(r["capability"])
        info["resources"].add(r["resource"])
    rules = {leaf: set(info["caps"]) for leaf, info in leaves.items()}
    folders = defaultdict(list)
    for leaf, info in leaves.items():
        folder, _, name = leaf.rstrip("/").rpartition("/")
        if _is_admin(leaf) or not folder or not name:
            continue
        if len(folder.split("/")) >= len(info["root"].split("/")):  # at or below the mount root
            folders[folder].append(leaf)
    for folder, members in sorted(folders.items()):
        by_caps = defaultdict(list)
        for leaf in members:
            by_caps[tuple(sorted(leaves[leaf]["caps"]))].append(leaf)
        caps, group = min(by_caps.items(), key=lambda kv: (-len(kv[1]), len(kv[0]), kv[0]))
        if len(group) < min_siblings:
            continue
        at_root = folder in {leaves[leaf]["root"] for leaf in group}
        if at_root and not _whole_mount_used(folder, group, leaves, inventory()):
            continue
        for leaf in group:
            del rules[leaf]
        rules[folder + "/*"] = set(caps)
    while True:  # an exact rule (or a list's path without its slash) may shadow a glob: give its own rule
        acl = _Acl(rules.items())
        missing = [r for r in candidates if not acl.allows(r["policy_path"], r["capability"])]
        if not missing:
            return rules
        for r in missing:
            rules.setdefault(r["policy_path"], set()).add(r["capability"])


def _is_admin(path: str) -> bool:
    """sys/, auth/ or identity/ at any depth: a namespace (ns1/, ns1/ns2/) may prefix them."""
    return any(part in ADMIN_SEGMENTS for part in path.split("/"))


def _with_id_globs(path: str, root: str) -> str:
    if _is_admin(path):
        return path
    fixed = len(root.split("/")) + 1 if path.startswith(root + "/") else 2  # the root and the level below
    return "/".join("+" if i >= fixed and part and _ID_SEGMENT.fullmatch(part) else part
                    for i, part in enumerate(path.split("/")))


def _whole_mount_used(folder: str, group: list[str], leaves: dict, inventory: set[str]) -> bool:
    """A glob at the mount root only when the inventory lists its secrets and all were used."""
    used, prefixes = set(), set()
    for leaf in group:
        rest = leaf[len(folder) + 1:]
        for resource in leaves[leaf]["resources"]:
            if not resource.endswith(rest):
                return False
            prefixes.add(resource[: len(resource) - len(rest)])
            used.add(resource)
    if len(prefixes) != 1:
        return False
    [prefix] = prefixes
    there = {s for s in inventory if s.startswith(prefix)}
    return bool(there) and there <= used


def _compare(accesses, held, held_rules, held_acl, root: bool, notes: list[str]):
    """Observed accesses against the held policies: what no held rule grants, and what was unused."""
    counts = defaultdict(lambda: {"ok": 0, "denied": 0})
    used, denied_but_granted, sudo_rules = set(), 0, set()
    for r in accesses:
        if r["outcome"] not in ("ok", "denied"):
            continue  # an error says nothing sure about the ACL
        path, cap = r["policy_path"], r["capability"]
        if root or held_acl.allows(path, cap):
            rule = held_acl.rule_for(path, cap == "list")
            if r["outcome"] == "ok" and rule is not None:
                used.add((rule, cap))
                if "sudo" in held_acl.caps[rule]:
                    sudo_rules.add(rule)
            elif r["outcome"] == "denied":
                denied_but_granted += r["events"]
        else:
            counts[(path, cap)][r["outcome"]] += r["events"]
    names = ", ".join(sorted(held)) or "none loaded"
    not_granted = []
    for (path, cap), n in sorted(counts.items()):
        if n["denied"] and not n["ok"]:
            reason = f"{cap} on {path} was denied {n['denied']} time(s); no held policy ({names}) grants it"
        else:
            reason = (f"{cap} on {path} succeeded {n['ok']} time(s)"
                      + (f" and was denied {n['denied']} time(s)" if n["denied"] else "")
                      + f", but no held policy ({names}) grants it as loaded")
        not_granted.append(NotGranted(path, cap, n["ok"], n["denied"], reason))
    if denied_but_granted:
        notes.append(f"{denied_but_granted} denied request(s) are granted by the held policies as loaded: "
                     "the policies may have changed since")
    if sudo_rules:
        notes.append("requests were allowed by rules that grant sudo (" + ", ".join(sorted(sudo_rules))
                     + "); sudo is never suggested: add it where an endpoint is root-protected")
    unused = []
    for policy in sorted(held):
        for path, caps in held_rules.get(policy, []):
            granted = [c for c in caps if c not in ("deny", "sudo")]
            if "deny" in caps or not granted:
                continue
            done = tuple(c for c in granted if (path, c) in used)
            if len(done) < len(granted):
                unused.append(Unused(policy, path, tuple(granted), done, tuple(c for c in granted if c not in done)))
    return not_granted, unused


def _hcl_string(text: str) -> str:
    """A quoted HCL string, for text already limited to the safe characters (checked here again)."""
    if not _SAFE_TEXT.fullmatch(text):
        raise VaultlabError(f"refusing to write {text!r} into a policy: only letters, digits and _-./+*@=, are allowed")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _rule_path_problem(path: str) -> str | None:
    if not _SAFE_TEXT.fullmatch(path):
        return "holds characters a policy path may not hold"
    if path == "*" or "*" in path[:-1]:
        return "a * may only end a path, and never stand alone"
    if any("+" in part and part != "+" for part in path.split("/")):
        return "a + must be a whole segment"
    return None


def _comment_text(text: str) -> str:
    if _SAFE_TEXT.fullmatch(text):
        return text
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _utc(ts) -> str:
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(suggestion: Suggestion) -> str:
    """The suggested policy as HCL: a comment header, then one block per rule, sorted by path."""
    start = suggestion.period.start or suggestion.first_seen
    end = suggestion.period.end or suggestion.last_seen
    lines = [f"# Least-privilege policy for {_comment_text(suggestion.actor)}, suggested by vaultlab from its",
             f"# successful requests from {_utc(start)} to {_utc(end)}. Review before use.", ""]
    if not suggestion.rules:
        lines.append("# No request needs a rule beyond the default policy.")
    for path in sorted(suggestion.rules):
        problem = _rule_path_problem(path)
        caps = suggestion.rules[path]
        if problem or not set(caps) <= _KNOWN_CAPABILITIES:
            raise VaultlabError(f"refusing to write the rule {path!r} {caps!r}: {problem or 'unknown capability'}")
        lines += [f"path {_hcl_string(path)} {{",
                  f"  capabilities = [{', '.join(_hcl_string(c) for c in sorted(caps))}]", "}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def policy_diff(name: str, held_text: str, suggested: str) -> str:
    """A unified diff from a held policy's text to the suggested policy."""
    return "\n".join(difflib.unified_diff(held_text.splitlines(), suggested.splitlines(),
                                          f"{name} (held)", "suggested", lineterm=""))


def as_dict(suggestion: Suggestion) -> dict:
    """Everything in plain JSON-able values (for --format json)."""
    out = asdict(suggestion)
    out["period"] = {"label": suggestion.period.label,
                     "start": suggestion.period.start and suggestion.period.start.isoformat(),
                     "end": suggestion.period.end and suggestion.period.end.isoformat()}
    out["first_seen"], out["last_seen"] = suggestion.first_seen.isoformat(), suggestion.last_seen.isoformat()
    out["granted_unused"] = [{**asdict(u), "reason": u.reason} for u in suggestion.granted_unused]
    return out


def review(suggestion: Suggestion) -> str:
    """What a person should look at beside the HCL: one line per finding (paths shown escaped)."""
    s, esc = suggestion, (lambda p: ascii(p)[1:-1])
    snapshot = s.snapshot_id if s.snapshot_id is not None else "none loaded"
    lines = [(f"actor {esc(s.actor)} ({', '.join(map(esc, s.actors))}); policy snapshot {snapshot}; "
              f"held: {', '.join(s.held) or 'none'}")]
    lines += [f"granted but unused: {esc(u.reason)}" for u in s.granted_unused]
    lines += [f"used but not granted: {esc(n.reason)}" for n in s.used_not_granted]
    lines += [f"rejected: path {esc(r.path)} {r.reason}" for r in s.rejected]
    if s.via_default:
        lines.append("left to the default policy: " + ", ".join(map(esc, s.via_default)))
    lines += [f"note: {n}" for n in s.notes]
    return "\n".join(lines) + "\n"
