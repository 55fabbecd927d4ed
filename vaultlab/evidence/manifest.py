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
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

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
        (pack / SIGNATURE).write_text(base64.b64encode(private_key(sign_key).sign(data)).decode() + "\n")
    return manifest


@dataclass
class Verification:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)  # symlinks, unlisted folders, bad archive names, bad manifest
    signature: str | None = None  # "valid", or why not; None when no key was given

    @property
    def intact(self) -> bool:
        return (not (self.changed or self.missing or self.added or self.unsafe)
                and self.signature in (None, "valid"))

    def problems(self) -> list[str]:
        out = [f"changed: {n}" for n in self.changed] + [f"missing: {n}" for n in self.missing]
        out += [f"added: {n}" for n in self.added] + list(self.unsafe)
        if self.signature not in (None, "valid"):
            out.append(f"signature: {self.signature}")
        return out


MAX_MANIFEST = 64 << 20  # bytes; a real manifest is a few KB


def verify_pack(pack: str | os.PathLike, *, public_key: str | os.PathLike | None = None) -> Verification:
    """Check a pack folder, or its .zip, against its manifest; nothing outside the pack is read.

    Any symlink, any folder the manifest does not imply, any archive entry with an absolute or
    `..` name, and a malformed manifest are findings, as are changed, missing and added files."""
    pack = Path(pack)
    result = Verification()
    if pack.is_file():
        if not zipfile.is_zipfile(pack):
            raise VaultlabError(f"{pack} is neither an evidence pack folder nor its .zip")
        try:
            with zipfile.ZipFile(pack) as archive:
                members, folders = _zip_members(archive, result)
                return _compare(pack, members, folders, result, public_key)
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise VaultlabError(f"{pack} is a damaged zip: {err}") from None
    if not pack.is_dir():
        raise VaultlabError(f"{pack} has no {MANIFEST}: it is not an evidence pack")
    members, folders = _folder_members(pack, result)
    return _compare(pack, members, folders, result, public_key)


def _folder_members(pack: Path, result: Verification) -> tuple[dict, set[str]]:
    """Regular files (name -> opener) and folders of a pack folder; symlinks are findings, never followed."""
    members, folders = {}, set()
    for root, dirs, files in os.walk(pack):  # os.walk does not descend into symlinked folders
        for name in sorted(dirs + files):
            path = Path(root) / name
            rel = path.relative_to(pack).as_posix()
            if path.is_symlink():
                result.unsafe.append(f"symlink: {rel}")
            elif path.is_dir():
                folders.add(rel)
            elif path.is_file():
                members[rel] = lambda path=path: os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")
            else:
                result.unsafe.append(f"not a regular file: {rel}")
    return members, folders


def _zip_members(archive: zipfile.ZipFile, result: Verification) -> tuple[dict, set[str]]:
    """Entries of a pack's zip, relative to its one top folder; unsafe names are findings, never opened."""
    members, folders, tops = {}, set(), set()
    for info in archive.infolist():
        name = info.filename
        parts = PurePosixPath(name).parts
        if not _safe_name(name.rstrip("/")):
            result.unsafe.append(f"unsafe name in the archive: {name!r}")
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            result.unsafe.append(f"symlink: {name}")
            continue
        tops.add(parts[0])
        rel = "/".join(parts[1:])
        if not rel:
            continue
        if info.is_dir():
            folders.add(rel)
        elif rel in members:
            result.unsafe.append(f"duplicate entry in the archive: {name}")
        else:
            members[rel] = lambda info=info: archive.open(info)
            folders.update(p.as_posix() for p in PurePosixPath(rel).parents if p.as_posix() != ".")
    if len(tops) > 1:
        result.unsafe.append(f"the archive holds more than one top folder: {', '.join(sorted(tops))}")
    return members, folders


def _safe_name(name) -> bool:
    """A relative POSIX path inside the pack: no absolute path, drive, `..`, `.`, backslash or empty part."""
    if not isinstance(name, str) or not name or "\\" in name or "\0" in name or name.startswith("/"):
        return False
    parts = name.split("/")
    return not (":" in parts[0] or any(p in ("", ".", "..") for p in parts))


def _read(opener, limit: int) -> bytes:
    with opener() as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return data


def _digest(opener) -> str:
    digest = hashlib.sha256()
    with opener() as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _listed(data: bytes, result: Verification) -> dict[str, str] | None:
    """The manifest's files as name -> sha256, or None (with a finding) when it is malformed."""
    try:
        listed = json.loads(data)["files"]
        if not isinstance(listed, dict):
            raise TypeError
        return {name: entry["sha256"] if isinstance(entry, dict) and isinstance(entry.get("sha256"), str) else ""
                for name, entry in listed.items()}
    except (ValueError, KeyError, TypeError, RecursionError):
        result.unsafe.append(f"manifest: {MANIFEST} is not a readable vaultlab manifest")
        return None


def _compare(pack: Path, members: dict, folders: set[str], result: Verification, public_key) -> Verification:
    if MANIFEST not in members:
        if any(p.endswith(f": {MANIFEST}") for p in result.unsafe):
            return result
        raise VaultlabError(f"{pack} has no {MANIFEST}: it is not an evidence pack")
    try:
        data = _read(members[MANIFEST], MAX_MANIFEST)
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        result.unsafe.append(f"manifest: cannot read {MANIFEST}: {err}")
        return result
    listed = _listed(data, result)
    if listed is None:
        return result
    for name, sha256 in sorted(listed.items()):
        if not _safe_name(name):
            result.changed.append(repr(name))  # a manifest that points outside the pack is itself tampered
        elif name not in members:
            result.missing.append(name)
        elif not sha256 or _safe_digest(members[name], result, name) != sha256:
            result.changed.append(name)
    result.added = sorted(n for n in members if n not in listed and n not in (MANIFEST, SIGNATURE))
    implied = {p.as_posix() for n in listed if _safe_name(n) for p in PurePosixPath(n).parents} - {"."}
    result.unsafe += [f"unlisted folder: {f}" for f in sorted(folders - implied)]
    if public_key:
        result.signature = _check_signature(members.get(SIGNATURE), data, public_key)
    return result


def _safe_digest(opener, result: Verification, name: str) -> str | None:
    try:
        return _digest(opener)
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError) as err:
        result.unsafe.append(f"unreadable: {name}: {err}")
        return None


def private_key(path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as err:
        raise VaultlabError(f"cannot read the signing key {path}: {err}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise VaultlabError(f"{path} is not an Ed25519 private key (openssl genpkey -algorithm ed25519)")
    return key


def _check_signature(opener, data: bytes, public_key) -> str:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(Path(public_key).read_bytes())
    except (OSError, ValueError) as err:
        raise VaultlabError(f"cannot read the public key {public_key}: {err}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise VaultlabError(f"{public_key} is not an Ed25519 public key")
    if opener is None:
        return f"{SIGNATURE} is missing"
    try:
        signature = base64.b64decode(_read(opener, 4096).strip(), validate=True)
    except (OSError, ValueError, zipfile.BadZipFile):
        return f"{SIGNATURE} is not base64"
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return "does not match the manifest under this public key"
    return "valid"
