"""A small real Vault over HTTP for tests: the read side of the API that vaultlab's collector uses.

    from vault_server import VaultState, vault_server  # tests/ is on sys.path under pytest

    state = VaultState()
    state.root.mount("secret/", "kv", version=2)
    state.root.add_kv2("secret/", "prod/db", versions=["2026-09-01T00:00:00Z"], custom_metadata={"kind": "database"})
    with vault_server(state) as server:
        ...  # server.url, server.token, server.requests, server.state

`http.server.ThreadingHTTPServer` on 127.0.0.1 (a free port), HTTP/1.1 keep-alive, in a thread.
Responses have the shapes of Vault's API documentation (and OpenBao's KV v2 samples):
`X-Vault-Token` is checked (403 `{"errors":["permission denied"]}`), `X-Vault-Namespace` picks
a separate `Namespace`, `LIST` and `GET ...?list=true` both list, and KV lists honour OpenBao's
`after`/`limit` pagination (or ignore it, as Vault does, with `state.paginate = False`).

The endpoints that return secret material (`<kv2>/data/*`, a KV v1 GET, `*/creds/*`,
`*/static-creds/*`, `*/issue/*`) exist and serve values, so that a test can prove a client never
called them: every logged request says whether it was one (`Request.material`).

Failure injection (in `VaultState`): `forbidden` path prefixes answer 403; `throttle[path] = n`
answers 429 (with `Retry-After`) n times before serving; `fail_once` paths answer 500 once.
Paths there are as after `/v1/`, with the namespace first when one is used ("team-a/secret/...").

`make_state(n_secrets=...)` builds a large estate quickly, and `vault_server_process` serves one
from a child process (so that a benchmark's client does not share the server's GIL).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_TOKEN = "hvs.vaultlab-test-root-token"
PERMISSION_DENIED = {"errors": ["permission denied"]}


class Request(NamedTuple):
    method: str  # as sent: GET, LIST, POST, ...
    path: str  # the URL path, percent-decoded: /v1/secret/metadata/app
    query: str  # the raw query string
    namespace: str  # X-Vault-Namespace, "" for the root
    material: bool  # the endpoint returns secret material


def vault_time(value: datetime | str) -> str:
    """RFC 3339 with nanoseconds and Z, as Vault writes times."""
    if isinstance(value, str):
        return value
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}000Z"


@dataclass
class Secret:
    """A KV v2 secret: its versions (number -> created_time, deletion_time, destroyed) and metadata."""
    versions: dict[int, dict]
    custom_metadata: dict | None = None
    data: dict = field(default_factory=dict)
    max_versions: int = 0
    delete_version_after: str = "0s"
    cas_required: bool = False
    updated_time: str | None = None  # a metadata write after the last version moves it

    def metadata(self) -> dict:
        numbers = sorted(self.versions)
        return {"cas_required": self.cas_required, "created_time": self.versions[numbers[0]]["created_time"],
                "current_version": numbers[-1], "custom_metadata": self.custom_metadata,
                "delete_version_after": self.delete_version_after, "max_versions": self.max_versions,
                "oldest_version": 0 if numbers[0] == 1 else numbers[0],
                "updated_time": self.updated_time or self.versions[numbers[-1]]["created_time"],
                "versions": {str(n): self.versions[n] for n in numbers}}


@dataclass
class Namespace:
    """What one namespace holds. Mount paths end in "/" ("secret/")."""
    mounts: dict[str, dict] = field(default_factory=dict)
    kv2: dict[str, dict[str, Secret]] = field(default_factory=dict)  # mount -> path -> secret
    kv1: dict[str, dict[str, dict]] = field(default_factory=dict)  # mount -> path -> value
    policies: dict[str, str] = field(default_factory=lambda: {"default": 'path "auth/token/lookup-self" {\n'
                                                                         '  capabilities = ["read"]\n}\n',
                                                              "root": ""})
    auth: dict[str, dict] = field(default_factory=dict)
    audit: dict[str, dict] = field(default_factory=dict)  # path -> device (incl. its "hmac_key")
    tokens: dict[str, dict] = field(default_factory=dict)  # accessor -> lookup data
    static_roles: dict[str, dict[str, dict]] = field(default_factory=dict)  # mount -> name -> role
    certs: dict[str, dict[str, dict]] = field(default_factory=dict)  # mount -> serial -> {"pem", "revoked"}
    entities: dict[str, dict] = field(default_factory=dict)  # id -> entity
    _index: dict = field(default_factory=dict, repr=False)  # mount -> (size, folder -> sorted child keys)

    def __post_init__(self):
        for path, kind in (("cubbyhole/", "cubbyhole"), ("identity/", "identity"), ("sys/", "system")):
            self.mounts.setdefault(path, _mount_entry(kind, None, {}))
        self.auth.setdefault("token/", _auth_entry("token", 0, 0))

    def mount(self, path: str, kind: str, *, version: int | None = None, config: dict | None = None,
              description: str = "") -> None:
        self.mounts[path] = _mount_entry(kind, version, config or {}, description)
        if kind == "kv":
            (self.kv2 if version == 2 else self.kv1).setdefault(path, {})
        elif kind == "database":
            self.static_roles.setdefault(path, {})
        elif kind == "pki":
            self.certs.setdefault(path, {})

    def add_kv2(self, mount: str, path: str, *, versions: list, custom_metadata: dict | None = None,
                data: dict | None = None, deleted: dict[int, str] | None = None, **options) -> Secret:
        """`versions`: the created_time of each version, oldest first (version numbers from 1)."""
        deleted = deleted or {}
        secret = Secret({n: {"created_time": vault_time(t), "deletion_time": deleted.get(n, ""), "destroyed": False}
                         for n, t in enumerate(versions, start=1)},
                        custom_metadata, data if data is not None else {"value": f"value-of-{path}"}, **options)
        self.kv2[mount][path] = secret
        self._index.pop(mount, None)
        return secret

    def add_kv1(self, mount: str, path: str, data: dict | None = None) -> None:
        self.kv1[mount][path] = data if data is not None else {"value": f"value-of-{path}"}
        self._index.pop(mount, None)

    def add_auth(self, path: str, kind: str, default_lease_ttl: int = 0, max_lease_ttl: int = 0, **config) -> None:
        self.auth[path] = _auth_entry(kind, default_lease_ttl, max_lease_ttl, **config)

    def add_audit(self, path: str, kind: str = "file", *, hmac_key: bytes | None = None, **options: str) -> None:
        self.audit[path] = {"type": kind, "description": "", "local": False, "path": path,
                            "options": {k: str(v) for k, v in options.items()},
                            "hmac_key": hmac_key or hashlib.sha256(path.encode()).digest()}

    def audit_hmac(self, device: str, value: str) -> str:
        """The HMAC that the audit device at `device` writes for `value` (and that sys/audit-hash returns)."""
        key = self.audit[device]["hmac_key"]
        return "hmac-sha256:" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()

    def add_token(self, accessor: str, *, display_name: str, policies: list[str], creation_time: datetime,
                  ttl: int, creation_ttl: int | None = None, orphan: bool = False, meta: dict | None = None,
                  path: str = "auth/token/create", entity_id: str = "", token_type: str = "service") -> None:
        expire = None if creation_ttl == 0 or (creation_ttl is None and ttl == 0) else \
            vault_time(creation_time + timedelta(seconds=creation_ttl if creation_ttl is not None else ttl))
        self.tokens[accessor] = {
            "accessor": accessor, "creation_time": int(creation_time.timestamp()),
            "creation_ttl": creation_ttl if creation_ttl is not None else ttl, "display_name": display_name,
            "entity_id": entity_id, "expire_time": expire, "explicit_max_ttl": 0, "id": "",
            "issue_time": vault_time(creation_time), "meta": meta, "num_uses": 0, "orphan": orphan, "path": path,
            "policies": policies, "renewable": ttl > 0, "ttl": ttl, "type": token_type}

    def add_static_role(self, mount: str, name: str, *, username: str, rotation_period: int,
                        last_vault_rotation: datetime | str, db_name: str = "postgres") -> None:
        self.static_roles[mount][name] = {
            "credential_type": "password", "db_name": db_name, "last_vault_rotation": vault_time(last_vault_rotation),
            "rotation_period": rotation_period,
            "rotation_statements": ["ALTER USER \"{{name}}\" WITH PASSWORD '{{password}}';"],
            "username": username}

    def add_cert(self, mount: str, common_name: str, *, not_after: datetime, not_before: datetime | None = None,
                 revoked: bool = False) -> str:
        """Issue a real certificate (signed by a test CA); returns its serial as Vault lists it."""
        serial, pem = make_certificate(common_name, not_after, not_before)
        self.certs[mount][serial] = {"pem": pem, "revoked": revoked}
        return serial

    def add_entity(self, entity_id: str, name: str, *, policies: list[str] = (), aliases: list[dict] = (),
                   disabled: bool = False, metadata: dict | None = None, created: str = "2026-01-05T09:00:00Z") -> None:
        self.entities[entity_id] = {
            "aliases": [{"canonical_id": entity_id, "creation_time": created, "id": f"alias-{entity_id}-{i}",
                         "last_update_time": created, "merged_from_canonical_ids": None, "metadata": None,
                         **alias} for i, alias in enumerate(aliases)],
            "creation_time": created, "direct_group_ids": [], "disabled": disabled, "group_ids": [], "id": entity_id,
            "inherited_group_ids": [], "last_update_time": created, "merged_entity_ids": None,
            "metadata": metadata, "name": name, "namespace_id": "root", "policies": list(policies)}

    def children(self, mount: str, folder: str, store: dict) -> list[str] | None:
        """The keys directly under `folder` ("" or "a/b/"): leaves, and sub-folders ending in "/"."""
        size, index = self._index.get(mount, (-1, None))
        if size != len(store):  # built once (again after a change): a LIST is then a lookup
            index = {}
            for path in store:
                parts = path.split("/")
                for depth in range(len(parts)):
                    parent = "".join(p + "/" for p in parts[:depth])
                    key = parts[depth] + ("/" if depth < len(parts) - 1 else "")
                    index.setdefault(parent, set()).add(key)
            index = {k: sorted(v) for k, v in index.items()}
            self._index[mount] = (len(store), index)
        return index.get(folder)


@dataclass
class VaultState:
    token: str = DEFAULT_TOKEN
    namespaces: dict[str, Namespace] = field(default_factory=lambda: {"": Namespace()})
    forbidden: list[str] = field(default_factory=list)  # path prefixes answering 403
    throttle: dict[str, int] = field(default_factory=dict)  # path -> 429s left before it serves
    retry_after: str = "1"  # the Retry-After header of a 429
    fail_once: set[str] = field(default_factory=set)  # paths answering 500 once
    paginate: bool = True  # honour OpenBao's after/limit; False: ignore them, as Vault does
    sealed: bool = False
    notes: dict = field(default_factory=dict)  # a test's own bookkeeping (the serials it issued, ...)

    @property
    def root(self) -> Namespace:
        return self.namespaces[""]

    def ns(self, name: str) -> Namespace:
        return self.namespaces.setdefault(name.strip("/"), Namespace())


def _mount_entry(kind: str, version: int | None, config: dict, description: str = "") -> dict:
    return {"accessor": f"{kind}_{random.Random(kind + str(version)).getrandbits(32):08x}",
            "config": {"default_lease_ttl": 0, "force_no_cache": False, "max_lease_ttl": 0, **config},
            "description": description, "external_entropy_access": False, "local": False,
            "options": {"version": str(version)} if version else None, "plugin_version": "",
            "running_plugin_version": "v1.15.2+builtin.vault", "seal_wrap": False, "type": kind,
            "uuid": hashlib.md5(f"{kind}{version}{description}".encode()).hexdigest()}


def _auth_entry(kind: str, default_lease_ttl: int, max_lease_ttl: int, **config) -> dict:
    return {"accessor": f"auth_{kind}_{random.Random(kind).getrandbits(32):08x}",
            "config": {"default_lease_ttl": default_lease_ttl, "force_no_cache": False,
                       "max_lease_ttl": max_lease_ttl, "token_type": "default-service", **config},
            "description": "token based credentials" if kind == "token" else "", "external_entropy_access": False,
            "local": False, "options": None, "seal_wrap": False, "type": kind}


_CA: list = []  # (key, certificate): made once, on first use


def _test_ca():
    """The test CA's (key, certificate), made once."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    if not _CA:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vaultlab test CA")])
        ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(datetime(2020, 1, 1, tzinfo=timezone.utc))
              .not_valid_after(datetime(2040, 1, 1, tzinfo=timezone.utc))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .sign(key, hashes.SHA256()))
        _CA.append((key, ca))
    return _CA[0]


