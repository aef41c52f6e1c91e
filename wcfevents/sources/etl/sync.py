"""The buffer walk: each BufferSize trusted only when it leads to a buffer header.

A buffer's size is taken when the bytes where it says the buffer ends are a buffer header (or
the end of the file): that header is read anyway as the next step, so an undamaged file costs
one small read a buffer. When the size does not lead to a header (a damaged BufferSize, or a
damaged header after it), the next header is searched byte by byte — relogged files pack
compressed buffers at unaligned offsets — by the LoggerId and BufferState every buffer of a
file shares (`bytes.find`, so a long search stays fast), each candidate confirmed by the header
its own size leads to. Then the header at hand is judged: with sound fields it is a buffer
whose size alone is wrong, read up to the next header (its records end where its own
SavedOffset says); if its records fit in the size it claims, the size was right and the bytes
up to the next header are the damage; a header that is not one is skipped up to the next.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from wcfevents.sources.etl.buffers import (
    BUFFER_HEADER_SIZE,
    MAX_BUFFER,
    BufferInfo,
    WalkProblem,
    fields_ok,
    inflated_problem,
    parse_buffer_header,
)
from wcfevents.sources.etl.xpress import XpressError, decompress

HS = BUFFER_HEADER_SIZE
ANCHOR = slice(0x2A, 0x30)  # LoggerId and BufferState: the same in every buffer of a file
FLUSHED = b"\x03\x00\x00\x00"  # BufferState of a buffer flushed to the file
WINDOW = 1 << 20


def walk(fd: int, file_size: int, hint: int = 0,
         start: int = 0, first_index: int = 0) -> Iterator[BufferInfo | WalkProblem]:
    """Every buffer from `start` to the end of the file, in file order; damaged stretches and
    sizes corrected as WalkProblem. `hint` is the log-file header's buffer size (the session's:
    an uncompressed buffer is never bigger)."""
    offset = start
    index = first_index
    raw = os.pread(fd, HS, offset)
    anchor = raw[ANCHOR] if len(raw) >= HS else FLUSHED
    while offset < file_size:
        if len(raw) < HS:
            yield WalkProblem(offset, file_size - offset,
                              f"the file ends {file_size - offset} bytes into a buffer header "
                              "(cut short?)")
            return
        info = parse_buffer_header(raw, index, offset)
        inflated = inflated_problem(info, hint)
        wrong = _size_problem(info, file_size)
        found = None
        if wrong is None:
            following = os.pread(fd, HS, info.end) if info.end < file_size else b""
            if info.end == file_size or _follows(following, info.end, anchor, file_size, hint):
                # A size bigger than the buffer can be may end at a later buffer's header.
                oversized = _oversized(info, hint)
                inner = info.end if oversized is None else _next_header(
                    fd, file_size, hint, anchor, offset + 1, info.end, only_anchor=True)
                if inner == info.end:
                    yield from _confirmed(info, inflated)
                    if inflated is None:
                        anchor = raw[ANCHOR]
                    offset, index, raw = info.end, index + 1, following
                    continue
                wrong, found = oversized, inner
            else:
                wrong = f"BufferSize {info.size} does not lead to a buffer header"
        if found is None:
            found = _next_header(fd, file_size, hint, anchor, offset + 1, file_size)
        # Unpacked, a buffer takes the session's buffer size whatever its header says.
        whole = found - offset == hint
        if inflated is not None or not fields_ok(info, hint) or found - offset < HS:
            where = "the end of the file" if found == file_size else "the next buffer header"
            yield WalkProblem(offset, found - offset, f"buffer {index}: {inflated or wrong}; "
                              f"skipped {found - offset} bytes to {where}")
            index += 1
        elif info.end > file_size and found == file_size and info.size <= MAX_BUFFER:
            yield WalkProblem(offset, file_size - offset,
                              f"buffer {index} needs {info.size} bytes, the file ends after "
                              f"{file_size - offset} (cut short?)")
            yield _sized(info, file_size - offset)
            return
        elif found > info.end and not whole and _records_fit(fd, info):
            # The size was right: the header after it is damaged beyond recognition.
            yield info
            gap = found - info.end
            if gap < HS:
                yield WalkProblem(info.end, 0, f"{gap} bytes after buffer {index}, too few for "
                                  "a buffer, before the next buffer header")
            else:
                yield WalkProblem(info.end, gap, f"no buffer header where buffer {index} ends; "
                                  f"skipped {gap} bytes to the next one")
            index += 2
        else:
            yield WalkProblem(offset, 0, f"buffer {index}: {wrong}; read as the "
                              f"{found - offset} bytes up to the next buffer header")
            yield _sized(info, found - offset)
            index += 1
        offset = found
        raw = os.pread(fd, HS, offset)


def _confirmed(info: BufferInfo, inflated: str | None) -> Iterator[BufferInfo | WalkProblem]:
    """A buffer whose size leads to a header: its header's other faults."""
    if inflated is not None:  # nothing in it can be inflated: the walk goes on after it
        yield WalkProblem(info.offset, info.size, f"buffer {info.index}: {inflated}; skipped it")
        return
    if not info.compressed and info.saved_offset > info.size and info.used > info.size:
        yield WalkProblem(info.offset, 0, f"buffer {info.index}: records end at "
                          f"{max(info.saved_offset, info.used)}, past the buffer's end; its "
                          "records were read up to its end")
    yield info


