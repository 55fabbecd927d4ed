"""The one exception type that the CLI turns into a clean one-line error, and the wording of
database failures a user can act on (a full disk)."""

import os
import re


class VaultlabError(Exception):
    """A request vaultlab cannot carry out; the message says what to do instead."""


_FILE_NAMED = re.compile(r'(?:file|path) "([^"]+)"')


def database_failure(err: BaseException) -> str:
    """The first line of a database error, said so a user can act on it.

    DuckDB reports a full disk as "No space left on device" (naming the file it was writing) or,
    when its temp folder fills, as "failed to offload data block" (an out-of-memory error that
    is not one); both become a sentence that says which disk is full."""
    text = (str(err).splitlines() or [""])[0]
    if "No space left on device" in text or "failed to offload" in text or "Disk quota exceeded" in text:
        named = _FILE_NAMED.search(text)
        where = (f"the disk holding {os.path.dirname(named.group(1)) or '.'}" if named
                 else "a disk (the warehouse's folder, or DuckDB's temp folder beside it)")
        return f"{where} is full; free space or move the warehouse, then run the command again ({text})"
    return text
