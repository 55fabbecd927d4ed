"""Evidence packs: a manifest of SHA-256 digests, an optional Ed25519 signature, and verify.

A pack is a folder. `manifest.json` lists every other file with its SHA-256 and size, next
to what the report was made from (parameters, thresholds, input files, versions). A
detached signature, `manifest.json.sig`, covers the manifest's exact bytes, and so every
file. `verify_pack` names each file that changed, is missing, or was added.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from vaultlab.errors import VaultlabError

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"
FORMAT = "vaultlab-evidence-pack/1"


def file_digest(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _pack_files(pack: Path) -> list[str]:
    """Every file in the pack but the manifest and its signature, as sorted relative paths."""
    names = []
    for root, _, files in os.walk(pack):
        for name in files:
            rel = (Path(root) / name).relative_to(pack).as_posix()
            if rel not in (MANIFEST, SIGNATURE):
                names.append(rel)
    return sorted(names)


def write_manifest(pack: Path, details: dict, *, sign_key: str | os.PathLike | None = None) -> dict:
    """Write manifest.json for the files now in `pack` (and sign it if a key is given)."""
    manifest = {"format": FORMAT, **details,
                "files": {name: {"sha256": file_digest(pack / name), "bytes": (pack / name).stat().st_size}
                          for name in _pack_files(pack)}}
    data = (json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n").encode()
    (pack / MANIFEST).write_bytes(data)
    if sign_key:
        (pack / SIGNATURE).write_text(base64.b64encode(_private_key(sign_key).sign(data)).decode() + "\n")
    return manifest


@dataclass
class Verification:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    signature: str | None = None  # "valid", or why not; None when no key was given

    @property
    def intact(self) -> bool:
        return not (self.changed or self.missing or self.added) and self.signature in (None, "valid")

    def problems(self) -> list[str]:
        out = [f"changed: {n}" for n in self.changed] + [f"missing: {n}" for n in self.missing]
        out += [f"added: {n}" for n in self.added]
        if self.signature not in (None, "valid"):
            out.append(f"signature: {self.signature}")
        return out


def verify_pack(pack: str | os.PathLike, *, public_key: str | os.PathLike | None = None) -> Verification:
    pack = Path(pack)
    try:
        data = (pack / MANIFEST).read_bytes()
        manifest = json.loads(data)
        listed = manifest["files"]
    except FileNotFoundError:
        raise VaultlabError(f"{pack} has no {MANIFEST}: it is not an evidence pack") from None
    except (ValueError, KeyError, TypeError):
        raise VaultlabError(f"{pack / MANIFEST} is not a readable vaultlab manifest") from None
    result = Verification()
    for name, entry in sorted(listed.items()):
        path = pack / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            result.changed.append(name)  # a manifest that points outside the pack is itself tampered
        elif not path.is_file():
            result.missing.append(name)
        elif file_digest(path) != entry.get("sha256"):
            result.changed.append(name)
    result.added = [n for n in _pack_files(pack) if n not in listed]
    if public_key:
        result.signature = _check_signature(pack, data, public_key)
    return result


def _private_key(path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as err:
        raise VaultlabError(f"cannot read the signing key {path}: {err}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise VaultlabError(f"{path} is not an Ed25519 private key (openssl genpkey -algorithm ed25519)")
    return key


def _check_signature(pack: Path, data: bytes, public_key) -> str:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(Path(public_key).read_bytes())
    except (OSError, ValueError) as err:
        raise VaultlabError(f"cannot read the public key {public_key}: {err}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise VaultlabError(f"{public_key} is not an Ed25519 public key")
    try:
        signature = base64.b64decode((pack / SIGNATURE).read_text().strip(), validate=True)
    except FileNotFoundError:
        return f"{SIGNATURE} is missing"
    except ValueError:
        return f"{SIGNATURE} is not base64"
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return "does not match the manifest under this public key"
    return "valid"
