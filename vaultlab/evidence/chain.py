"""A chain of packs: each manifest records the SHA-256 of the previous period's manifest.

A chain is one framework at one cadence (months, quarters or years) in one `--out` folder.
`previous_link` is what `make_pack` records; `verify_chain` checks a folder of packs in period
order and names each pack that is not intact, each break (a previous manifest that is not the
one recorded), gap (a missing period, a recorded previous that is absent) and reordering.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from vaultlab.errors import VaultlabError
from vaultlab.evidence.manifest import MANIFEST, MAX_MANIFEST, verify_pack

FIRST = "first pack of this chain"
PERIOD = re.compile(r"(?P<year>[0-9]{4})(?:-(?P<month>[0-9]{2})|-Q(?P<quarter>[1-4]))?")


def _step(label: str) -> tuple[str, int] | None:
    """A period label as (cadence, ordinal): months, quarters and years count from year 0."""
    match = PERIOD.fullmatch(label) if isinstance(label, str) else None
    if not match:
        return None
    year = int(match["year"])
    if match["month"]:
        return ("month", year * 12 + int(match["month"]) - 1) if 1 <= int(match["month"]) <= 12 else None
    if match["quarter"]:
        return "quarter", year * 4 + int(match["quarter"]) - 1
    return "year", year


def _label(cadence: str, ordinal: int) -> str:
    if cadence == "month":
        return f"{ordinal // 12:04d}-{ordinal % 12 + 1:02d}"
    if cadence == "quarter":
        return f"{ordinal // 4:04d}-Q{ordinal % 4 + 1}"
    return f"{ordinal:04d}"


def previous_period(label: str) -> str:
    """The period before: the calendar month, quarter or year before `label`."""
    step = _step(label)
    if step is None or step[1] == 0:
        raise VaultlabError(f"{label!r} is not a month, quarter or year: a pack has no previous period")
    return _label(step[0], step[1] - 1)


def _manifest_bytes(path: Path) -> bytes | None:
    """The manifest of a pack folder or its .zip, or None when there is none (symlinks are not followed)."""
    if path.is_symlink():
        return None
    if path.is_dir():
        try:
            fd = os.open(path / MANIFEST, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as fh:
            return fh.read(MAX_MANIFEST)
    if path.is_file() and zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive, archive.open(f"{path.stem}/{MANIFEST}") as fh:
                return fh.read(MAX_MANIFEST)
        except (KeyError, OSError, zipfile.BadZipFile, RuntimeError):
            return None
    return None


def previous_link(out: Path, framework: str, period: str) -> dict:
    """The manifest fields that link the pack of `framework`/`period` to its previous one in `out`:
    the previous pack's folder (else its .zip) manifest SHA-256, or null with the reason."""
    before = previous_period(period)
    name = f"{framework}-{before}"
    for path in (out / name, out / f"{name}.zip"):
        data = _manifest_bytes(path)
        if data is not None:
            return {"previous_pack": {"framework": framework, "period": before},
                    "previous_manifest_sha256": hashlib.sha256(data).hexdigest(), "previous_reason": None}
    cadence, ordinal = _step(period)
    steps = [_step(p.name.removesuffix(".zip")[len(framework) + 1:]) for p in _named(out, framework)]
    earlier = any(s is not None and s[0] == cadence and s[1] < ordinal for s in steps)
    return {"previous_pack": {"framework": framework, "period": before}, "previous_manifest_sha256": None,
            "previous_reason": f"no pack for {before} in {out}" if earlier else FIRST}


def _named(out: Path, framework: str) -> list[Path]:
    if not out.is_dir():
        return []
    return [p for p in out.iterdir() if p.name.startswith(f"{framework}-") and not p.is_symlink()]


@dataclass
class Pack:
    name: str  # the folder or zip name in DIR
    framework: str
    period: str
    sha256: str
    manifest: dict


@dataclass
class ChainReport:
    findings: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, pack, message)
    packs: int = 0
    chains: int = 0

    @property
    def whole(self) -> bool:
        return not self.findings

    def add(self, kind: str, pack: str, message: str) -> None:
        self.findings.append((kind, pack, message))


