"""A window onto some of an .evtx file's chunks that reads as a whole .evtx file.

Chunks are self-contained (each carries its own string and template tables), so the file header
followed by chunks i…j is a valid file. Parsers that take a file-like object can then work on
part of a large file, and several processes on several parts at once, without copying bytes.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from wcfevents.sources.evtx_layout import CHUNK_SIZE, FILE_HEADER_SIZE


class FileView(io.RawIOBase):
    """A read-only stream over parts of a file, read with pread so views never share a position."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._fd = os.open(path, os.O_RDONLY)
        self._pos = 0
        self._size = 0  # the view's length: set by each kind of view

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def _deliver(self, buffer: bytearray | memoryview, data: bytes) -> int:
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


class ChunkWindow(FileView):
    """Bytes 0-4095 of the file, then its chunks `start` ≤ i < `end`, as one seekable stream."""

    def __init__(self, path: Path, start: int, end: int) -> None:
        super().__init__(path)
        real_size = os.fstat(self._fd).st_size
        self._shift = start * CHUNK_SIZE
        self._size = min(FILE_HEADER_SIZE + (end - start) * CHUNK_SIZE, real_size - self._shift)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), self._size - self._pos)
        if wanted <= 0:
            return 0
        if self._pos < FILE_HEADER_SIZE:
            wanted = min(wanted, FILE_HEADER_SIZE - self._pos)
            real = self._pos
        else:
            real = self._pos + self._shift
        return self._deliver(buffer, os.pread(self._fd, wanted, real))


def open_window(path: Path, start: int, end: int) -> io.BufferedReader:
    return io.BufferedReader(ChunkWindow(path, start, end), buffer_size=1 << 20)
