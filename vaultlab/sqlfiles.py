"""SQL text: the one loader of the package's `.sql` files, their headers, and identifier quoting.

Values are always bound; an identifier, where one is dynamic, goes through `quote_ident`.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def sql_text(package: str, name: str) -> str:
    """The text of `<name>.sql` inside `package` as installed (`name` may hold a sub-folder)."""
    resource = files(package)
    for part in f"{name}.sql".split("/"):
        resource = resource / part
    return resource.read_text(encoding="utf-8")


def sql_names(package: str, folder: str = "") -> list[str]:
    """The names (without `.sql`) of the SQL files in a package folder, sorted."""
    resource = files(package)
    for part in filter(None, folder.split("/")):
        resource = resource / part
    return sorted(p.name[:-4] for p in resource.iterdir() if p.name.endswith(".sql"))


def sql_header(text: str) -> dict[str, str]:
    """`-- key: value` lines at the top of a SQL file (continued by `--   more`), as a dict.

    The header ends at the first line that is not a comment.
    """
    header: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        body = line[2:].strip()
        name, sep, value = body.partition(":")
        if sep and name and " " not in name.strip() and line[2:3] == " " and not line.startswith("--   "):
            key = name.strip()
            header[key] = value.strip()
        elif key and body:
            header[key] = (header[key] + " " + body).strip()
    return header


def header_list(header: dict[str, str], key: str) -> list[str]:
    """A comma-separated header value as a list (empty when absent or `none`)."""
    value = header.get(key, "").strip()
    if not value or value == "none":
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


def quote_literal(text: str) -> str:
    """Quote a string literal for DuckDB (embedded quotes doubled), for the places that take no
    bound parameter (a COPY's target file)."""
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'
