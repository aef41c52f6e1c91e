"""WCF's own trace files: the `<E2ETraceEvent>` fragments XmlWriterTraceListener appends.

The file is cut into fragments in constant memory (svclog_frames), each fragment is parsed on
its own by lxml in recover mode with the characters XML 1.0 cannot carry dropped first, and
mapped to the Event record (svclog_records). A fragment cut short, or bytes outside any
fragment, are reported as damage with their offset and decoding goes on.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from typing import BinaryIO, cast

from lxml import etree

from wcfevents.model import Event
from wcfevents.sources import Damage, DamageReport, Input, QuickCheck
from wcfevents.sources.etw_xml import _sniff_encoding
from wcfevents.sources.svclog_frames import BLOCK, Fragment, Junk, fragments, xml_safe
from wcfevents.sources.svclog_records import level_of, to_event

# The header facts a quick filter needs, read from the bytes before parsing the record.
_QUICK = re.compile(rb"<EventID>\s*(\d+)\s*</EventID>.{0,200}?<SubType Name=\"(\w+)\"", re.S)
_QUICK_LEVEL = re.compile(rb"<Level>\s*(\d+)\s*</Level>")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(recover=True, huge_tree=True, resolve_entities=False,
                           no_network=True, collect_ids=False, load_dtd=False)


class SvclogReader:
    """Records of .svclog / .e2e files (XmlWriterTraceListener output)."""

    name = "svclog"

    def __init__(self) -> None:
        self.parser = _parser()

    def events(self, source: Input, report: DamageReport,
               quick: QuickCheck | None = None) -> Iterator[Event | None]:
        """Every complete record in file order; damage reported as it is met."""
        head = source.head()  # first: for stdin it puts the buffer in place
        stream = source.open()
        try:
            for piece in fragments(as_utf8(stream, head)):
                if isinstance(piece, Junk):
                    report(Damage(source.name, piece.offset,
                                  f"{piece.size} bytes outside any <E2ETraceEvent> record"))
                    continue
                yield from self._record(piece, source.name, report, quick)
        finally:
            if source.stream is None:
                stream.close()

    def _record(self, piece: Fragment, name: str, report: DamageReport,
                quick: QuickCheck | None) -> Iterator[Event | None]:
        if not piece.complete:
            report(Damage(name, piece.offset,
                          "record cut short (no </E2ETraceEvent>)", lost=1))
            return
        if quick is not None:
            known = _quick_facts(piece.data)
            if known is not None and not quick(*known):
                yield None
                return
        data = xml_safe(piece.data)
        try:
            root = etree.fromstring(data, self.parser)
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            report(Damage(name, piece.offset, "record is not readable XML", lost=1))
            return
        event = to_event(root, data, name)
        if event is None:
            report(Damage(name, piece.offset, "record has no <System> header", lost=1))
            return
        if quick is not None and not quick(event.event_id, event.level_value):
            yield None
            return
        yield event


class _Utf8:
    """A stream in another encoding read as the UTF-8 the listener writes (offsets in warnings
    are then offsets in that UTF-8 text)."""

    def __init__(self, stream: BinaryIO, codec: str, bom: int) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder(codec)(errors="replace")
        stream.read(bom)

    def read(self, size: int = BLOCK) -> bytes:
        while True:
            chunk = self.stream.read(size)
            text = self.decoder.decode(chunk, final=not chunk)
            if text or not chunk:
                return text.encode("utf-8")


def as_utf8(stream: BinaryIO, head: bytes) -> BinaryIO:
    """The stream as UTF-8: a file re-saved as UTF-16 (an editor, PowerShell's Out-File) is
    transcoded as it is read; UTF-8 (with or without a BOM) is read as it is."""
    codec, bom = _sniff_encoding(head)
    if codec == "utf-8":
        return stream
    return cast(BinaryIO, _Utf8(stream, codec, bom))


def utf8_head(head: bytes) -> bytes:
    """The first bytes of a file as UTF-8, whatever encoding they are in (for detection)."""
    codec, bom = _sniff_encoding(head)
    if codec == "utf-8":
        return head
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    return decoder.decode(head[bom:]).encode("utf-8")


def _quick_facts(data: bytes) -> tuple[int, int | None] | None:
    """(EventID, level) from the header bytes, or None when they are not where WCF puts them."""
    match = _QUICK.search(data, 0, 1024)
    if match is None:
        return None
    raw = _QUICK_LEVEL.search(data, 0, 1024)
    level = level_of(match.group(2).decode("ascii"), int(raw.group(1)) if raw else None)
    return int(match.group(1)), level
