"""The records in a buffer: what kind each is, how long, and the EVENT_HEADER fields.

Every record starts with a 32-bit marker whose top byte has TRACE_HEADER_FLAG (0x80) and whose
third byte is the header type. Records are 8-byte aligned. Their size sits in one of two places:
SYSTEM, COMPACT and PERFINFO headers (kernel events) keep it at +4 after a 16-bit version; every
other header (EVENT_HEADER, classic EVENT_TRACE_HEADER, instance, WPP message) at +0. Only
EVENT_HEADER records (0x12, 0x13) become events; the rest are stepped over by their size and
counted as skipped.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

from wcfevents.sources.etl.buffers import BUFFER_HEADER_SIZE

EVENT_HEADER32, EVENT_HEADER64 = 0x12, 0x13
EVENT_HEADER = struct.Struct("<HHHHIIq16sHBBBBHQII16s")
EVENT_HEADER_SIZE = 0x50
# Item size (8-aligned, header included), type, linkage bit, data size.
EXT_ITEM = struct.Struct("<HHHH")

FLAG_EXTENDED_INFO = 0x0001
FLAG_STRING_ONLY = 0x0004
FLAG_NO_CPUTIME = 0x0010

EXT_RELATED_ACTIVITYID = 1
EXT_SID = 2
EXT_TS_ID = 3
EXT_EVENT_SCHEMA_TL = 0x0B
EXT_PROV_TRAITS = 0x0C

# Header type → (name for the skipped count, where its 16-bit size is).
KINDS: dict[int, tuple[str, int]] = {
    0x01: ("system", 4), 0x02: ("system", 4),
    0x03: ("compact", 4), 0x04: ("compact", 4),
    0x0A: ("classic", 0), 0x14: ("classic", 0),
    0x0B: ("instance", 0), 0x15: ("instance", 0),
    0x0C: ("timed", 0), 0x0D: ("error", 0), 0x0E: ("wnode", 0),
    0x0F: ("message", 0),
    0x10: ("perfinfo", 4), 0x11: ("perfinfo", 4),
    EVENT_HEADER32: ("event", 0), EVENT_HEADER64: ("event", 0),
}
TRACE_MESSAGE = 0x10  # in the marker's top byte without TRACE_HEADER_FLAG: a WPP message
MINIMUM = {4: 16, 0: 8}  # the smallest header of each size rule


class RecordError(ValueError):
    """A record whose size cannot be right: the rest of its buffer cannot be walked."""


def walk(buf: bytes, start: int = BUFFER_HEADER_SIZE) -> Iterator[tuple[int, int, int]]:
    """(position, header type, size) of each record from `start` to the end of `buf`; header
    type 0x0F stands for WPP messages. Raises RecordError at a record that cannot be sized."""
    end = len(buf)
    position = start
    while position + 8 <= end:
        marker = buf[position + 3]
        kind = buf[position + 2]
        if marker & 0x80:
            rule = KINDS.get(kind)
            if rule is None:
                if _filler(buf, position):
                    return
                raise RecordError(f"unknown record header type 0x{kind:02x} at {position}")
            where = rule[1]
        elif marker & TRACE_MESSAGE:
            kind, where = 0x0F, 0
        else:
            if _filler(buf, position):
                return
            raise RecordError(f"no record marker at {position}")
        size = buf[position + where] | buf[position + where + 1] << 8
        if size < MINIMUM[where] or position + size > end:
            raise RecordError(f"record at {position} claims {size} bytes "
                              f"({end - position} left in the buffer)")
        if kind in (EVENT_HEADER32, EVENT_HEADER64) and size < EVENT_HEADER_SIZE:
            raise RecordError(f"event record at {position} shorter than its header ({size})")
        yield position, kind, size
        position += (size + 7) & ~7


def _filler(buf: bytes, position: int) -> bool:
    """Whether the buffer holds only filler (all 0xFF or all zero bytes) from `position` on:
    the records ended; filler with records after it is damage."""
    first = buf[position:position + 1]
    return first in (b"\xff", b"\x00") and not buf[position:].strip(first)


def kind_name(kind: int) -> str:
    rule = KINDS.get(kind)
    return rule[0] if rule else f"0x{kind:02x}"


def extended_items(buf: bytes, start: int, end: int) -> tuple[list[tuple[int, bytes]], int]:
    """The extended data items after an EVENT_HEADER: [(type, data)], and where the payload
    starts. Items chain while their Linkage bit is set."""
    items: list[tuple[int, bytes]] = []
    position = start
    while position + 8 <= end:
        size, kind, linkage, data_size = EXT_ITEM.unpack_from(buf, position)
        if size < 8 or position + size > end or 8 + data_size > size:
            raise RecordError(f"extended item at {position} claims {size} bytes")
        items.append((kind, bytes(buf[position + 8:position + 8 + data_size])))
        position += size
        if not linkage & 1:
            break
    return items, position
