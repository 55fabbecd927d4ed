"""Input files as byte streams: gzip inflated in bounded steps (a damaged or hostile archive
gives what it can, never unbounded memory), and the bytes hashed as they are read."""

from __future__ import annotations

import hashlib
import io
import zlib
from pathlib import Path
from typing import BinaryIO

from vaultlab.errors import VaultlabError

GZIP_MAGIC = b"\x1f\x8b"


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as probe:
        return probe.read(2) == GZIP_MAGIC


INFLATE_IN = 1 << 16  # compressed bytes handed to zlib at a time
INFLATE_OUT = 1 << 20  # most bytes one zlib call may produce: a bomb inflates a thousandfold


class Gunzip(io.RawIOBase):
    """gzip decompression in bounded steps that keeps everything before damage.

    gzip.GzipFile drops the data of a read that meets the end of a truncated file; a
    rotation stopped mid-write leaves exactly such files. Here the readable part comes out
    first, then the error: when zlib raises, the step is replayed a byte at a time from a
    copy of the decompressor taken before it, so every byte inflated before the damage is
    kept (all of them when only the CRC trailer is bad). Each step inflates at most
    INFLATE_OUT bytes, so memory stays flat whatever the ratio. Concatenated members are
    read in turn.
    """

    def __init__(self, raw: BinaryIO):
        self._raw, self._unzip, self._out = raw, zlib.decompressobj(47), bytearray()
        self._pending = b""  # compressed bytes not yet inflated
        self._fed = 0  # compressed bytes taken from the file
        self._fresh = True  # the current member has received no byte yet
        self._error: Exception | None = None
        self._done = False

    def readable(self) -> bool:
        return True

    def _fill(self, want: int) -> None:
        while len(self._out) < want and not self._done:
            if not self._pending:
                self._pending = self._raw.read(INFLATE_IN)
                self._fed += len(self._pending)
                if not self._pending:
                    self._done = True
                    if not self._fresh:
                        self._error = EOFError(f"compressed data ends before its end marker (byte {self._fed})")
                    return
            self._step()

    def _step(self) -> None:
        data, saved = self._pending, self._unzip.copy()
        self._fresh = False
        try:
            self._out += self._unzip.decompress(data, INFLATE_OUT)
        except zlib.error as err:
            self._unzip = saved
            self._salvage(data, err)
            return
        self._pending = self._unzip.unconsumed_tail
        if self._unzip.eof:  # the next gzip member, if any, starts with the unused bytes
            self._pending, self._unzip, self._fresh = self._unzip.unused_data, zlib.decompressobj(47), True

    def _salvage(self, data: bytes, err: zlib.error) -> None:
        """Inflate `data` a byte at a time up to the damage, then stop with its position."""
        at = self._fed - len(data)
        for i in range(len(data)):
            try:
                self._out += self._unzip.decompress(data[i:i + 1])
            except zlib.error:
                at += i
                break
        self._done, self._error = True, zlib.error(f"{err} at compressed byte {at}")

    def read(self, size: int = -1) -> bytes:
        self._fill(size if size >= 0 else 1 << 62)
        if not self._out and self._error:
            err, self._error = self._error, None
            raise err
        n = len(self._out) if size < 0 else size
        data = bytes(self._out[:n])
        del self._out[:n]
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_binary(path: Path) -> BinaryIO:
    """Open a file for reading, decompressing gzip by its magic bytes (not its name)."""
    fh = open(path, "rb")
    return Gunzip(fh) if fh.peek(2)[:2] == GZIP_MAGIC else fh


class HashingFile(io.RawIOBase):
    """A file read through SHA-256: the digest and size of exactly the bytes read from disk.

    A live log may grow while it is read; the ledger then records what was loaded.
    """

    def __init__(self, path: Path):
        self._fh = open(path, "rb")
        self.sha256 = hashlib.sha256()
        self.size = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._fh.readinto(buffer)
        if n:
            self.sha256.update(memoryview(buffer)[:n])
            self.size += n
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def open_hashed(path: Path) -> tuple[BinaryIO, HashingFile]:
    """Open for reading (gunzipping by magic bytes) while hashing the bytes on disk."""
    raw = HashingFile(path)
    buffered = io.BufferedReader(raw, buffer_size=1 << 20)
    stream = Gunzip(buffered) if buffered.peek(2)[:2] == GZIP_MAGIC else buffered
    return stream, raw


def head(path: Path, size: int = 1 << 16) -> bytes:
    """The first bytes of a file, decompressed; of a damaged .gz, what can be read."""
    out = bytearray()
    with open_binary(path) as fh:
        try:
            while len(out) < size and (block := fh.read(min(1 << 20, size - len(out)))):
                out += block
        except (EOFError, zlib.error):
            if not out:
                raise VaultlabError(f"{path} is not a readable gzip file") from None
    return bytes(out)
