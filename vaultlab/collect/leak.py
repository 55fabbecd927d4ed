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


def audit_hmac(client, device: str, value: str) -> str:
    """The HMAC the audit device `device` writes for `value` (Vault's sys/audit-hash)."""
    import hvac.exceptions

    try:
        response = client.sys.calculate_hash(path=device.strip("/"), input_to_hash=value)
    except hvac.exceptions.InvalidPath:
        raise VaultlabError(f"Vault has no audit device {device!r}; `vault audit list` shows their paths") from None
    except hvac.exceptions.Forbidden:
        raise VaultlabError(f"the token may not call sys/audit-hash/{device.strip('/')}; it needs `update` "
                            "on that path") from None
    except hvac.exceptions.VaultError as err:
        raise VaultlabError(f"sys/audit-hash failed: {str(err).splitlines()[0]}") from None
    body = response if isinstance(response, dict) else response.json()
    digest = body.get("hash") or (body.get("data") or {}).get("hash")
    if not digest:
        raise VaultlabError("sys/audit-hash answered without a hash; is this a Vault server?")
    return digest
