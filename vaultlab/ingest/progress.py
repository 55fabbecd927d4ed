"""A progress bar for long ingests: bytes/s and lines/s, shown only on a terminal."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm


class Progress:
    def __init__(self, label: str, total_bytes: int | None, enabled: bool | None = None):
        if enabled is None:
            enabled = sys.stderr.isatty()
        self._bar = tqdm(total=total_bytes, desc=label, unit="B", unit_scale=True,
                         disable=not enabled, leave=False, file=sys.stderr)
        self._lines = 0
        self._start = time.monotonic()

    def advance(self, nbytes: int, nlines: int) -> None:
        self._lines += nlines
        elapsed = max(time.monotonic() - self._start, 1e-9)
        self._bar.set_postfix_str(f"{self._lines:,} lines, {self._lines / elapsed:,.0f} lines/s", refresh=False)
        self._bar.update(nbytes)

    def close(self) -> None:
        self._bar.close()
