"""Cutting an .svclog byte stream into its `<E2ETraceEvent>` fragments, in constant memory.

XmlWriterTraceListener appends one fragment per record with no root element, so a file is not a
document and a multi-GB file cannot be parsed as one. The stream is read in blocks and split at
the fragments' own tags; only the fragment being cut is held. A fragment without its end tag
(a process died while writing, then another appended) is handed out marked incomplete, so the
caller can report it and go on with the next one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

START = b"<E2ETraceEvent"
END = b"</E2ETraceEvent>"
BLOCK = 1 << 20
# Bytes XML 1.0 cannot carry as characters (C0 controls but tab, LF, CR) and references to them:
# the listener writes both, and a parser that meets one gives up on the rest of the record.
_RAW_CONTROLS = bytes(c for c in range(32) if c not in (9, 10, 13))
_CONTROL_REFS = re.compile(
    rb"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|[dD][89abAB][0-9a-fA-F]{2}|[fF]{3}[eEfF])"
    rb"|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|5[5-7][0-9]{3}|6553[45]));"
)


@dataclass(frozen=True, slots=True)
class Fragment:
    """One record's bytes and where they start in the input."""

    offset: int
    data: bytes
    complete: bool  # ends with </E2ETraceEvent>


@dataclass(frozen=True, slots=True)
class Junk:
    """Bytes between fragments that belong to no record."""

    offset: int
    size: int


def xml_safe(data: bytes) -> bytes:
    """The fragment without the characters XML 1.0 cannot carry (raw or as references)."""
    data = data.translate(None, _RAW_CONTROLS)
    if b"&#" in data:
        data = _CONTROL_REFS.sub(b"", data)
    return data


def fragments(stream: BinaryIO, block: int = BLOCK) -> Iterator[Fragment | Junk]:
    """Every fragment of the stream in order, and each stretch of bytes between two fragments
    that belongs to no record (one Junk however it was read)."""
    junk: list[int] = []  # [start, end] of the pending stretch, input offsets

    def stray(start: int, end: int) -> None:
        if junk:
            junk[1] = end
        else:
            junk.extend((start, end))

    def flush() -> Iterator[Junk]:
        if junk:
            yield Junk(junk[0], junk[1] - junk[0])
            junk.clear()

    for piece in _pieces(stream, block, stray):
        yield from flush()
        yield piece
    yield from flush()


def _stray(buf: bytes, base: int, start: int, end: int,
           stray: Callable[[int, int], None]) -> None:
    """Report buf[start:end] without its surrounding whitespace, if anything is left."""
    stretch = buf[start:end]
    content = stretch.lstrip()
    if content:
        first = start + len(stretch) - len(content)
        stray(base + first, base + start + len(stretch.rstrip()))


def _pieces(stream: BinaryIO, block: int, stray: Callable[[int, int], None]) -> Iterator[Fragment]:
    buf = b""
    base = 0  # offset of buf[0] in the input
    pos = 0  # where the next record may start in buf
    end_scan = 0  # in buf: no END before this point after the current start
    start_scan = 0  # in buf: no second START before this point after the current start
    eof = False
    while True:
        start = buf.find(START, pos)
        if start < 0:
            if eof:
                _stray(buf, base, pos, len(buf), stray)
                return
            keep = max(pos, len(buf) - len(START) + 1)
            _stray(buf, base, pos, keep, stray)
            buf, base, pos = buf[keep:], base + keep, 0
            end_scan = start_scan = 0
            chunk = stream.read(block)
            eof = not chunk
            buf += chunk
            continue
        _stray(buf, base, pos, start, stray)
        body = start + len(START)
        end = buf.find(END, max(body, end_scan))
        limit = end if end >= 0 else len(buf)
        following = buf.find(START, max(body, start_scan), limit)
        if following >= 0:
            yield Fragment(base + start, buf[start:following], False)
            pos = end_scan = start_scan = following
            continue
        if end >= 0:
            stop = end + len(END)
            yield Fragment(base + start, buf[start:stop], True)
            pos = end_scan = start_scan = stop
            continue
        if eof:
            yield Fragment(base + start, buf[start:], False)
            return
        # The record goes on past the buffer: read more, remembering what was searched already.
        buf, base = buf[start:], base + start
        end_scan = max(len(buf) - len(END) + 1, len(START))
        start_scan = max(len(buf) - len(START) + 1, len(START))
        pos = 0
        chunk = stream.read(block)
        eof = not chunk
        buf += chunk
