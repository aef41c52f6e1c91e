"""Binary ETW trace files (.etl) read directly, on any operating system.

The file is walked buffer by buffer (buffers.py, sync.py), the log-file header gives the clock
(header.py), compressed buffers are inflated (xpress.py), each buffer's records are sized and
sorted into EVENT_HEADER events and other kinds (records.py), per-processor buffers are merged
into time order (merge.py) and each event is decoded (event.py) with its payload from the
catalog's templates (payload.py) or a TraceLogging schema (tracelogging.py); compression other
than XPRESS is named (compression.py). Records of other kinds are skipped and counted, events
the session reports lost are told as a Notice, damage as Damage; decoding always goes on.
"""

from __future__ import annotations

import os
import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from wcfevents.catalog import Catalog
from wcfevents.catalog import load as load_catalog
from wcfevents.model import Event
from wcfevents.sources import Damage, DamageReport, Input, InputError, Notice, QuickCheck
from wcfevents.sources.etl import records as rec
from wcfevents.sources.etl.buffers import (
    BUFFER_HEADER_SIZE,
    FLAG_BUFFER_LOST,
    FLAG_EVENTS_LOST,
    BufferError,
    BufferInfo,
    WalkProblem,
    load_checked,
    parse_buffer_header,
)
from wcfevents.sources.etl.compression import other_format
from wcfevents.sources.etl.event import EventDecoder
from wcfevents.sources.etl.header import HeaderError, LogfileHeader, parse_logfile_header
from wcfevents.sources.etl.merge import Item, by_processor, merged
from wcfevents.sources.etl.sync import walk

_STAMP = struct.Struct("<q")


def sniff(head: bytes) -> bool:
    """Whether `head` starts like an .etl file: a buffer whose first record is the SYSTEM
    record (hook 0) that carries the log-file header."""
    if len(head) < BUFFER_HEADER_SIZE + 8:
        return False
    size = int.from_bytes(head[0:4], "little")
    kind, marker = head[0x4A], head[0x4B]
    hook = int.from_bytes(head[0x4E:0x50], "little")
    record = int.from_bytes(head[0x4C:0x4E], "little")
    return (BUFFER_HEADER_SIZE < size <= 64 << 20 and kind in (1, 2) and marker & 0xC0 == 0xC0
            and hook == 0 and record >= 32 + 0x40)


@dataclass
class Layout:
    """What the walk found: the header, every buffer, and the damaged stretches."""

    header: LogfileHeader
    buffers: list[BufferInfo]
    problems: list[WalkProblem] = field(default_factory=list)
    size: int = 0


def read_layout(fd: int, name: str) -> Layout:
    """The log-file header and the buffer index of a whole file."""
    size = os.fstat(fd).st_size
    first = os.pread(fd, min(max(size, 0), 1 << 16), 0)
    if not sniff(first):
        raise InputError(f"{name}: not an .etl file (no log-file header in the first buffer)")
    info = parse_buffer_header(first, 0, 0)
    raw = first[:info.size] if info.size <= len(first) else first
    if info.compressed:
        raise InputError(f"{name}: the header buffer is compressed, which Windows never does")
    try:
        # The SYSTEM record keeps its size at +4.
        length = int.from_bytes(raw[BUFFER_HEADER_SIZE + 4:BUFFER_HEADER_SIZE + 6], "little")
        header = parse_logfile_header(raw[BUFFER_HEADER_SIZE:BUFFER_HEADER_SIZE + length])
        header.clock  # noqa: B018 - raises when the clock cannot be used
    except HeaderError as exc:
        raise InputError(f"{name}: {exc}") from None
    layout = Layout(header, [], [], size)
    for item in walk(fd, size, header.buffer_size):
        if isinstance(item, WalkProblem):
            layout.problems.append(item)
        else:
            layout.buffers.append(item)
    return layout


