"""Leak search: the blast radius of a suspected leaked value or token.

Vault's audit log never holds a token or a secret value in clear: it holds their HMAC under
the audit device's key. `sys/audit-hash/<device>` computes that HMAC for a given input, so the
value can be looked for without being logged: `vaultlab.queries.incident.blast_radius` matches
the HMAC against every event's token, token accessor, issued token and HMAC'd data.

The value is read from standard input, never from an argument (arguments end up in shell
history and process listings), and is not kept anywhere: only its HMAC is printed.
"""

from __future__ import annotations

import getpass
import re
import sys

from vaultlab.errors import VaultlabError


def read_value(stream=None) -> str:
    """The suspected value: typed without echo on a terminal, else read from the pipe."""
    stream = stream or sys.stdin
    value = getpass.getpass("value or token (not echoed): ") if stream.isatty() else stream.read()
    value = value.rstrip("\r\n")
    if not value:
        raise VaultlabError("no value on standard input; pipe it in: `vaultlab leak --audit-device file/ < value.txt`")
    return value


HMAC = re.compile(r"hmac-sha256:[0-9a-f]{64}")


def audit_hmac(client, device: str, value: str) -> str:
    """The HMAC the audit device `device` writes for `value` (Vault's sys/audit-hash).

    No text from the server is ever shown: an endpoint that echoes its input in an error (or
    in place of the hash) would print the value. Errors name the HTTP status or the exception
    class only, and the answer must look like an HMAC."""
    import hvac.exceptions

    path = device.strip("/")
    try:
        response = client.sys.calculate_hash(path=path, input_to_hash=value)
        body = response if isinstance(response, dict) else response.json()
        digest = body.get("hash") or (body.get("data") or {}).get("hash")
    except hvac.exceptions.InvalidPath:
        raise VaultlabError(f"Vault has no audit device {device!r}; `vault audit list` shows their paths") from None
    except hvac.exceptions.Forbidden:
        raise VaultlabError(f"the token may not call sys/audit-hash/{path}; it needs `update` on that path") from None
    except hvac.exceptions.VaultError as err:
        raise VaultlabError(f"sys/audit-hash/{path} failed ({type(err).__name__}); the server's message is not shown, "
                            "as it could hold the value") from None
    except Exception as err:  # noqa: BLE001 - a transport or decoding error: its text may quote the answer
        raise VaultlabError(f"sys/audit-hash/{path} failed ({type(err).__name__}); is VAULT_ADDR a Vault "
                            "server?") from None
    if not isinstance(digest, str) or not HMAC.fullmatch(digest) or value in digest:
        raise VaultlabError("sys/audit-hash answered without an HMAC (hmac-sha256:<64 hex digits>); "
                            "is this a Vault server? (the answer is not shown)")
    return digest
