"""Batches read ahead in a thread: the next batch is read, inflated, hashed and split into lines
while DuckDB stages the current one.

The reader holds the GIL only between its numpy, zlib and hashlib calls, and DuckDB releases it
while a statement runs, so the two overlap. Measured on 2 cores, 1M Vault lines, four runs each
interleaved: the ingest took 11.5 s instead of 11.9 s (median), for the same CPU time, with a
peak RSS 65 MB higher (three 16 MB batches ahead).
"""

from __future__ import annotations

import queue
import threading
from typing import Generic, Iterator, TypeVar

T = TypeVar("T")

_END = object()
_POLL_SECONDS = 0.05  # how often a blocked side looks whether the other has stopped


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


class ReadAhead(Generic[T]):
    """Iterate `items` in a thread, `depth` items ahead of the consumer.

    Use as a context manager: leaving it (at the end, on an error, on Ctrl-C) stops the thread
    and waits for it, so nothing reads a file after it is closed. An error raised while
    producing an item is raised again where the consumer asks for that item.
    """

    def __init__(self, items: Iterator[T], depth: int = 1):
        self._items = items
        self._queue: queue.Queue = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="vaultlab-read-ahead", daemon=True)

    def __enter__(self) -> "ReadAhead[T]":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        interrupted: KeyboardInterrupt | None = None
        while self._thread.is_alive():
            try:  # make room for an item the thread is waiting to put
                self._queue.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                pass
            except KeyboardInterrupt as err:  # a second Ctrl-C: the thread is stopped first all the same
                interrupted = err
        self._thread.join()
        if interrupted is not None:
            raise interrupted

    def __iter__(self) -> Iterator[T]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item

    def _produce(self) -> None:
        try:
            for item in self._items:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as err:  # handed to the consumer, which raises it
            self._put(_Failure(err))
        finally:
            close = getattr(self._items, "close", None)
            if close:
                close()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False
