"""Live collection from Vault (or OpenBao) with hvac: metadata only, never a secret value.

`collect_vault()` is configured like the `vault` command: `VAULT_ADDR` (default
https://127.0.0.1:8200), `VAULT_TOKEN` or else `~/.vault-token`, `VAULT_NAMESPACE`,
`VAULT_CACERT` (or `VAULT_CAPATH`) and `VAULT_SKIP_VERIFY`; arguments override them. It reads:

* mounts (`sys/mounts`): type, KV version, `audit_non_hmac_request_keys`/`_response_keys`;
* KV v2 secrets: a recursive LIST of `<mount>/metadata/` (OpenBao's `after`/`limit` pages; a
  Vault that ignores them answers whole) and a read of each secret's metadata. The inventory
  row is `<mount>/<path>`; `kind`, `owner`, `environment` (and `rotation_days`) come from its
  custom metadata; `created_at` is the secret's creation, `last_rotated_at` the creation of its
  current version (the last change of value);
* KV v1 secrets: names only (LIST). KV v1 keeps no timestamps, so those rows have none;
* ACL policies, auth methods and their TTLs, audit devices (type, file_path, log_raw,
  hmac_accessor), entities;
* tokens, by accessor (`lookup-accessor`): the accessor itself is kept only as a SHA-256 and as
  the HMAC each audit device writes for it (`sys/audit-hash`), which is what `events.token_id`
  holds, so tokens join audit events;
* database static roles (kind `database`, last rotation, rotation period) and PKI certificates
  (kind `tls-certificate`, expiry from the certificate itself).

Inside a namespace, names start with it (`team-a/secret/app`), as `events.resource` does.

It never calls an endpoint that returns secret material: `<kv2>/data/*`, a KV v1 read,
`*/creds/*`, `*/static-creds/*`, `*/issue/*`. A guard in the HTTP adapter refuses such a request
before it is sent. Give the collector a token with `READ_ONLY_POLICY`, which grants only what it
reads and denies the material paths outright (a deny wins over any other policy of the token):

    python -c 'from vaultlab.collect.vault import READ_ONLY_POLICY as p; print(p)' > vaultlab.hcl
    vault policy write vaultlab-collector vaultlab.hcl
    vault token create -policy=vaultlab-collector -period=24h

The policy's `+` matches one path segment, so it covers mounts at one-segment paths (`secret/`);
a mount at `team/kv/` needs its own `team/kv/metadata/*` rule. On a KV v1 mount, a top-level
folder named `metadata`, `cert` or `static-roles` would be readable under it: give such a mount
explicit rules.

Large estates: the per-item reads run on `concurrency` threads; 429 and 5xx answers are retried
with exponential back-off and jitter (a `Retry-After` is honoured); a subtree that answers 403,
or a call that keeps failing, becomes a `Collected.gaps` entry and the crawl goes on. A server
that cannot be reached, or a token it refuses, stops the collection with a `VaultlabError`.
"""

from __future__ import annotations

import hashlib
import math
import sys
import threading
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from importlib.resources import files
from urllib.parse import quote

from hvac.exceptions import Forbidden, InvalidPath, Unauthorized, VaultError
from tqdm import tqdm

from vaultlab.collect.vault_http import (
    Link,
    Settings,
    first_line,
    load_settings,
    new_client,
    reason_of,
    truthy,
    vault_client,  # noqa: F401  (the CLI's leak search takes vault_client from here)
)
from vaultlab.config import KINDS
from vaultlab.errors import VaultlabError
from vaultlab.snapshots.collected import Collected
from vaultlab.snapshots.inventory import KIND_ALIASES

READ_ONLY_POLICY = (files("vaultlab.collect") / "vault_collector_policy.hcl").read_text(encoding="utf-8")

KV1_NOTE = "KV v1 keeps no creation or update times: created_at and last_rotated_at are unknown"
LIST_PAGE = 1000  # keys per LIST page where the server pages (OpenBao)
BATCH = 16  # items read by one task



def collect_vault(addr: str | None = None, token: str | None = None, namespace: str | None = None,
                  cacert: str | None = None, skip_verify: bool | None = None, *, concurrency: int = 4,
                  progress: bool | None = None) -> Collected:
    """A dated snapshot of one Vault namespace: inventory rows, ACL policies, facts and gaps."""
    if concurrency < 1:
        raise VaultlabError(f"concurrency must be at least 1, not {concurrency}")
    settings = load_settings(addr, token, namespace, cacert, skip_verify)
    crawler = _Crawler(settings, concurrency, sys.stderr.isatty() if progress is None else progress)
    try:
        return crawler.collect()
    finally:
        crawler.close()