def _issue(common_name: str, names: list, not_after: datetime, not_before: datetime | None = None):
    """(private key, certificate) signed by the test CA, for `names` (x509 general names)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    ca_key, ca = _test_ca()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before or not_after - timedelta(days=90)).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def make_certificate(common_name: str, not_after: datetime, not_before: datetime | None = None) -> tuple[str, str]:
    """A real X.509 certificate for `common_name`; returns (serial as aa:bb:..., PEM)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    _, cert = _issue(common_name, [x509.DNSName(common_name)], not_after, not_before)
    hex_serial = f"{cert.serial_number:x}"
    hex_serial = hex_serial.rjust(len(hex_serial) + len(hex_serial) % 2, "0")
    serial = ":".join(hex_serial[i:i + 2] for i in range(0, len(hex_serial), 2))
    return serial, cert.public_bytes(serialization.Encoding.PEM).decode()


# ---------------------------------------------------------------------------------------------
# the HTTP side


class _Reply(Exception):
    def __init__(self, status: int, body: dict | None, headers: dict | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def _envelope(data, request_id: int) -> dict:
    return {"request_id": f"00000000-0000-4000-8000-{request_id:012d}", "lease_id": "", "renewable": False,
            "lease_duration": 0, "data": data, "wrap_info": None, "warnings": None, "auth": None}


def _page(keys: list[str], query: dict, state: VaultState) -> list[str]:
    if not state.paginate:
        return keys
    after = query.get("after", [""])[0]
    limit = int(query.get("limit", ["0"])[0] or 0)
    if after:
        keys = [k for k in keys if k > after]
    return keys[:limit] if limit > 0 else keys


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a crawl of 100,000 requests reuses its connections
    wbufsize = -1  # buffered: headers and body leave in one send (else Nagle + delayed ACK: 40 ms each)
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self):
        self._handle()

    do_LIST = do_POST = do_PUT = do_DELETE = do_GET

    def _handle(self) -> None:
        url = urlsplit(self.path)
        path, query = unquote(url.path), parse_qs(url.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        method = self.command.upper()
        listing = method == "LIST" or (method == "GET" and query.get("list", [""])[0].lower() == "true")
        op = "LIST" if listing else method
        namespace = (self.headers.get("X-Vault-Namespace") or "").strip("/")
        rel = path.removeprefix("/v1/")
        server = self.server
        try:
            ns = server.state.namespaces.get(namespace)
            material = ns is not None and _is_material(ns, op, rel)
            server.requests.append(Request(method, path, url.query, namespace, material))
            if ns is None:
                raise _Reply(404, {"errors": [f"namespace {namespace!r} not found"]})
            status, data, headers = 200, self._route(ns, op, rel.rstrip("/"), query, body, namespace), {}
        except _Reply as reply:
            status, data, headers = reply.status, reply.body, reply.headers
        except Exception as err:  # a bug in this server: say so rather than hang the client
            status, data, headers = 500, {"errors": [f"test server: {type(err).__name__}: {err}"]}, {}
        self._send(status, data, headers)

    def _send(self, status: int, data, headers: dict) -> None:
        payload = b"" if data is None else json.dumps(data).encode()
        self.send_response(status)
        if data is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _faults(self, key: str) -> None:
        state = self.server.state
        if state.sealed:
            raise _Reply(503, {"errors": ["Vault is sealed"]})
        if any(key == p.rstrip("/") or key.startswith(p.rstrip("/") + "/") for p in state.forbidden):
            raise _Reply(403, PERMISSION_DENIED)
        with self.server.lock:
            if state.throttle.get(key, 0) > 0:
                state.throttle[key] -= 1
                raise _Reply(429, {"errors": ["request path \"" + key + "\": rate limit quota exceeded"]},
                             {"Retry-After": state.retry_after})
            if key in state.fail_once:
                state.fail_once.discard(key)
                raise _Reply(500, {"errors": ["internal error"]})

    def _route(self, ns: Namespace, op: str, rel: str, query: dict, body: bytes, namespace: str):
        state = self.server.state
        if self.headers.get("X-Vault-Token") != state.token:
            raise _Reply(403, PERMISSION_DENIED)
        self._faults(f"{namespace}/{rel}" if namespace else rel)
        rid = next(self.server.ids)
        if rel in ("sys/mounts", "sys/auth", "sys/audit") and op == "GET":
            audit = {p: {k: v for k, v in d.items() if k != "hmac_key"} for p, d in ns.audit.items()}
            table = {"sys/mounts": ns.mounts, "sys/auth": ns.auth, "sys/audit": audit}[rel]
            return {**table, **_envelope(table, rid)}  # Vault answers both ways
        if rel.startswith("sys/audit-hash/") and op in ("POST", "PUT"):
            device = rel[len("sys/audit-hash/"):].strip("/") + "/"
            if device not in ns.audit:
                raise _Reply(400, {"errors": [f"unknown audit backend {device}"]})
            text = json.loads(body or b"{}").get("input", "")
            return {**_envelope({"hash": ns.audit_hmac(device, text)}, rid), "hash": ns.audit_hmac(device, text)}
        if rel == "sys/policies/acl" and op == "LIST":
            return _envelope({"keys": sorted(ns.policies), "policies": sorted(ns.policies)}, rid)
        if rel.startswith("sys/policies/acl/") and op == "GET":
            name = rel[len("sys/policies/acl/"):]
            if name not in ns.policies or name == "root":
                raise _Reply(404, {"errors": [f"No policy named: {name}"]})
            return _envelope({"name": name, "policy": ns.policies[name]}, rid)
        if rel == "auth/token/accessors" and op == "LIST":
            return _envelope({"keys": sorted(ns.tokens)}, rid)
        if rel == "auth/token/lookup-accessor" and op in ("POST", "PUT"):
            accessor = json.loads(body or b"{}").get("accessor", "")
            if accessor not in ns.tokens:
                raise _Reply(400, {"errors": ["invalid accessor"]})
            return _envelope(ns.tokens[accessor], rid)
        if rel == "identity/entity/id" and op == "LIST":
            if not ns.entities:
                raise _Reply(404, {"errors": []})
            return _envelope({"keys": sorted(ns.entities), "key_info": {
                i: {"name": e["name"], "aliases": e["aliases"]} for i, e in ns.entities.items()}}, rid)
        if rel.startswith("identity/entity/id/") and op == "GET":
            entity = ns.entities.get(rel[len("identity/entity/id/"):])
            if entity is None:
                raise _Reply(404, None)
            return _envelope(entity, rid)
        return self._route_mount(ns, op, rel, query, rid)

    def _route_mount(self, ns: Namespace, op: str, rel: str, query: dict, rid: int):
        mount = _mount_of(ns, rel)
        if mount is None:
            raise _Reply(404, {"errors": [f"no handler for route \"{rel}\". route entry not found."]})
        sub = rel[len(mount):]
        head, _, rest = sub.partition("/")
        if mount in ns.kv2:
            store = ns.kv2[mount]
            if head == "metadata" and op == "LIST":
                keys = ns.children(mount, rest + "/" if rest else "", store)
                if not keys:
                    raise _Reply(404, {"errors": []})
                return _envelope({"keys": _page(keys, query, self.server.state)}, rid)
            if head == "metadata" and op == "GET" and rest in store:
                return _envelope(store[rest].metadata(), rid)
            if head == "data" and op == "GET" and rest in store:
                secret = store[rest]
                meta = secret.metadata()
                version = meta["current_version"]
                return _envelope({"data": secret.data, "metadata": {
                    **secret.versions[version], "custom_metadata": secret.custom_metadata, "version": version}}, rid)
            raise _Reply(404, {"errors": []})
        if mount in ns.kv1:
            store = ns.kv1[mount]
            if op == "LIST":
                keys = ns.children(mount, sub + "/" if sub else "", store)
                if not keys:
                    raise _Reply(404, {"errors": []})
                return _envelope({"keys": _page(keys, query, self.server.state)}, rid)
            if op == "GET" and sub in store:
                return _envelope(store[sub], rid)
            raise _Reply(404, {"errors": []})
        if mount in ns.static_roles:
            roles = ns.static_roles[mount]
            if sub == "static-roles" and op == "LIST":
                if not roles:
                    raise _Reply(404, {"errors": []})
                return _envelope({"keys": sorted(roles)}, rid)
            if head == "static-roles" and op == "GET" and rest in roles:
                return _envelope(roles[rest], rid)
            if head in ("creds", "static-creds") and op == "GET":
                return _envelope({"username": rest, "password": f"password-of-{rest}"}, rid)
            raise _Reply(404, {"errors": []})
        if mount in ns.certs:
            certs = ns.certs[mount]
            if sub == "certs" and op == "LIST":
                return _envelope({"keys": sorted(certs)}, rid)
            if head == "cert" and op == "GET" and rest in certs:
                pem, revoked = certs[rest]["pem"], certs[rest]["revoked"]
                return _envelope({"certificate": pem, "revocation_time": 1790000000 if revoked else 0,
                                  "revocation_time_rfc3339": "2026-09-21T14:13:20Z" if revoked else "",
                                  "issuer_id": "issuer-1"}, rid)
            if head == "issue" and op in ("POST", "PUT"):
                return _envelope({"certificate": "-----BEGIN CERTIFICATE-----", "serial_number": "00:01",
                                  "private_key": "-----BEGIN EC PRIVATE KEY-----material"}, rid)
            raise _Reply(404, {"errors": []})
        raise _Reply(404, {"errors": [f"no handler for route \"{rel}\""]})


def _mount_of(ns: Namespace, rel: str) -> str | None:
    path = rel.rstrip("/") + "/"
    found = [m for m in ns.mounts if path.startswith(m)]
    return max(found, key=len) if found else None


def _is_material(ns: Namespace, op: str, rel: str) -> bool:
    """Whether this request reaches an endpoint that returns a secret value."""
    mount = _mount_of(ns, rel)
    if mount is None:
        return False
    sub = rel[len(mount):]
    head = sub.partition("/")[0]
    if mount in ns.kv2:
        return head == "data" and op != "LIST"
    if mount in ns.kv1:
        return op == "GET" and sub.strip("/") != ""
    return head in ("creds", "static-creds", "issue")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: VaultState):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.ids = itertools.count(1)


