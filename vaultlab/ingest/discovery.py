"""Which files a list of paths, folders and globs names, and why any of them cannot be read.

Every expansion terminates: a recursive glob follows symlinked folders but walks each real
folder once, so `loop -> .` or `sub/up -> ..` cannot make it spin. What cannot be read is not
an error that ends the run: an unreadable file or folder, a named pipe, a device or a
dangling symlink comes back with the reason it was skipped, and everything else loads.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import shutil
import stat
import sys
from functools import lru_cache
from pathlib import Path

STDIN_NAMES = ("-", "/dev/stdin")


def special_kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words; None for a regular file."""
    kinds = [(stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")]
    return next((f"{words}, not a regular file" for test, words in kinds if test(mode)), None)


def why_unusable(path: Path) -> str | None:
    """Why `path` (found in a folder or by a glob, or named) cannot be loaded; None if it can."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "a symlink to a file that does not exist (dangling)"
    except OSError as err:
        return f"not readable: {err.strerror or err}"
    if stat.S_ISDIR(mode):
        return None
    kind = special_kind(mode)
    if kind:
        return kind
    if not os.access(path, os.R_OK):
        return "not readable: Permission denied"
    return None


class RealPaths:
    """Where paths really are (symlinks resolved), each folder resolved once: resolving every file
    of a folder of 100,000 files walked its whole path each time (~50 us a file)."""

    def __init__(self):
        self._folders: dict[Path, Path] = {}

    def folder(self, path: Path) -> Path:
        if path not in self._folders:
            self._folders[path] = path.resolve()
        return self._folders[path]

    def file(self, path: Path) -> Path:
        if path.name in ("", ".", "..") or path.is_symlink():
            return path.resolve()
        return self.folder(path.parent) / path.name


def walk(folder: Path):
    """(files found, {folder that could not be listed: reason}) under `folder`.

    Symlinked folders are not entered and hidden files (a name starting with a dot) are
    left out, as before.
    """
    found, unreadable = [], {}

    def note(err: OSError) -> None:
        unreadable[Path(err.filename)] = f"folder not readable: {err.strerror or err}"

    for dirpath, dirnames, filenames in os.walk(folder, onerror=note):
        dirnames.sort()
        found += [Path(dirpath) / name for name in sorted(filenames) if not name.startswith(".")]
    return found, unreadable


def expand_glob(pattern: str) -> tuple[list[Path], dict[Path, str]]:
    """The paths a glob matches, and folders it could not list; `**` crosses any depth.

    Python's glob follows symlinked folders without remembering where it has been, so a
    cycle under `**` never ends; here the walk visits each real folder once.
    """
    if "**" not in pattern:
        return [Path(p) for p in sorted(glob.glob(pattern))], {}
    parts = Path(pattern).parts
    first_magic = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    base = Path(*parts[:first_magic]) if first_magic else Path(".")
    if not base.is_dir():
        return [], {}
    rest = tuple(parts[first_magic:])
    found, seen, unreadable = [], set(), {}

    def note(err: OSError) -> None:
        unreadable[Path(err.filename)] = f"folder not readable: {err.strerror or err}"

    for dirpath, dirnames, filenames in os.walk(base, onerror=note, followlinks=True):
        info = os.stat(dirpath)
        if (info.st_dev, info.st_ino) in seen:
            dirnames[:] = []
            continue
        seen.add((info.st_dev, info.st_ino))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        relative = Path(dirpath).relative_to(base).parts
        for name in dirnames + sorted(filenames):
            if _matches(rest, (*relative, name)):
                found.append(Path(dirpath) / name)
    return found, unreadable


@lru_cache(maxsize=4096)
def _matches(pattern: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    """glob semantics, part by part: `**` is any number of folders; a wildcard skips hidden names."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_matches(pattern[1:], parts[k:]) for k in range(len(parts) + 1)
                   if not any(p.startswith(".") for p in parts[:k]))
    if not parts:
        return False
    hidden = parts[0].startswith(".") and not pattern[0].startswith(".")
    return not hidden and fnmatch.fnmatchcase(parts[0], pattern[0]) and _matches(pattern[1:], parts[1:])


def is_stream(given: str) -> bool:
    """True for standard input (`-`, `/dev/stdin`) and a named pipe given by name (`<(zcat …)`)."""
    if given in STDIN_NAMES:
        return True
    try:
        return not glob.has_magic(given) and stat.S_ISFIFO(os.stat(given).st_mode)
    except OSError:
        return False


def spool(given: str, folder: Path, number: int) -> tuple[Path, str]:
    """Copy a stream to a file in `folder` (it is hashed and read more than once); (copy, ledger name)."""
    copy = folder / f"stream-{number}"
    source = sys.stdin.buffer if given in STDIN_NAMES else open(given, "rb")
    with open(copy, "wb") as out:
        shutil.copyfileobj(source, out, 1 << 20)
    if source is not sys.stdin.buffer:
        source.close()
    return copy, "<stdin>" if given in STDIN_NAMES else given