def _parse_time(value) -> datetime | None:
    """Vault's RFC 3339 times (nanoseconds, Z) or Unix seconds; Go's zero time is None."""
    if value in (None, "", 0):
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(value, timezone.utc)
    text = str(value).strip()
    if text.startswith("0001-01-01"):
        return None
    head, dot, tail = text.partition(".")
    if dot:  # cut nanoseconds to microseconds: fromisoformat takes at most six digits
        digits = len(tail) - len(tail.lstrip("0123456789"))
        tail = tail[:min(digits, 6)] + tail[digits:]
        text = head + ("." + tail if tail[:1].isdigit() else tail)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _iso(value) -> str | None:
    parsed = _parse_time(value)
    return parsed.isoformat() if parsed else None


def _kind(value) -> str:
    kind = str(value or "").strip().lower()
    kind = KIND_ALIASES.get(kind, kind)
    return kind if kind in KINDS else "other"


def _positive_int(value) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _table(response) -> dict:
    """sys/mounts, sys/auth, sys/audit: entries keyed by path, under "data" (or at the top, older)."""
    table = response.get("data") if isinstance(response, dict) and isinstance(response.get("data"), dict) \
        else response
    return {k: v for k, v in (table or {}).items() if k.endswith("/") and isinstance(v, dict)}


