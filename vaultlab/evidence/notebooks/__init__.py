"""The parameterised notebooks (`*.ipynb` here), shipped inside the package."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path


def notebook_path(name: str) -> Path:
    """The installed notebook `<name>.ipynb` as a file path (papermill reads it by path)."""
    with as_file(files(__name__) / f"{name}.ipynb") as path:  # a real file for any normal install
        return Path(path)
