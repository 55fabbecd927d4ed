"""Vault over HTTP for the collector: settings like the `vault` command, a urllib3 session under
hvac (cheaper per request than `requests`), retries with back-off, and a guard that refuses any
path returning secret material before it is sent."""

from __future__ import annotations

import json
import os
import random
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlencode, urlsplit

import hvac
import urllib3
from hvac.adapters import JSONAdapter, RawAdapter
from hvac.exceptions import Forbidden, VaultError

from vaultlab.errors import VaultlabError

DEFAULT_ADDR = "https://127.0.0.1:8200"  # the vault command's default
ATTEMPTS = 6  # tries of one request before it counts as failed
BACKOFF_BASE = 0.5  # seconds before the first retry; doubles each time, with jitter
BACKOFF_CAP = 30.0
RETRY_AFTER_CAP = 120.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MATERIAL = frozenset({"data", "creds", "static-creds", "issue"})  # first segment under a mount
_sleep = time.sleep  # tests record the back-off instead of waiting


def vault_client(addr: str | None = None, token: str | None = None, namespace: str | None = None,
                 cacert: str | None = None, skip_verify: bool | None = None) -> hvac.Client:
    """An hvac client configured as `collect_vault` is (the environment, TLS, proxies, retries of
    429/5xx); a server it cannot reach raises a one-line `VaultlabError`."""
    settings = load_settings(addr, token, namespace, cacert, skip_verify)
    return new_client(settings, Link(settings.addr), pool_size=2)


def new_client(settings: Settings, link: Link, pool_size: int) -> hvac.Client:
    return hvac.Client(url=settings.addr, token=settings.token, namespace=settings.namespace or None,
                       verify=settings.verify, session=_Session(settings.addr, settings.verify, pool_size),
                       adapter=_Adapter, link=link)


@dataclass(frozen=True)
class Settings:
    addr: str
    token: str
    namespace: str  # "" for the root namespace
    verify: bool | str


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "t", "true", "yes", "y", "on")


def load_settings(addr, token, namespace, cacert, skip_verify) -> Settings:
    addr = (addr or os.environ.get("VAULT_ADDR") or DEFAULT_ADDR).strip().rstrip("/")
    if urlsplit(addr).scheme not in ("http", "https"):
        raise VaultlabError(f"Vault address {addr!r} is not an http(s) URL: set VAULT_ADDR like "
                            "https://vault.example.com:8200")
    token = token or os.environ.get("VAULT_TOKEN") or _token_file()
    if not token:
        raise VaultlabError("no Vault token: set VAULT_TOKEN, or run `vault login` (it writes ~/.vault-token)")
    namespace = (namespace if namespace is not None else os.environ.get("VAULT_NAMESPACE") or "").strip("/")
    if skip_verify is None:
        skip_verify = truthy(os.environ.get("VAULT_SKIP_VERIFY"))
    cacert = cacert or os.environ.get("VAULT_CACERT") or os.environ.get("VAULT_CAPATH")
    if cacert and not skip_verify and not Path(cacert).exists():
        raise VaultlabError(f"CA certificate {cacert} does not exist: set VAULT_CACERT to the PEM file of "
                            "the CA that signed Vault's certificate")
    return Settings(addr, token.strip(), namespace, False if skip_verify else (cacert or True))


def _token_file() -> str | None:
    path = Path.home() / ".vault-token"
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:300]


def _delay(response: _Response | None, attempt: int) -> float:
    """Seconds to wait before try `attempt + 1`: the server's Retry-After, else back-off with jitter."""
    header = response.headers.get("Retry-After") if response is not None else None
    if header:
        try:
            return min(max(float(header), 0.0), RETRY_AFTER_CAP)
        except ValueError:
            try:
                when = parsedate_to_datetime(header)
                return min(max((when - datetime.now(timezone.utc)).total_seconds(), 0.0), RETRY_AFTER_CAP)
            except (TypeError, ValueError):
                pass
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)  # "equal jitter": never less than half the back-off


class _Response:
    """What hvac's adapter reads of a response (requests' names), over urllib3's."""

    def __init__(self, status: int, headers, content: bytes):
        self.status_code, self.headers, self.content = status, headers, content

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)