def verify_chain(folder: str | os.PathLike, *, public_key=None) -> ChainReport:
    """Check every pack (folder or .zip) in `folder`: intact, and linked to its previous one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VaultlabError(f"--chain {folder} is not a folder")
    report = ChainReport()
    chains: dict[tuple[str, str], dict[int, list[Pack]]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or not (path.is_dir() or path.suffix == ".zip" or path.is_symlink()):
            continue  # staging folders of a render under way, notes beside the packs
        if path.is_symlink():
            report.packs += 1
            report.add("not intact", path.name, "a symlink, not followed")
            continue
        pack = _read_pack(path, report, public_key)
        if pack is not None:
            cadence, ordinal = _step(pack.period)
            chains.setdefault((pack.framework, cadence), {}).setdefault(ordinal, []).append(pack)
    report.chains = len(chains)
    for (framework, cadence), packs in sorted(chains.items()):
        _check_chain(framework, cadence, packs, report)
    return report


def _read_pack(path: Path, report: ChainReport, public_key) -> Pack | None:
    report.packs += 1
    try:
        result = verify_pack(path, public_key=public_key)
    except VaultlabError as err:
        report.add("not intact", path.name, str(err))
        return None
    for problem in result.problems():
        report.add("not intact", path.name, problem)
    data = _manifest_bytes(path)
    try:
        manifest = json.loads(data)
        framework, period = manifest["parameters"]["framework"], manifest["parameters"]["period"]
        if not isinstance(framework, str) or _step(period) is None:
            raise TypeError
    except (TypeError, ValueError, KeyError):
        report.add("not intact", path.name, "its manifest names no framework and month, quarter or year")
        return None
    if path.name.removesuffix(".zip") != f"{framework}-{period}":
        report.add("reordered", path.name, f"holds the {framework} pack of {period} (renamed)")
    return Pack(path.name, framework, period, hashlib.sha256(data).hexdigest(), manifest)


def _check_chain(framework: str, cadence: str, packs: dict[int, list[Pack]], report: ChainReport) -> None:
    ordinals = sorted(packs)
    for ordinal in ordinals:
        copies = packs[ordinal]
        if len({c.sha256 for c in copies}) > 1:
            report.add("break", copies[0].name, f"{', '.join(c.name for c in copies)} are the same period "
                                                 "with different manifests")
    for index, ordinal in enumerate(ordinals):
        for pack in packs[ordinal]:
            earlier = ordinals[index - 1] if index else None
            _check_link(pack, cadence, ordinal, packs.get(ordinal - 1), earlier, report)


def _check_link(pack: Pack, cadence: str, ordinal: int, previous: list[Pack] | None, earlier: int | None,
                report: ChainReport) -> None:
    """One pack's recorded previous against the pack of the period before it in DIR."""
    expected = _label(cadence, ordinal - 1)
    recorded = pack.manifest.get("previous_pack")
    sha256, reason = pack.manifest.get("previous_manifest_sha256"), pack.manifest.get("previous_reason")
    if sha256 is not None and not isinstance(sha256, str):
        sha256 = repr(sha256)  # a hand-made manifest: compared as text, never trusted
    if "previous_manifest_sha256" not in pack.manifest:
        reason = "its manifest records no previous pack (made before packs were chained)"
    elif recorded != {"framework": pack.framework, "period": expected}:
        report.add("reordered", pack.name, f"records as its previous {_describe(recorded)}; "
                                           f"expected the {pack.framework} pack of {expected}")
        return
    if previous:
        if sha256 is None:
            report.add("gap", pack.name, f"made without its previous pack ({reason}), "
                                         f"but {previous[0].name} is here")
        elif sha256 not in {p.sha256 for p in previous}:
            report.add("break", pack.name, f"the manifest of {previous[0].name} is not the one it recorded "
                                           f"(SHA-256 {sha256[:12]}…, now {previous[0].sha256[:12]}…): "
                                           "edited or rendered again")
    elif earlier is not None:
        first = _label(cadence, earlier + 1)
        missing = first if first == expected else f"{first}..{expected}"
        report.add("gap", pack.name, f"no {pack.framework} pack for {missing} in this folder")
    elif sha256 is not None:
        report.add("gap", pack.name, f"its recorded previous, the {pack.framework} pack of {expected}, "
                                     "is not in this folder")
    elif reason != FIRST:
        report.add("gap", pack.name, f"made without a previous pack: {reason}")


def _describe(recorded) -> str:
    if isinstance(recorded, dict) and {"framework", "period"} <= set(recorded):
        return f"the {recorded['framework']} pack of {recorded['period']}"
    return "nothing readable"
