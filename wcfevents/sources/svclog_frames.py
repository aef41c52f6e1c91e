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
# The first record's tag: a writer other than the listener may give the element a prefix
# (`<e2e:E2ETraceEvent xmlns:e2e=…>`); its records all carry the same one.
_FIRST_TAG = re.compile(rb"<([A-Za-z_][\w.\-]{0,63}:)?E2ETraceEvent[\s>]")
_HEAD = 1 << 16  # how far into the file the first record's tag is looked for
BLOCK = 1 << 20
# Bytes XML 1.0 cannot carry as characters (C0 controls but tab, LF, CR) and references to them
# and to the other non-characters (surrogates U+D800–DFFF, U+FFFE, U+FFFF): the listener writes
# both, a parser that meets one gives up on the rest of the record, and lxml hands a surrogate
# out as bytes no text can be decoded from.
_RAW_CONTROLS = bytes(c for c in range(32) if c not in (9, 10, 13))
_CONTROL_REFS = re.compile(
    rb"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2}|[fF]{3}[eEfF])"
    rb"|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|5529[6-9]|55[3-9][0-9]{2}|56[0-9]{3}|57[0-2][0-9]{2}"
    rb"|573[0-3][0-9]|5734[0-3]|6553[45]));"
)
# Between records, what another tool may add without harming any record: a UTF-8 byte-order
# mark (a file begun by an editor or another writer), an XML declaration, comments, whitespace.
_HARMLESS = re.compile(rb"(?:\s+|\xef\xbb\xbf|<\?xml[^>]*\?>|<!--.*?-->)*", re.S)
_HARMLESS_MAX = 1 << 16  # a longer stretch between records is damage whatever it holds


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
    that belongs to no record (one Junk however it was read). A stretch of nothing but a BOM,
    an XML declaration, comments and whitespace is no damage and is passed over."""
    junk: list[int] = []  # [start, end] of the pending stretch, input offsets
    text = bytearray()  # its bytes, while it may still be harmless

    def stray(start: int, end: int, content: bytes) -> None:
        if junk:
            junk[1] = end
        else:
            junk.extend((start, end))
        if len(text) + len(content) <= _HARMLESS_MAX:
            text.extend(content)
        else:
            text[:] = b"-"  # too long to be harmless

    def flush() -> Iterator[Junk]:
        if junk:
            if not _HARMLESS.fullmatch(text):
                yield Junk(junk[0], junk[1] - junk[0])
            junk.clear()
            text.clear()

    for piece in _pieces(stream, block, stray):
        yield from flush()
        yield piece
    yield from flush()


def _stray(buf: bytes, base: int, start: int, end: int,
           stray: Callable[[int, int, bytes], None]) -> None:
    """Report buf[start:end] without its surrounding whitespace, if anything is left (with the
    whole stretch's bytes)."""
    stretch = buf[start:end]
    content = stretch.lstrip()
    if content:
        first = start + len(stretch) - len(content)
        stray(base + first, base + start + len(stretch.rstrip()), stretch)


def _tags(stream: BinaryIO, block: int) -> tuple[bytes, bytes, bytes, bool]:
    """(start tag, end tag, the bytes read, end of input) from the first record's tag."""
    buf = b""
    while True:
        chunk = stream.read(block)
        searched = max(0, len(buf) - 80)  # a tag straddling the last read
        buf += chunk
        found = _FIRST_TAG.search(buf, searched)
        if found is not None or not chunk or len(buf) >= _HEAD:
            break
    prefix = found.group(1) or b"" if found is not None else b""
    return b"<" + prefix + START[1:], b"</" + prefix + END[2:], buf, not chunk


def _pieces(stream: BinaryIO, block: int,
            stray: Callable[[int, int, bytes], None]) -> Iterator[Fragment]:
    start_tag, end_tag, buf, eof = _tags(stream, block)
    base = 0  # offset of buf[0] in the input
    pos = 0  # where the next record may start in buf
    end_scan = 0  # in buf: no END before this point after the current start
    start_scan = 0  # in buf: no second START before this point after the current start
    while True:
        start = buf.find(start_tag, pos)
        if start < 0:
            if eof:
                _stray(buf, base, pos, len(buf), stray)
                return
            keep = max(pos, len(buf) - len(start_tag) + 1)
            _stray(buf, base, pos, keep, stray)
            buf, base, pos = buf[keep:], base + keep, 0
            end_scan = start_scan = 0
            chunk = stream.read(block)
            eof = not chunk
            buf += chunk
            continue
        _stray(buf, base, pos, start, stray)
        body = start + len(start_tag)
        end = buf.find(end_tag, max(body, end_scan))
        limit = end if end >= 0 else len(buf)
        following = buf.find(start_tag, max(body, start_scan), limit)
        if following >= 0:
            yield Fragment(base + start, buf[start:following], False)
            pos = end_scan = start_scan = following
            continue
        if end >= 0:
            stop = end + len(end_tag)
            yield Fragment(base + start, buf[start:stop], True)
            pos = end_scan = start_scan = stop
            continue
        if eof:
            yield Fragment(base + start, buf[start:], False)
            return
        # The record goes on past the buffer: read more, remembering what was searched already.
        buf, base = buf[start:], base + start
        end_scan = max(len(buf) - len(end_tag) + 1, len(start_tag))
        start_scan = max(len(buf) - len(start_tag) + 1, len(start_tag))
        pos = 0
        chunk = stream.read(block)
        eof = not chunk
        buf += chunk
