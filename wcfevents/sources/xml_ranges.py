"""Byte ranges of a large XML export that each read as an export of their own.

An export is a run of `<Event>` elements (inside an `<Events>` root for tracerpt), so cutting the
bytes just before an `<Event` start tag gives pieces that, with the file's own prolog in front
(BOM, declaration and root start tag) and the root's end tag behind, parse on their own to the
same events. Worker processes can then decode the pieces at once. The cuts are found near every
RANGE_BYTES by a search for the start tag in the file's own encoding (UTF-8, UTF-16 either way,
or a single-byte encoding), so the file is never decoded or scanned as a whole here.

A cut can land somewhere no parser would see a start tag (inside a comment or CDATA section):
the pieces on either side then fail to parse, which the caller sees as damage in a piece, and it
decodes the file in one process from there instead (see wcfevents.parallel).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from wcfevents.sources.chunk_range import FileView
from wcfevents.sources.etw_xml import _decode_head, _scan_prolog, _sniff_encoding, detect_flavour

RANGE_BYTES = 2 << 20  # bytes of XML a task (4 MiB peaked 17 MB higher with 2 workers)
_SEARCH = 1 << 20  # bytes searched after a nominal cut for the next start tag
_ROOT_END = re.compile(r"""<Events(?:\s+[^\s=>/]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*>""")


@dataclass(frozen=True, slots=True)
class XmlLayout:
    """What every piece of one file shares: its codec, prolog bytes, closing bytes, flavour."""

    codec: str
    prolog: bytes  # BOM and declaration, and the root start tag of a rooted export
    closing: bytes  # the root end tag in the file's encoding (empty when rootless)
    flavour: str
    start_tag: re.Pattern[bytes]  # `<Event` followed by space, `/` or `>`, encoded
    unit: int  # bytes per code unit (2 for UTF-16): cuts fall on unit boundaries
    bom: int


def _encoded_start_tag(codec: str) -> re.Pattern[bytes]:
    tag = re.escape("<Event".encode(codec))
    ends = b"|".join(re.escape(c.encode(codec)) for c in (" ", "\t", "\r", "\n", "/", ">"))
    return re.compile(tag + b"(?=" + ends + b")")


def layout(path: Path, flavour: str | None = None) -> XmlLayout | None:
    """The shared parts of an export, or None when the head is not one we can cut."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    codec, bom = _sniff_encoding(head[:4096])
    try:
        "<Events>".encode(codec)
    except (LookupError, UnicodeError):
        return None
    found = flavour or detect_flavour(head[:4096])
    if found is None:
        return None
    text = _decode_head(head)
    prolog = _scan_prolog(text, final=False)
    if prolog is None or prolog.doctype or prolog.root not in ("Events", "Event"):
        return None
    start = text.find("<", prolog.decl_end)
    if prolog.root == "Events":
        match = _ROOT_END.match(text, start)
        if match is None:
            return None
        kept, closing = text[: match.end()], "</Events>"
    else:
        kept, closing = text[: prolog.decl_end], ""
    if kept.startswith("\ufeff"):
        kept = kept[1:]
    unit = 2 if codec.startswith("utf-16") else 1
    prefix = head[:bom] + kept.encode(codec)
    if not head.startswith(prefix):
        return None  # the text does not round-trip to the same bytes: no clean cut here
    return XmlLayout(codec, prefix, closing.encode(codec), found, _encoded_start_tag(codec),
                     unit, bom)


def _next_start(fh: io.BufferedReader, lay: XmlLayout, position: int) -> int | None:
    """The offset of the first `<Event` start tag at or after `position` (on a unit boundary)."""
    position += (position - lay.bom) % lay.unit
    fh.seek(position)
    data = fh.read(_SEARCH)
    for match in lay.start_tag.finditer(data):
        if match.start() % lay.unit == 0:
            return position + match.start()
    return None


def cuts(path: Path, lay: XmlLayout, range_bytes: int = RANGE_BYTES) -> Iterator[tuple[int, int]]:
    """(start, end) byte ranges covering the whole file, each but the first beginning at an
    `<Event` start tag; made lazily, one search a range."""
    size = os.path.getsize(path)
    start = 0
    with open(path, "rb", buffering=0) as raw, io.BufferedReader(raw, 1 << 16) as fh:
        while start < size:
            following = _next_start(fh, lay, start + range_bytes) if (
                start + range_bytes < size) else None
            end = size if following is None else following
            yield start, end
            start = end


class RangeStream(FileView):
    """One piece as a whole export: prolog, the bytes start ≤ i < end, the closing tag."""

    def __init__(self, path: Path, lay: XmlLayout, start: int, end: int, last: bool) -> None:
        super().__init__(path)
        self._head = b"" if start == 0 else lay.prolog
        self._tail = b"" if last else lay.closing
        self._start, self._end = start, end
        self._size = len(self._head) + (end - start) + len(self._tail)

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        wanted = min(len(buffer), self._size - self._pos)
        if wanted <= 0:
            return 0
        head, body = len(self._head), self._end - self._start
        if self._pos < head:
            data = self._head[self._pos : self._pos + wanted]
        elif self._pos < head + body:
            offset = self._pos - head
            data = os.pread(self._fd, min(wanted, body - offset), self._start + offset)
        else:
            offset = self._pos - head - body
            data = self._tail[offset : offset + wanted]
        return self._deliver(buffer, data)


def open_range(path: Path, lay: XmlLayout, start: int, end: int,
               last: bool) -> io.BufferedReader:
    return io.BufferedReader(RangeStream(path, lay, start, end, last), buffer_size=1 << 20)

