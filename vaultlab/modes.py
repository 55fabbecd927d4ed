"""File modes for everything that holds warehouse data: owner-only, whatever the umask.

The warehouse, its WAL, DuckDB's temp folder, evidence packs (folder, files and zip) and
.ics files are created with mode 0700 (folders) and 0600 (files).
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


@contextmanager
def owner_only():
    """Create files and folders owner-only for a while (the umask is per process: child
    processes started meanwhile, such as a notebook kernel, inherit it)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


_lock = threading.Lock()
_holders = 0
_saved_umask = 0


def hold_owner_only() -> None:
    """Keep the umask owner-only until the matching `release_owner_only` (calls nest): DuckDB
    creates the WAL and its spill files long after the connection is opened."""
    global _holders, _saved_umask
    with _lock:
        if _holders == 0:
            _saved_umask = os.umask(0o077)
            os.umask(_saved_umask | 0o077)
        _holders += 1


def release_owner_only() -> None:
    global _holders
    with _lock:
        if _holders == 0:
            return
        _holders -= 1
        if _holders == 0:
            os.umask(_saved_umask)


def private_folder(path: Path) -> Path:
    """Create `path` (or tighten it) as an owner-only folder; a symlink there is refused."""
    if path.is_symlink():
        raise OSError(f"{path} is a symlink")
    with owner_only():
        path.mkdir(mode=DIR_MODE, exist_ok=True)
    path.chmod(DIR_MODE)
    return path


def restrict_tree(root: Path) -> None:
    """chmod a folder and everything under it to owner-only (symlinks are left alone, never followed)."""
    root.chmod(DIR_MODE)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(DIR_MODE)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                path.chmod(FILE_MODE)


def write_private(path: str | os.PathLike, text: str, *, newline: str | None = None) -> None:
    """Write a text file that only its owner can read (an existing file's mode is tightened too)."""
    path = Path(path)
    with owner_only():
        with open(path, "w", encoding="utf-8", newline=newline) as fh:
            fh.write(text)
    path.chmod(FILE_MODE)