@dataclass
class RunningVault:
    url: str
    token: str
    state: VaultState
    requests: list[Request]
    ca_file: str | None = None  # with TLS: the PEM of the CA that signed the server's certificate

    def material_requests(self) -> list[Request]:
        return [r for r in self.requests if r.material]


@contextmanager
def vault_server(state: VaultState | None = None, *, tls_dir: Path | None = None) -> Iterator[RunningVault]:
    """Serve `state` (default: an empty Vault) for as long as the block lasts; over HTTPS with a
    certificate for 127.0.0.1 when `tls_dir` is given (the CA's PEM is written there)."""
    state = state or VaultState()
    server = _Server(state)
    ca_file = _serve_tls(server, Path(tls_dir)) if tls_dir else None
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        scheme = "https" if ca_file else "http"
        yield RunningVault(f"{scheme}://{host}:{port}", state.token, state, server.requests, ca_file)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _serve_tls(server: _Server, folder: Path) -> str:
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    key, cert = _issue("127.0.0.1", [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
                       datetime.now(timezone.utc) + timedelta(days=1), datetime.now(timezone.utc) - timedelta(days=1))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
    (folder / "ca.pem").write_bytes(_test_ca()[1].public_bytes(serialization.Encoding.PEM))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "server.pem", folder / "server.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return str(folder / "ca.pem")


def make_state(n_secrets: int = 100_000, *, per_folder: int = 1000, n_tokens: int = 0, seed: int = 1,
               mount: str = "secret/", paginate: bool = True) -> VaultState:
    """A Vault with `n_secrets` KV v2 secrets in folders of `per_folder` (team-NN/app-NN/secret-NNNNN),
    1-4 versions each, kinds and owners in custom metadata; plus `n_tokens` tokens. `paginate`:
    LIST pages as OpenBao's do (else whole, as Vault's)."""
    rng = random.Random(seed)
    state = VaultState(paginate=paginate)
    ns = state.root
    ns.mount(mount, "kv", version=2)
    ns.add_audit("file/", file_path="/var/log/vault_audit.log")
    ns.add_auth("approle/", "approle", 3600, 86400)
    ns.policies["app"] = 'path "secret/data/app/*" {\n  capabilities = ["read"]\n}\n'
    kinds = ["database", "api-key", "password", "other"]
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    store = ns.kv2[mount]
    for i in range(n_secrets):
        folder = i // per_folder
        path = f"team-{folder // 10:02d}/app-{folder % 10:02d}/secret-{i:06d}"
        created = start + timedelta(minutes=rng.randrange(400_000))
        times = [created + timedelta(days=30 * v) for v in range(rng.randint(1, 4))]
        store[path] = Secret({n: {"created_time": vault_time(t), "deletion_time": "", "destroyed": False}
                              for n, t in enumerate(times, start=1)},
                             {"kind": kinds[i % 4], "owner": f"team-{folder // 10:02d}"}, {"value": "x"})
    for i in range(n_tokens):
        ns.add_token(f"acc{i:021d}", display_name=f"approle-{i}", policies=["default", "app"],
                     creation_time=start, ttl=3600)
    return state


def _serve_process(conn, kwargs: dict) -> None:  # the child of vault_server_process
    with vault_server(make_state(**kwargs)) as server:
        conn.send((server.url, server.token))
        conn.recv()  # until the parent says stop
        conn.send(len(server.requests))


@contextmanager
def vault_server_process(**make_state_kwargs) -> Iterator[tuple[str, str]]:
    """Serve `make_state(**make_state_kwargs)` from a child process; yields (url, token)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve_process, args=(child, make_state_kwargs), daemon=True)
    process.start()
    try:
        if not parent.poll(300):
            raise RuntimeError("the test Vault did not start within 300 s")
        yield parent.recv()
    finally:
        parent.send("stop")
        parent.poll(10)
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