class _Crawler:
    """One collection: the hvac client, the worker pool and what has been found so far."""

    def __init__(self, settings: Settings, concurrency: int, show_progress: bool):
        self.settings = settings
        source = settings.addr + (f" namespace {settings.namespace}" if settings.namespace else "")
        self.out = Collected(store="vault", source=source)
        self.prefix = settings.namespace + "/" if settings.namespace else ""
        self._window = concurrency * 2
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="vaultlab-collect")
        # one client for all threads: hvac's API objects keep no state, and urllib3's pool is thread-safe
        self.link = Link(settings.addr)
        self.client = new_client(settings, self.link, concurrency + 1)
        self._lock = threading.Lock()
        self._gaps: dict[str, str] = {}
        self._mounts: dict[str, dict] = {}  # path ("secret/") -> entry, once read
        self._audit_paths: list[str] = []
        self._bar = tqdm(total=0, desc="vault", unit=" items", disable=not show_progress, leave=False,
                         file=sys.stderr)

    # -- plumbing ------------------------------------------------------------------------------

    def attempt(self, gap_path: str, call, *args, **kwargs):
        """`call(...)`, or None: a 404 is nothing there; any other refusal is a gap at `gap_path`."""
        try:
            return call(*args, **kwargs)
        except InvalidPath:
            return None
        except VaultError as err:
            self.gap(gap_path, reason_of(err))
            return None

    def gap(self, path: str, reason: str) -> None:
        with self._lock:
            self._gaps.setdefault(self.prefix + path, reason)

    def refused(self, gap_path: str) -> bool:
        return self.prefix + gap_path in self._gaps

    def keys(self, gap_path: str, call, *args) -> list[str]:
        """The keys of a LIST answer (none for a 404 or a gap)."""
        return ((self.attempt(gap_path, call, *args) or {}).get("data") or {}).get("keys") or []

    def add(self, row: dict | None = None, **facts: dict) -> None:
        with self._lock:  # workers add as they read
            if row:
                self.out.secrets.append(row)
            for kind, item in facts.items():
                self.out.facts.setdefault(kind, []).append(item)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._bar.close()
        self.client.adapter.close()

    def _run(self, tasks: list) -> None:
        """Run (function, args, then) tasks on the pool, at most `window` at once. `then(result)`
        runs on this thread and may return more tasks, which go first (depth first: the queue of
        pending work stays small however large the estate)."""
        queue, running = deque(tasks), {}
        try:
            while queue or running:
                while queue and len(running) < self._window:
                    function, args, then = queue.popleft()
                    running[self._pool.submit(function, *args)] = then
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    then, result = running.pop(future), future.result()
                    queue.extendleft(reversed(then(result) or []))
        finally:
            for future in running:
                future.cancel()

    def _each(self, read, *head):
        """A `then` that reads each listed item with `read(*head, item)`, a batch per task (a task
        per item took 5-8% longer: the pool's bookkeeping)."""
        def then(items):
            self._bar.total += len(items)
            self._bar.refresh()
            return [(self._read_batch, (read, head, items[i:i + BATCH]), self._done)
                    for i in range(0, len(items), BATCH)]
        return then

    @staticmethod
    def _read_batch(read, head: tuple, items: list) -> int:
        for item in items:
            read(*head, item)
        return len(items)

    def _done(self, n: int) -> None:
        self._bar.update(n)
        self._bar.set_postfix_str(f"{self.link.requests:,} requests", refresh=False)

    # -- the collection --------------------------------------------------------------------------

    def collect(self) -> Collected:
        self._read_mounts()
        self._read_auth_methods()
        self._read_audit_devices()  # before the tokens: their HMACs need the devices
        sys_api, token_api, identity = self.client.sys, self.client.auth.token, self.client.secrets.identity
        tasks = [(self.keys, ("sys/policies/acl", sys_api.list_acl_policies), self._each(self._read_policy)),
                 (self.keys, ("auth/token/accessors", token_api.list_accessors), self._each(self._read_token)),
                 (self.keys, ("identity/entity/id", identity.list_entities), self._each(self._read_entity))]
        for path, entry in sorted(self._mounts.items()):
            kind, mount = entry.get("type"), path.rstrip("/")
            if path in self.link.kv1:
                tasks.append((self._list_pages, (path,), self._kv1_folder(path, "")))
            elif kind == "kv":
                tasks.append((self._list_pages, (f"{path}metadata/",), self._kv2_folder(path, "")))
            elif kind == "database":
                tasks.append((self.keys, (f"{path}static-roles", self.client.secrets.database.list_static_roles,
                                          mount), self._each(self._read_static_role, path)))
            elif kind == "pki":
                tasks.append((self.keys, (f"{path}certs", self.client.secrets.pki.list_certificates, mount),
                              self._each(self._read_cert, path)))
        self._run(tasks)
        out = self.out
        out.secrets.sort(key=lambda row: row["name"])
        for items in out.facts.values():
            items.sort(key=lambda item: item["name"])
        out.gaps = [{"path": p, "reason": r} for p, r in sorted(self._gaps.items())]
        out.requests = self.link.requests
        return out

    def _read_mounts(self) -> None:
        """The first request: it also tells whether the address and the token are good."""
        s = self.settings
        where = f"Vault at {s.addr}" + (f" (namespace {s.namespace})" if s.namespace else "")
        try:
            response = self.client.sys.list_mounted_secrets_engines()
        except (Forbidden, Unauthorized):
            raise VaultlabError(f"{where} refused the token (permission denied on sys/mounts): set VAULT_TOKEN (or "
                                "`vault login`) to a valid token with vaultlab's read-only policy "
                                "(vaultlab.collect.vault.READ_ONLY_POLICY)") from None
        except InvalidPath:
            raise VaultlabError(f"{where} has no sys/mounts (HTTP 404): check VAULT_ADDR and VAULT_NAMESPACE") from None
        except VaultError as err:
            raise VaultlabError(f"{where} answered {reason_of(err)} on sys/mounts: check that it is unsealed and "
                                "active") from None
        self._mounts = _table(response)
        self.link.mounts = set(self._mounts)
        for path, entry in self._mounts.items():
            config, kind = entry.get("config") or {}, entry.get("type")
            version = int((entry.get("options") or {}).get("version") or 1) if kind in ("kv", "generic") else None
            fact = {"name": self.prefix + path.rstrip("/"), "path": path, "type": kind, "kv_version": version,
                    "audit_non_hmac_request_keys": config.get("audit_non_hmac_request_keys") or [],
                    "audit_non_hmac_response_keys": config.get("audit_non_hmac_response_keys") or [],
                    "default_lease_ttl": config.get("default_lease_ttl"), "max_lease_ttl": config.get("max_lease_ttl"),
                    "description": entry.get("description") or "", "local": bool(entry.get("local")),
                    "seal_wrap": bool(entry.get("seal_wrap"))}
            if version == 1:
                self.link.kv1.add(path)
                fact["note"] = KV1_NOTE
            self.add(mounts=fact)

    def _read_auth_methods(self) -> None:
        for path, entry in _table(self.attempt("sys/auth", self.client.sys.list_auth_methods)).items():
            config = entry.get("config") or {}
            self.add(auth_methods={
                "name": self.prefix + path.rstrip("/"), "path": path, "type": entry.get("type"),
                "accessor": entry.get("accessor"), "default_lease_ttl": config.get("default_lease_ttl"),
                "max_lease_ttl": config.get("max_lease_ttl"), "token_type": config.get("token_type"),
                "description": entry.get("description") or "", "local": bool(entry.get("local"))})

    def _read_audit_devices(self) -> None:
        table = _table(self.attempt("sys/audit", self.client.sys.list_enabled_audit_devices))
        for path, entry in sorted(table.items()):
            options = {k: str(v) for k, v in (entry.get("options") or {}).items()}
            self._audit_paths.append(path)
            self.add(audit_devices={
                "name": self.prefix + path.rstrip("/"), "path": path, "type": entry.get("type"),
                "file_path": options.get("file_path"), "log_raw": truthy(options.get("log_raw")),
                "hmac_accessor": options.get("hmac_accessor", "true").lower() != "false",
                "description": entry.get("description") or "", "local": bool(entry.get("local")),
                "options": options})

    def _read_policy(self, name: str) -> None:
        if name == "root":  # built in: it has no text
            return
        read = self.attempt(f"sys/policies/acl/{name}", self.client.sys.read_acl_policy, name)
        if read is not None:
            with self._lock:
                self.out.policies[name] = (read.get("data") or {}).get("policy") or ""

    # -- KV ----------------------------------------------------------------------------------------

    def _list_pages(self, path: str) -> list[str]:
        """All keys of a LIST, page by page where the server pages (OpenBao's after/limit)."""
        adapter, url, keys, after = self.client.adapter, "/v1/" + quote(path), [], None
        while True:
            params = {"limit": LIST_PAGE, **({"after": after} if after is not None else {})}
            answer = self.attempt(path, adapter.list, url, params=params)
            page = ((answer or {}).get("data") or {}).get("keys") or []
            if after is not None:
                page = [k for k in page if k > after]  # a server that ignores `after` repeats itself
            keys += page
            if len(page) != LIST_PAGE:  # fewer: the last page; more: the server does not page
                return keys
            after = page[-1]

    def _kv2_folder(self, mount: str, folder: str):
        def then(keys):
            leaves = [folder + k for k in keys if not k.endswith("/")]
            folders = [(self._list_pages, (f"{mount}metadata/{folder}{k}",), self._kv2_folder(mount, folder + k))
                       for k in keys if k.endswith("/")]
            return folders + self._each(self._read_kv2, mount)(leaves)
        return then

    def _read_kv2(self, mount: str, path: str) -> None:
        """Read one secret's metadata (never its data) into a row and a fact."""
        api, gap_path, name = self.client.secrets.kv.v2, f"{mount}metadata/{path}", self.prefix + mount + path
        response = self.attempt(gap_path, api.read_secret_metadata, path, mount.rstrip("/"))
        if response is None:  # deleted since the LIST; or listed but unreadable: it exists, the gap says why
            if self.refused(gap_path):
                self.add(_row(name, "other"))
            return
        meta = response.get("data") or {}
        custom = meta.get("custom_metadata") or {}
        versions = meta.get("versions") or {}
        current = versions.get(str(meta.get("current_version"))) or {}
        self.add(_row(name, _kind(custom.get("kind")), owner=custom.get("owner"),
                      environment=custom.get("environment"), created_at=_parse_time(meta.get("created_time")),
                      last_rotated_at=_parse_time(current.get("created_time")),
                      rotation_days=_positive_int(custom.get("rotation_days"))),
                 kv_secrets={
            "name": name, "mount": mount, "kv_version": 2, "current_version": meta.get("current_version"),
            "oldest_version": meta.get("oldest_version"), "versions": len(versions),
            "delete_version_after": meta.get("delete_version_after"), "max_versions": meta.get("max_versions"),
            "cas_required": meta.get("cas_required"), "created_time": meta.get("created_time"),
            "updated_time": meta.get("updated_time"), "current_created_time": current.get("created_time"),
            "current_deletion_time": current.get("deletion_time") or None,
            "current_destroyed": bool(current.get("destroyed")), "custom_metadata": custom})

    def _kv1_folder(self, mount: str, folder: str):
        def then(keys):
            for key in keys:
                if not key.endswith("/"):
                    name = self.prefix + mount + folder + key
                    self.add(_row(name, "other"), kv_secrets={"name": name, "mount": mount, "kv_version": 1,
                                                              "note": KV1_NOTE})
            return [(self._list_pages, (f"{mount}{folder}{k}",), self._kv1_folder(mount, folder + k))
                    for k in keys if k.endswith("/")]
        return then

    # -- database static roles, PKI certificates -----------------------------------------------------

    def _read_static_role(self, mount: str, role: str) -> None:
        api = self.client.secrets.database
        data = (self.attempt(f"{mount}static-roles/{role}", api.read_static_role, role, mount.rstrip("/"))
                or {}).get("data")
        if not data:
            return
        period = _positive_int(data.get("rotation_period"))
        name = f"{self.prefix}{mount}static-roles/{role}"
        self.add(_row(name, "database", last_rotated_at=_parse_time(data.get("last_vault_rotation")),
                      rotation_days=math.ceil(period / 86400) if period else None),
                 static_roles={
            "name": name, "mount": mount, "role": role, "username": data.get("username"),
            "db_name": data.get("db_name"), "rotation_period": data.get("rotation_period"),
            "rotation_schedule": data.get("rotation_schedule"),
            "last_vault_rotation": data.get("last_vault_rotation"), "credential_type": data.get("credential_type")})

    def _read_cert(self, mount: str, serial: str) -> None:
        from cryptography import x509
        from cryptography.x509.oid import ExtensionOID

        gap_path, name = f"{mount}cert/{serial}", f"{self.prefix}{mount}cert/{serial}"
        data = (self.attempt(gap_path, self.client.secrets.pki.read_certificate, serial, mount.rstrip("/"))
                or {}).get("data")
        if not data:
            return
        try:
            cert = x509.load_pem_x509_certificate(str(data.get("certificate") or "").encode())
        except ValueError as err:
            self.gap(gap_path, f"not a PEM certificate: {first_line(err)}")
            return
        try:
            names = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
            dns_names = names.get_values_for_type(x509.DNSName)
        except x509.ExtensionNotFound:
            dns_names = []
        revoked = bool(data.get("revocation_time"))
        row = None if revoked else _row(name, "tls-certificate", created_at=cert.not_valid_before_utc,
                                        expires_at=cert.not_valid_after_utc)  # revoked: not renewed
        self.add(row, certificates={
            "name": name, "mount": mount, "serial": serial, "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(), "dns_names": dns_names,
            "not_before": cert.not_valid_before_utc.isoformat(), "not_after": cert.not_valid_after_utc.isoformat(),
            "revoked": revoked, "revocation_time": data.get("revocation_time_rfc3339") or None})

    # -- tokens, entities --------------------------------------------------------------------------------

    def _read_token(self, accessor: str) -> None:
        digest = hashlib.sha256(accessor.encode()).hexdigest()  # the accessor itself is never kept
        data = (self.attempt(f"auth/token/lookup-accessor (accessor sha256:{digest[:12]})",
                             self.client.auth.token.lookup_accessor, accessor) or {}).get("data")
        if not data:  # expired between the list and the lookup, or refused (a gap)
            return
        hmacs = {}
        for device in self._audit_paths:
            gap_path = f"sys/audit-hash/{device}"
            if not self.refused(gap_path):  # asked again for each token only while it answers
                hashed = self.attempt(gap_path, self.client.sys.calculate_hash, device.rstrip("/"), accessor) or {}
                if hashed.get("hash") or (hashed.get("data") or {}).get("hash"):
                    hmacs[device] = hashed.get("hash") or hashed["data"]["hash"]
        self.add(tokens={
            "name": next(iter(hmacs.values()), f"sha256:{digest}"), "accessor_sha256": digest,
            "accessor_hmac": hmacs, "display_name": data.get("display_name"), "policies": data.get("policies") or [],
            "creation_time": _iso(data.get("creation_time")), "creation_ttl": data.get("creation_ttl"),
            "ttl": data.get("ttl"), "expire_time": data.get("expire_time"),
            "never_expires": not data.get("expire_time"), "orphan": bool(data.get("orphan")),
            "type": data.get("type"), "path": data.get("path"), "entity_id": data.get("entity_id") or None})

    def _read_entity(self, entity_id: str) -> None:
        data = (self.attempt(f"identity/entity/id/{entity_id}", self.client.secrets.identity.read_entity,
                             entity_id) or {}).get("data")
        if not data:
            return
        self.add(entities={
            "name": data.get("name") or entity_id, "id": entity_id, "disabled": bool(data.get("disabled")),
            "policies": data.get("policies") or [],
            "aliases": [{"name": a.get("name"), "mount_type": a.get("mount_type"), "mount_path": a.get("mount_path")}
                        for a in data.get("aliases") or []],
            "group_ids": data.get("group_ids") or [], "creation_time": data.get("creation_time"),
            "last_update_time": data.get("last_update_time")})


def _text(value) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def _row(name: str, kind: str, *, owner=None, environment=None, created_at=None, last_rotated_at=None,
         rotation_days=None, expires_at=None) -> dict:
    """An inventory row in the inventory file format, keyed as events.resource keys the secret (a
    collected name is already that key: a KV v2 secret may itself be called data/x)."""
    return {"name": name, "secret_id": name, "store": "vault", "kind": kind, "owner": _text(owner),
            "environment": _text(environment),
            "created_at": created_at, "last_rotated_at": last_rotated_at, "last_accessed_at": None,
            "rotation_days": rotation_days, "expires_at": expires_at}