def _sized(info: BufferInfo, size: int) -> BufferInfo:
    return BufferInfo(info.index, info.offset, size, info.saved_offset, info.used,
                      info.processor, info.flags, info.kind, info.timestamp)


def _size_problem(info: BufferInfo, file_size: int) -> str | None:
    """Why the BufferSize cannot be right (None when it can, if a header follows)."""
    if not HS <= info.size <= MAX_BUFFER:
        return f"impossible buffer size {info.size}"
    if info.end > file_size:
        return f"BufferSize {info.size} runs past the end of the file"
    return None


def _oversized(info: BufferInfo, hint: int) -> str | None:
    """Why the BufferSize is more than the buffer can take (None when it is not)."""
    if info.compressed:
        # XPRESS adds at most 4 bytes of flags to 32 literals; more may be padding (buffers
        # in slots) or a size that takes in the next buffers.
        inflated = max(info.saved_offset - HS, 0)
        if info.size > HS + inflated + inflated // 32 + 64:
            return f"BufferSize {info.size} is more than {inflated} bytes compress to"
    elif hint >= HS and info.size > hint:
        return f"BufferSize {info.size} is more than the session's buffer size {hint}"
    return None


def _follows(raw: bytes, offset: int, anchor: bytes, file_size: int, hint: int) -> bool:
    """Whether `raw` (read at `offset`) is a buffer header: the file's LoggerId and state (the
    rest of it is its own business), or a header sound in every field."""
    if len(raw) < HS:
        return False
    info = parse_buffer_header(raw, 0, offset)
    if raw[ANCHOR] == anchor and info.kind <= 8 and info.flags < 0x100:
        return True
    return fields_ok(info, hint) and HS <= info.size <= MAX_BUFFER and info.end <= file_size


def _next_header(fd: int, file_size: int, hint: int, anchor: bytes, start: int, limit: int,
                 only_anchor: bool = False) -> int:
    """Where the first confirmed buffer header in [start, limit) is (`limit` when there is
    none): found by the file's LoggerId and state, else by the state alone."""
    tried: list[bytes] = []
    for pattern in (anchor,) if only_anchor else (anchor, anchor[2:], FLUSHED):
        if len(pattern) < 4 or pattern in tried:
            continue
        tried.append(pattern)
        at = ANCHOR.stop - len(pattern)
        found = _search(fd, file_size, hint, anchor, start, limit, pattern, at)
        if found is not None:
            return found
    return limit


def _search(fd: int, file_size: int, hint: int, anchor: bytes, start: int, limit: int,
            pattern: bytes, at: int) -> int | None:
    """The first header in [start, limit) whose bytes at `at` are `pattern`, confirmed."""
    position = start
    while position < limit:
        span = min(WINDOW, limit - position)
        block = os.pread(fd, span + HS, position)
        stop = span + at + len(pattern) - 1
        q = block.find(pattern, at, stop)
        while q != -1:
            candidate = position + q - at
            if _candidate(fd, block[q - at:q - at + HS], candidate, file_size, hint, anchor):
                return candidate
            q = block.find(pattern, q + 1, stop)
        position += span
    return None


def _candidate(fd: int, raw: bytes, offset: int, file_size: int, hint: int,
               anchor: bytes) -> bool:
    """Whether a header found by the search is one: sound, and its size leads to a header (or
    to the end of the file, or past it: the last buffer of a file cut short)."""
    if len(raw) < HS:
        return False
    info = parse_buffer_header(raw, 0, offset)
    if not (fields_ok(info, hint) and HS <= info.size <= MAX_BUFFER):
        return False
    if info.end >= file_size:
        return True
    return _follows(os.pread(fd, HS, info.end), info.end, anchor, file_size, hint)


def _records_fit(fd: int, info: BufferInfo) -> bool:
    """Whether the buffer's records end inside the size it claims (a compressed buffer's data
    inflates to all of them)."""
    if not info.compressed:
        return max(info.saved_offset, info.used) <= info.size
    raw = os.pread(fd, info.size, info.offset)
    wanted = info.saved_offset - HS
    try:
        return len(decompress(memoryview(raw)[HS:], wanted)) >= wanted
    except XpressError:
        return False
