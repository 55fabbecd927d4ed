"""YAML from files a user (or an attacker) wrote: no aliases, a size limit, a depth limit.

A 1 KB "billion laughs" file (anchors referring to anchors) expands to gigabytes; vaultlab's
YAML files (exceptions, inventories, framework catalogs) never need anchors, so an alias
(`*name`, and so a `<<: *name` merge) is refused with its line, rather than expanded.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from vaultlab.errors import VaultlabError

MAX_DEPTH = 100


class _StrictLoader(yaml.SafeLoader):
    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not accepted", mark)
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml_text(text: str, what: str):
    """Parse YAML text (from `what`, for messages): aliases and deep nesting are refused."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise VaultlabError(f"{what} is not valid YAML: {err.problem or err.context}{where}") from None
    except yaml.YAMLError as err:
        raise VaultlabError(f"{what} is not valid YAML: {str(err).splitlines()[0]}") from None


def load_yaml_file(path: str | Path, what: str, *, max_bytes: int):
    """A YAML file no larger than max_bytes, parsed as by `load_yaml_text`."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise VaultlabError(f"{what} {path} is {size} bytes; at most {max_bytes} are read from a YAML file")
    return load_yaml_text(path.read_text(encoding="utf-8-sig"), f"{what} {path}")
