"""WMI_BUFFER_HEADER: the .etl file is a run of buffers, each with its own size.

Buffers are walked by each one's BufferSize to the end of the file (sync.py; never by the
log-file header's buffer size or BuffersWritten: relogged files pack compressed buffers back to
back with sizes that are not even 8-aligned). Records fill a buffer from 0x48 to its
Offset/SavedOffset; a compressed buffer (flag 0x40) holds XPRESS bytes from 0x48 to BufferSize
that inflate to SavedOffset − 0x48 bytes of records.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from wcfevents.sources.etl.xpress import XpressError, inflate

BUFFER_HEADER = struct.Struct("<IIIiqqQBBHIIHH16s")
BUFFER_HEADER_SIZE = 0x48
MAX_BUFFER = 64 << 20  # ETW buffers are at most a few MiB; more is damage

FLAG_FLUSH_MARKER = 0x01
FLAG_EVENTS_LOST = 0x02
FLAG_BUFFER_LOST = 0x04
FLAG_COMPRESSED = 0x40
TYPE_HEADER = 4


class BufferError(ValueError):
    """A buffer whose bytes cannot be what they claim."""


@dataclass(frozen=True, slots=True)
class BufferInfo:
    """Where one buffer lies and what its header says."""

    index: int
    offset: int  # in the file
    size: int  # BufferSize: bytes it takes in the file
    saved_offset: int
    used: int  # Offset field
    processor: int
    flags: int
    kind: int  # BufferType
    timestamp: int

    @property
    def compressed(self) -> bool:
        return bool(self.flags & FLAG_COMPRESSED)

    @property
    def end(self) -> int:
        return self.offset + self.size


def parse_buffer_header(raw: bytes, index: int, offset: int) -> BufferInfo:
    (size, saved, _current, _refs, stamp, _seq, _clock, processor, _align, _logger, _state,
     used, flags, kind, _union) = BUFFER_HEADER.unpack_from(raw, 0)
    return BufferInfo(index, offset, size, saved, used, processor, flags, kind, stamp)


def inflated_problem(info: BufferInfo, hint: int) -> str | None:
    """A compressed buffer whose inflated size (SavedOffset) is impossible."""
    if info.compressed and not BUFFER_HEADER_SIZE <= info.saved_offset <= (hint or MAX_BUFFER):
        return f"impossible inflated size {info.saved_offset}"
    return None


def fields_ok(info: BufferInfo, hint: int) -> bool:
    """Whether the header's fields other than BufferSize can be a buffer's."""
    return (info.kind <= 8 and info.flags < 0x100 and inflated_problem(info, hint) is None
            and max(info.saved_offset, info.used) >= BUFFER_HEADER_SIZE
            and min(info.saved_offset, info.used) <= MAX_BUFFER)


@dataclass(frozen=True, slots=True)
class WalkProblem:
    """Bytes the walk could not take as buffers: damage at `offset`, `size` bytes long (0: a
    buffer whose header is inconsistent but whose records were read all the same)."""

    offset: int
    size: int
    detail: str


def load_checked(fd: int, info: BufferInfo, inflated_limit: int) -> tuple[bytes, int | None]:
    """The buffer as records sit in it (header then records, inflated when compressed; its
    length is where the records end), and where a buffer header lies inside a compressed buffer
    after its XPRESS data (a BufferSize damaged into one that ends exactly at a later buffer),
    else None."""
    raw = os.pread(fd, info.size, info.offset)
    if not info.compressed:
        end = max(info.saved_offset, info.used)
        if end > len(raw):
            end = min(info.saved_offset, info.used)
        if end > len(raw) or end < BUFFER_HEADER_SIZE:
            end = len(raw)  # a cut or confused buffer: the record walk stops at damage
        return raw[:end], None
    wanted = info.saved_offset - BUFFER_HEADER_SIZE
    if wanted > (inflated_limit or MAX_BUFFER):
        raise BufferError(f"inflated size {wanted} is impossible")
    try:
        body, taken = inflate(memoryview(raw)[BUFFER_HEADER_SIZE:], wanted)
    except XpressError as exc:
        raise BufferError(f"XPRESS data damaged: {exc}") from None
    if len(body) < wanted:
        raise BufferError(f"XPRESS data inflates to {len(body)} bytes, the header says {wanted}")
    return raw[:BUFFER_HEADER_SIZE] + body, _inner_header(raw, BUFFER_HEADER_SIZE + taken, info)


def _inner_header(raw: bytes, end: int, info: BufferInfo) -> int | None:
    """A buffer header where the XPRESS data ends (or after its last, unused flag word)."""
    for at in (end, end + 4):
        if len(raw) - at >= BUFFER_HEADER_SIZE:
            inner = parse_buffer_header(raw[at:at + BUFFER_HEADER_SIZE], 0, info.offset + at)
            if fields_ok(inner, 0) and BUFFER_HEADER_SIZE <= inner.size <= len(raw) - at:
                return info.offset + at
    return None