class EtlReader:
    """Reads .etl files: EVENT_HEADER events in time order, everything else counted."""

    name = "etl"

    def __init__(self, catalog: Catalog | None = None, *,
                 part: tuple[Layout, tuple[int, int], frozenset[int]] | None = None) -> None:
        self.catalog = catalog or load_catalog()
        # A part of a large file (see wcfevents.parallel_etl): the layout already walked (its
        # buffers those to load), the time-stamp window [low, high) of the events to yield, and
        # the buffers whose skipped records and damage this part reports.
        self.part = part
        self.decoder = EventDecoder(self.catalog)

    # -- the Reader interface -------------------------------------------------------------

    def events(self, source: Input, report: DamageReport,
               quick: QuickCheck | None = None) -> Iterator[Event | None]:
        if source.path is None:
            raise InputError(f"{source.name}: .etl input needs a file")
        try:
            fd = os.open(source.path, os.O_RDONLY)
        except OSError as exc:
            raise InputError(f"{source.name}: {exc.strerror or exc}") from None
        try:
            if self.part is None:
                yield from self.decode(fd, read_layout(fd, source.name), source.name, report,
                                       quick)
            else:
                layout, window, owned = self.part
                yield from self.decode(fd, layout, source.name, report, quick, window, owned)
        finally:
            os.close(fd)

    def decode(self, fd: int, layout: Layout, name: str, report: DamageReport,
               quick: QuickCheck | None, window: tuple[int, int] | None = None,
               owned: frozenset[int] | None = None) -> Iterator[Event | None]:
        """The events of the layout's buffers in time order (those of `window` only when
        given); reports as it goes (for a part, only what happens in the buffers it owns)."""
        header = layout.header
        clock = header.clock
        skipped: Counter[str] = Counter()
        low, high = window or (None, None)
        if owned is None:
            self.report_layout(layout, name, report)

        def records(info: BufferInfo) -> Iterator[Item]:
            try:
                buf, inner = load_checked(fd, info, header.buffer_size)
            except BufferError as exc:
                self._compression_check(fd, info, name)
                if owned is None or info.index in owned:
                    report(Damage(name, info.offset, f"buffer {info.index}: {exc}", None))
                return
            if inner is not None and (owned is None or info.index in owned):
                report(Damage(name, inner, f"buffer {info.index}'s XPRESS data ends here, "
                              f"{info.end - inner} bytes before its BufferSize says it does; "
                              "the buffer header here and the rest were not read", None))
            position = BUFFER_HEADER_SIZE
            try:
                for position, kind, _ in rec.walk(buf):
                    if kind == rec.EVENT_HEADER64 or kind == rec.EVENT_HEADER32:
                        stamp = _STAMP.unpack_from(buf, position + 16)[0]
                        if low is not None and not low <= stamp < high:
                            continue
                        yield stamp, info.index, position, buf, info
                    elif owned is None or info.index in owned:
                        skipped[rec.kind_name(kind)] += 1
            except rec.RecordError as exc:
                if owned is not None and info.index not in owned:
                    return
                where = "" if not info.compressed else " (inflated)"
                report(Damage(name, info.offset, f"buffer {info.index}{where}: {exc}; the rest "
                              "of the buffer is skipped", None))

        for stamp, _, position, buf, info in merged(by_processor(layout.buffers), records):
            try:
                yield self.decoder.decode(buf, position, info, clock.ticks(stamp), name, quick)
            except (struct.error, ValueError, IndexError) as exc:
                report(Damage(name, info.offset, f"buffer {info.index}: event record at "
                              f"{position}: {exc}", 1))
        if skipped:
            total = sum(skipped.values())
            kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(skipped.items()))
            report(Notice(name, f"{total} records of kinds not decoded were skipped ({kinds})",
                          skipped=total))

    def report_layout(self, layout: Layout, name: str, report: DamageReport) -> None:
        """Damage the walk found, a file shorter than its header says, the session's losses."""
        header = layout.header
        for problem in layout.problems:
            report(Damage(name, problem.offset, problem.detail, None if problem.size else 0))
        found = len(layout.buffers)
        cut = any("cut short" in p.detail for p in layout.problems)
        # Each damaged stretch the walk skipped stands for at least one buffer.
        skipped = sum(1 for p in layout.problems if p.size)
        if header.buffers_written > found + skipped and not cut:
            report(Damage(name, layout.size, f"the header counts {header.buffers_written} "
                          f"buffers, the file holds {found} (cut short?)", None))
        flagged_events = sum(1 for b in layout.buffers if b.flags & FLAG_EVENTS_LOST)
        flagged_buffers = sum(1 for b in layout.buffers if b.flags & FLAG_BUFFER_LOST)
        parts = []
        if header.events_lost:
            parts.append(f"{_plural(header.events_lost, 'event')} (header EventsLost)")
        if header.buffers_lost:
            parts.append(f"{_plural(header.buffers_lost, 'buffer')} (header BuffersLost)")
        if flagged_events or flagged_buffers:
            parts.append(f"{_plural(flagged_events + flagged_buffers, 'buffer')} flagged as "
                         "having lost events")
        if parts:
            report(Notice(name, "the trace session lost " + ", ".join(parts) + " before "
                          "writing them to the file; everything in the file was read",
                          session_lost=header.events_lost))

    def _compression_check(self, fd: int, info: BufferInfo, name: str) -> None:
        """A compressed buffer that is not XPRESS at all: one clear error naming the format."""
        if not info.compressed:
            return
        fmt = other_format(os.pread(fd, info.size, info.offset)[BUFFER_HEADER_SIZE:])
        if fmt is None:
            return  # XPRESS that is damaged: reported as damage
        raise InputError(f"{name}: buffer {info.index} is compressed with {fmt}; only XPRESS "
                         "(plain LZ77) compressed buffers can be read")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