class _Session:
    """The HTTP session under hvac's adapter: urllib3 itself. The collector is CPU-bound on large
    estates, and requests' layers cost 1.0 ms of CPU a request here against urllib3's 0.45 ms.
    TLS as the vault command does it: the system's roots, or VAULT_CACERT / VAULT_CAPATH, or
    none with VAULT_SKIP_VERIFY; HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment."""

    def __init__(self, addr: str, verify: bool | str, pool_size: int):
        self.verify, self.cert, self.proxies = verify, None, None  # read by hvac's Adapter
        if verify is False:
            tls = {"cert_reqs": "CERT_NONE", "assert_hostname": False}
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)  # asked for explicitly
        elif isinstance(verify, str):
            tls = {"cert_reqs": "CERT_REQUIRED", ("ca_cert_dir" if Path(verify).is_dir() else "ca_certs"): verify}
        else:
            tls = {"cert_reqs": "CERT_REQUIRED"}
        host = urlsplit(addr).hostname or ""
        proxy = None if urllib.request.proxy_bypass_environment(host) else \
            urllib.request.getproxies_environment().get(urlsplit(addr).scheme)
        options = {"maxsize": pool_size, "block": True, **tls}
        self._pool = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)

    def request(self, method: str, url: str, headers=None, params=None, json=None, timeout=30,
                **_settings_of_requests) -> _Response:  # verify, cert, proxies, allow_redirects: fixed above
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        headers, body = dict(headers or {}), None
        if json is not None:
            body, headers["Content-Type"] = _json_bytes(json), "application/json"
        response = self._pool.request(method.upper(), url, body=body, headers=headers, redirect=False,
                                      retries=False, timeout=urllib3.Timeout(connect=timeout, read=timeout))
        return _Response(response.status, response.headers, response.data)

    def close(self) -> None:
        self._pool.clear()


def _json_bytes(value) -> bytes:
    return json.dumps(value).encode()


class Link:
    """What the adapter and its collection share: the request count, whether Vault has answered
    yet, and the mounts that the material guard knows."""

    def __init__(self, addr: str):
        self.addr = addr
        self.requests = 0
        self.connected = False  # once Vault has answered, a dropped connection is retried
        self.mounts: set[str] = set()  # paths, "secret/"
        self.kv1: set[str] = set()
        self._lock = threading.Lock()

    def count(self) -> None:
        with self._lock:
            self.requests += 1

    def refuse_material(self, method: str, url: str) -> None:
        """Refuse, before sending, any request to an endpoint that returns a secret value."""
        path = unquote(urlsplit(url).path).removeprefix("/v1/").strip("/") + "/"
        mount = max((m for m in self.mounts if path.startswith(m)), key=len, default=None)
        if mount is None:
            return
        sub = path[len(mount):]
        listing = method.upper() == "LIST" or "list=true" in url
        if not listing and ((mount in self.kv1 and sub) or sub.split("/")[0] in MATERIAL):
            raise VaultlabError(f"vaultlab refused to send {method.upper()} {path.rstrip('/')}: that endpoint "
                                "returns secret material (this is a bug in vaultlab; please report it)")

    def unreachable(self, err: urllib3.exceptions.HTTPError) -> VaultlabError:
        if isinstance(err, urllib3.exceptions.SSLError):
            return VaultlabError(f"TLS to Vault at {self.addr} failed ({first_line(err)}): set VAULT_CACERT to "
                                 "the CA bundle that signed its certificate")
        where = f"stopped answering after {ATTEMPTS} attempts" if self.connected else "cannot be reached"
        return VaultlabError(f"Vault at {self.addr} {where} ({first_line(err)}): check VAULT_ADDR and that "
                             "Vault is running")


class _Adapter(JSONAdapter):
    """hvac's JSON adapter, plus what a long crawl needs: the material guard, a request count,
    and retries of 429/5xx (and, once connected, of dropped connections)."""

    def __init__(self, *args, link: Link, **kwargs):
        super().__init__(*args, **kwargs)
        self._link = link

    def request(self, method, url, headers=None, raise_exception=True, **kwargs):
        self._link.refuse_material(method, url)
        response = None
        for attempt in range(1, ATTEMPTS + 1):
            self._link.count()
            try:
                response = RawAdapter.request(self, method, url, headers=dict(headers or {}),
                                              raise_exception=False, **kwargs)
            except urllib3.exceptions.HTTPError as err:
                # an address that never answered is wrong, not busy: fail at once
                if isinstance(err, urllib3.exceptions.SSLError) or not self._link.connected \
                        or attempt == ATTEMPTS:
                    raise self._link.unreachable(err) from None
                _sleep(_delay(None, attempt))
                continue
            self._link.connected = True
            if response.status_code not in RETRY_STATUSES or attempt == ATTEMPTS:
                break
            _sleep(_delay(response, attempt))
        if not response.ok and raise_exception:
            try:
                self._raise_for_error(method, url, response)
            except VaultError as err:
                err.status, err.attempts = response.status_code, attempt
                raise
        if response.status_code == 200:
            try:
                return response.json()
            except ValueError:
                pass
        return response


def reason_of(err: VaultError) -> str:
    status = getattr(err, "status", None)
    text = ", ".join(str(e) for e in (err.errors or []) if e) or first_line(err)
    if isinstance(err, Forbidden):
        return "permission denied (HTTP 403)" + (f": {text}" if text != "permission denied" else "")
    tries = getattr(err, "attempts", 1)
    return f"HTTP {status}" + (f" after {tries} attempts" if tries > 1 else "") + (f": {text}" if text else "")
