"""WMI_BUFFER_HEADER: the .etl file is a run of buffers, each with its own size.

Buffers are walked by each one's BufferSize to the end of the file (never by the log-file
header's buffer size or BuffersWritten: relogged files pack compressed buffers back to back with
sizes that are not even 8-aligned). Records fill a buffer from 0x48 to its Offset/SavedOffset;
a compressed buffer (flag 0x40) holds XPRESS bytes from 0x48 to BufferSize that inflate to
SavedOffset − 0x48 bytes of records.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from wcfevents.sources.etl.xpress import XpressError, decompress

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


def plausible(info: BufferInfo, limit: int) -> str | None:
    """Why a buffer header cannot be right (None when it can be)."""
    if info.size < BUFFER_HEADER_SIZE or info.size > MAX_BUFFER:
        return f"impossible buffer size {info.size}"
    if info.compressed:
        # Inflated, a buffer is at most the session's buffer size.
        if not BUFFER_HEADER_SIZE <= info.saved_offset <= (limit or MAX_BUFFER):
            return f"impossible inflated size {info.saved_offset}"
    elif info.saved_offset > info.size and info.used > info.size:
        return f"records end at {max(info.saved_offset, info.used)}, past the buffer's end"
    return None


@dataclass(frozen=True, slots=True)
class WalkProblem:
    """Bytes the walk could not take as buffers: damage at `offset`, `size` bytes long (0: a
    buffer whose header is inconsistent but whose records were read all the same)."""

    offset: int
    size: int
    detail: str


def walk(fd: int, file_size: int, hint: int = 0,
         start: int = 0, first_index: int = 0) -> Iterator[BufferInfo | WalkProblem]:
    """Every buffer from `start` to the end of the file, in file order; damaged stretches as
    WalkProblem. `hint` is the log-file header's buffer size: after an impossible header the
    walk tries the next multiple of it, then scans for the next plausible header."""
    offset = start
    index = first_index
    while offset < file_size:
        raw = os.pread(fd, BUFFER_HEADER_SIZE, offset)
        if len(raw) < BUFFER_HEADER_SIZE:
            yield WalkProblem(offset, file_size - offset,
                              f"the file ends {file_size - offset} bytes into a buffer header "
                              "(cut short?)")
            return
        info = parse_buffer_header(raw, index, offset)
        problem = plausible(info, hint)
        if problem is None and info.end > file_size:
            yield WalkProblem(offset, file_size - offset,
                              f"buffer {index} needs {info.size} bytes, the file ends after "
                              f"{file_size - offset} (cut short?)")
            yield BufferInfo(index, offset, file_size - offset, info.saved_offset, info.used,
                             info.processor, info.flags, info.kind, info.timestamp)
            return
        if problem is None:
            yield info
            offset = info.end
            index += 1
            continue
        if _size_confirmed(fd, info, file_size, hint):
            if info.compressed:  # nothing in it can be inflated: the walk goes on after it
                yield WalkProblem(offset, info.size, f"buffer {index}: {problem}; skipped it")
            else:
                yield WalkProblem(offset, 0, f"buffer {index}: {problem}; its records were "
                                  "read up to its end")
                yield info
            offset = info.end
            index += 1
            continue
        resume = _resynchronise(fd, file_size, offset, hint)
        yield WalkProblem(offset, resume - offset, f"buffer {index}: {problem}; skipped "
                          f"{resume - offset} bytes to the next buffer header")
        offset = resume
        index += 1


def _resynchronise(fd: int, file_size: int, offset: int, hint: int) -> int:
    """Where the next plausible buffer header starts after a damaged one at `offset`."""
    if hint >= BUFFER_HEADER_SIZE:
        following = (offset // hint + 1) * hint
        if following < file_size and _looks_like_buffer(fd, following, file_size, hint):
            return following
    step = 8
    position = offset + step
    window = 1 << 16
    while position < file_size:
        block = os.pread(fd, window + BUFFER_HEADER_SIZE, position)
        for delta in range(0, min(window, len(block) - BUFFER_HEADER_SIZE + 1), step):
            if _header_ok(block[delta:delta + BUFFER_HEADER_SIZE], position + delta,
                          file_size, hint):
                return position + delta
        position += window
    return file_size


def _size_confirmed(fd: int, info: BufferInfo, file_size: int, hint: int) -> bool:
    """Whether a buffer rejected for its record offsets or inflated size still has a size that
    is possible and confirmed by a buffer header (or the end of the file) right after it."""
    if not BUFFER_HEADER_SIZE <= info.size <= MAX_BUFFER:
        return False
    return info.end == file_size or (info.end < file_size
                                     and _looks_like_buffer(fd, info.end, file_size, hint))


def _looks_like_buffer(fd: int, offset: int, file_size: int, hint: int) -> bool:
    return _header_ok(os.pread(fd, BUFFER_HEADER_SIZE, offset), offset, file_size, hint)


def _header_ok(raw: bytes, offset: int, file_size: int, hint: int) -> bool:
    if len(raw) < BUFFER_HEADER_SIZE:
        return False
    info = parse_buffer_header(raw, 0, offset)
    return (plausible(info, hint) is None and info.end <= file_size and info.kind <= 8
            and info.flags < 0x100 and (info.saved_offset or info.used) >= BUFFER_HEADER_SIZE)


def load(fd: int, info: BufferInfo, inflated_limit: int) -> bytes:
    """The buffer as records sit in it: header then records, inflated when compressed; its
    length is where the records end."""
    raw = os.pread(fd, info.size, info.offset)
    if not info.compressed:
        end = max(info.saved_offset, info.used)
        if end > len(raw):
            end = min(info.saved_offset, info.used)
        if end > len(raw) or end < BUFFER_HEADER_SIZE:
            end = len(raw)  # a cut or confused buffer: the record walk stops at damage
        return raw[:end]
    wanted = info.saved_offset - BUFFER_HEADER_SIZE
    if wanted > (inflated_limit or MAX_BUFFER):
        raise BufferError(f"inflated size {wanted} is impossible")
    try:
        body = decompress(memoryview(raw)[BUFFER_HEADER_SIZE:], wanted)
    except XpressError as exc:
        raise BufferError(f"XPRESS data damaged: {exc}") from None
    if len(body) < wanted:
        raise BufferError(f"XPRESS data inflates to {len(body)} bytes, the header says {wanted}")
    return raw[:BUFFER_HEADER_SIZE] + body
