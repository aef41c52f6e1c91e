"""A writer of genuine-layout .etl files, so that tests and benchmarks read real ETW bytes.

It lays a trace out as an ETW session does: a header buffer whose first record is the SYSTEM
record carrying TRACE_LOGFILE_HEADER (32- or 64-bit layout), then per-processor buffers of
8-byte-aligned EVENT_HEADER records, each buffer written to the file when it fills, so that the
file interleaves processors and file order is not time order. Options give what real files
show: XPRESS-compressed buffers packed back to back as the relogger writes them, 32-bit event
headers in a 64-bit trace, RelatedActivityId extended items, kernel SYSTEM records mixed in,
buffers flagged as having lost events and a header EventsLost count. Events are written as they
arrive; one buffer per processor is held in memory.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from wcfevents.catalog import Catalog
from wcfevents.catalog import load as load_catalog
from wcfevents.model import Event, canonical_guid
from wcfevents.testing import binxml as bx
from wcfevents.testing.evtx_writer import fast_filetime
from wcfevents.testing.lz77 import compress

BUFFER_HEADER = struct.Struct("<IIIiqqQBBHIIHH16s")
HEADER_SIZE = 0x48
EVENT_HEADER = struct.Struct("<HHHHIIq16sHBBBBHQII16s")
SYSTEM_HEADER = struct.Struct("<HBBHHIIqII")
EXT_ITEM = struct.Struct("<HHHH")
COMPRESSED_MODE = 0x04000000
RELOG_MODE = 0x00010000
FILE_MODE = 0x00000001  # EVENT_TRACE_FILE_MODE_SEQUENTIAL
FLAG_EVENTS_LOST = 0x02
FLAG_COMPRESSED = 0x40
CLOCK_QPC, CLOCK_SYSTEM, CLOCK_CYCLES = 1, 2, 3
START_QPC = 5_464_961_000_000  # an arbitrary boot-relative counter value for T0


@dataclass
class EtlOptions:
    """How the trace is laid out (the defaults: a plain 64-bit QPC trace on 4 processors)."""

    processors: int = 4
    buffer_size: int = 65536
    pointer_size: int = 8
    clock: int = CLOCK_QPC
    frequency: int = 10_000_000  # QPC ticks a second (≥ 10⁷ keeps every 100 ns tick exact)
    cpu_mhz: int = 3000
    compressed: bool = False
    wow64_pids: frozenset[int] = frozenset()  # processes whose records have 32-bit headers
    kernel_every: int = 0  # a SYSTEM record (hook 0x0050) after every N events; 0: none
    events_lost: int = 0  # the header's EventsLost
    lost_flag_buffers: frozenset[int] = frozenset()  # data buffers (0-based) flagged 0x02
    logger_name: str = "WCF-Trace"
    # Compressed buffers back to back (as the relogger writes them), or each in a slot of
    # buffer_size bytes, its XPRESS data followed by zeros.
    packed: bool = True


@dataclass
class EtlSummary:
    events: int = 0
    kernel_records: int = 0
    buffers: int = 0  # data buffers, the header buffer not counted
    buffer_offsets: list[int] = field(default_factory=list)


class _Buffer:
    __slots__ = ("data", "last_stamp", "processor")

    def __init__(self, processor: int) -> None:
        self.processor = processor
        self.data = bytearray()
        self.last_stamp = 0


class EtlWriter:
    """Streams Events into an .etl file (seekable: the header buffer is written last)."""

    def __init__(self, stream: BinaryIO, options: EtlOptions | None = None,
                 catalog: Catalog | None = None) -> None:
        self.stream = stream
        self.options = options or EtlOptions()
        self.catalog = catalog or load_catalog()
        self.summary = EtlSummary()
        self._buffers: dict[int, _Buffer] = {}
        self._sequence = 0
        self._start: int | None = None  # FILETIME of the first event: the session start
        self._last = 0
        self._types: dict[int | None, list[tuple[str, int]] | None] = {}
        self._header_size = 1024 if self.options.compressed else self.options.buffer_size
        if self.options.compressed and not self.options.packed:
            self._header_size = self.options.buffer_size
        stream.write(bytes(self._header_size))

    # -- time -------------------------------------------------------------------------------

    def _stamp(self, ticks: int) -> int:
        """A FILETIME as the session clock's time stamp (the reader's formula, inverted)."""
        assert self._start is not None
        o = self.options
        if o.clock == CLOCK_SYSTEM:
            return ticks
        freq = o.cpu_mhz * 1_000_000 if o.clock == CLOCK_CYCLES else o.frequency
        return START_QPC + -(-(ticks - self._start) * freq // 10_000_000)

    # -- records ----------------------------------------------------------------------------

    def _payload(self, event: Event) -> bytes:
        guid = canonical_guid(event.provider_guid)
        types = self._types.get(event.event_id) if guid == self.catalog.provider_guid else None
        if types is None and guid == self.catalog.provider_guid:
            entry = self.catalog.by_id(event.event_id) if event.event_id is not None else None
            if entry is not None:
                types = [(f.name, bx.MANIFEST_TYPES.get(f.type, bx.STRING)) for f in entry.fields]
            self._types[event.event_id] = types
        parts = []
        names = types or [(name, bx.STRING) for name in event.data]
        for name, kind in names:
            value = event.data.get(name)
            if kind == bx.STRING:
                parts.append(("" if value is None else str(value)).encode("utf-16-le") + b"\0\0")
            else:
                parts.append(bx.encode_value(kind, 0 if value is None else value)[1])
        return b"".join(parts)

    def _event_record(self, event: Event, stamp: int) -> bytes:
        payload = self._payload(event)
        items = []
        if event.related_activity_id:
            items.append((1, uuid.UUID(event.related_activity_id).bytes_le))
        if event.extra.get("UserID"):
            items.append((2, sid_bytes(event.extra["UserID"])))
        extended = b""
        for index, (kind, data) in enumerate(items):
            size = 8 + len(data) + (-len(data) % 8)
            linkage = 1 if index < len(items) - 1 else 0
            extended += EXT_ITEM.pack(size, kind, linkage, len(data)) + data + bytes(
                -len(data) % 8)
        flags = 0x0001 if items else 0
        wow64 = self.options.pointer_size == 4 or event.process_id in self.options.wow64_pids
        header_type = 0xC012 if wow64 else 0xC013
        size = EVENT_HEADER.size + len(extended) + len(payload)
        if size > 0xFFFF:
            raise ValueError(f"an event of {size} bytes does not fit in one ETW record")
        activity = uuid.UUID(event.activity_id).bytes_le if event.activity_id else bytes(16)
        head = EVENT_HEADER.pack(
            size, header_type, flags, 0, event.thread_id or 0, event.process_id or 0, stamp,
            uuid.UUID(canonical_guid(event.provider_guid) or str(uuid.UUID(int=0))).bytes_le,
            event.event_id or 0, event.version or 0, 0, event.level_value or 0,
            event.opcode_id or 0, event.task_id or 0, event.keywords_mask or 0,
            (event.thread_id or 0) % 7, (event.thread_id or 0) % 5, activity,
        )
        return head + extended + payload

    def _kernel_record(self, stamp: int, pid: int, tid: int) -> bytes:
        body = struct.pack("<QII", 0x1234, pid, tid)
        kind = 0x01 if self.options.pointer_size == 4 else 0x02
        return SYSTEM_HEADER.pack(2, kind, 0xC0, 32 + len(body), 0x0050, tid, pid, stamp,
                                  0, 0) + body

    def write(self, event: Event) -> None:
        """Append one event to its processor's buffer (the thread ID picks the processor)."""
        if event.timestamp is None:
            raise ValueError("an event needs a timestamp")
        ticks = fast_filetime(event.timestamp)
        if self._start is None:
            self._start = ticks
        self._last = max(self._last, ticks)
        stamp = self._stamp(ticks)
        # A thread runs on one processor here; a multiplicative hash spreads the thread IDs
        # (multiples of 4 on Windows) over the processors.
        processor = ((event.thread_id or 0) * 2654435761 >> 16) % self.options.processors
        self._append(processor, self._event_record(event, stamp), stamp)
        self.summary.events += 1
        every = self.options.kernel_every
        if every and self.summary.events % every == 0:
            record = self._kernel_record(stamp, event.process_id or 0, event.thread_id or 0)
            self._append(processor, record, stamp)
            self.summary.kernel_records += 1

    def _append(self, processor: int, record: bytes, stamp: int) -> None:
        buffer = self._buffers.get(processor)
        if buffer is None:
            buffer = self._buffers[processor] = _Buffer(processor)
        padded = record + bytes(-len(record) % 8)
        if HEADER_SIZE + len(buffer.data) + len(padded) > self.options.buffer_size:
            if not buffer.data:
                raise ValueError(f"a record of {len(record)} bytes does not fit in a buffer")
            self._flush(buffer)
        buffer.data += padded
        buffer.last_stamp = stamp

    def _flush(self, buffer: _Buffer) -> None:
        o = self.options
        records = bytes(buffer.data)
        used = HEADER_SIZE + len(records)
        flags = 0x20
        index = self.summary.buffers
        if index in o.lost_flag_buffers:
            flags |= FLAG_EVENTS_LOST
        if o.compressed:
            body = compress(records)
            size = HEADER_SIZE + len(body)
            flags |= FLAG_COMPRESSED
            if not o.packed and size < o.buffer_size:
                body += bytes(o.buffer_size - size)
                size = o.buffer_size
        else:
            body = records + b"\xff" * (o.buffer_size - used)
            size = o.buffer_size
        self._sequence += 1
        head = BUFFER_HEADER.pack(size, used, used, 0, buffer.last_stamp, self._sequence, 0,
                                  buffer.processor, 0, 1, 3, used, flags, 0, bytes(16))
        self.summary.buffer_offsets.append(self.stream.tell())
        self.stream.write(head + body)
        self.summary.buffers += 1
        buffer.data = bytearray()

    # -- the header buffer ------------------------------------------------------------------

    def _logfile_header(self) -> bytes:
        o = self.options
        start = self._start or 0
        end = self._last
        union = struct.pack("<IIII", 1, o.pointer_size, o.events_lost, o.cpu_mhz)
        mode = FILE_MODE | (COMPRESSED_MODE | RELOG_MODE if o.compressed else 0)
        fixed = struct.pack("<IIIIqIIII16s", o.buffer_size, 0x0501000A, 19045, o.processors,
                            end, 156250, 0, mode, self.summary.buffers + 1, union)
        pointers = bytes(2 * o.pointer_size)
        zone = struct.pack("<i", 0) + "UTC".encode("utf-16-le").ljust(64, b"\0") + bytes(16) \
            + struct.pack("<i", 0) + "UTC".encode("utf-16-le").ljust(64, b"\0") + bytes(16) \
            + struct.pack("<i", 0)
        body = fixed + pointers + zone
        body += bytes(-len(body) % 8)
        freq = o.frequency if o.clock == CLOCK_QPC else 10_000_000
        body += struct.pack("<qqqII", start - 36_000_000_000, freq, start, o.clock, 0)
        names = (o.logger_name + "\0").encode("utf-16-le") + "C:\\trace.etl\0".encode(
            "utf-16-le")
        body += names
        kind = 0x01 if o.pointer_size == 4 else 0x02
        t0 = start if o.clock == CLOCK_SYSTEM else START_QPC
        return SYSTEM_HEADER.pack(2, kind, 0xC0, 32 + len(body), 0, 0, 4, t0, 0, 0) + body

    def close(self) -> EtlSummary:
        """Flush the remaining buffers (highest processor first) and write the header buffer."""
        for processor in sorted(self._buffers, reverse=True):
            if self._buffers[processor].data:
                self._flush(self._buffers[processor])
        record = self._logfile_header()
        record += bytes(-len(record) % 8)
        used = HEADER_SIZE + len(record)
        if used > self._header_size:
            raise ValueError("the log-file header does not fit in the header buffer")
        head = BUFFER_HEADER.pack(self._header_size, used, used, 0, 0, 0, 0, 0, 0, 1, 3, used,
                                  0x01, 4, bytes(16))
        self.stream.seek(0)
        self.stream.write(head + record + b"\xff" * (self._header_size - used))
        self.stream.seek(0, 2)
        return self.summary

    def __enter__(self) -> EtlWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()


def sid_bytes(text: str) -> bytes:
    """A SID such as S-1-5-21-…-1001 in its binary form."""
    parts = text.split("-")
    revision, authority, subs = int(parts[1]), int(parts[2]), [int(p) for p in parts[3:]]
    return (bytes([revision, len(subs)]) + authority.to_bytes(6, "big")
            + b"".join(s.to_bytes(4, "little") for s in subs))


def write_etl(path: str | Path, events: Iterable[Event], options: EtlOptions | None = None,
              catalog: Catalog | None = None) -> EtlSummary:
    """Write `events` to a new .etl file at `path`; returns what was written."""
    with Path(path).open("wb") as fh:
        writer = EtlWriter(fh, options, catalog)
        for event in events:
            writer.write(event)
        return writer.close()


def values_of(event: Event) -> dict[str, Any]:
    """The record an .etl file keeps of an event (what a format lacks set as the reader
    gives it): no record number, no computer name, no channel name."""
    record = event.to_dict()
    record.update(record_id=None, computer=None)
    return record
