"""Large .etl files on every core: time windows of the trace decoded by worker processes.

A file's buffers interleave processors, so a range of buffers is not a range of time. The
trace is cut instead at buffer start times into windows of about 1.5 MiB of buffers; a worker
loads, for each processor, the buffers whose records can fall in its window [low, high) and
yields the events stamped inside it, merged exactly as one process merges them. The parent
writes the windows in time order, so the output equals the one-process output. Each buffer is
owned by the window its first record falls in: only that window counts its skipped records
and reports its damage. The layout's own findings (damaged stretches, a cut, the session's
losses) are reported once, by the parent.

Only uncompressed files split this way (a buffer's start time is read off its first record
without inflating it); compressed (relogged) files, and files whose buffers do not start in time
order on every processor, go through the one-process path.
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from wcfevents.filters import Filters
from wcfevents.pipeline import Stats, detect, read_inputs, reporter
from wcfevents.sources import Damage, Input, InputError, Notice
from wcfevents.sources.etl import EtlReader, Layout, read_layout
from wcfevents.sources.etl.buffers import BUFFER_HEADER_SIZE, BufferInfo
from wcfevents.sources.etl.merge import by_processor

# About 5,000 WCF events a window: as many as an .evtx window of 64 chunks holds, so a window's
# encoded output, held until it is written, stays as small.
WINDOW_BYTES = 3 << 19
MIN_BYTES = 8 << 20  # smaller files are not worth the workers
EARLIEST, LATEST = -(1 << 63), 1 << 63


@dataclass
class EtlTask:
    """One window of one file, run in a worker: decode, filter, enrich, encode."""

    path: str
    name: str
    layout: Layout  # with only the buffers this window loads
    window: tuple[int, int]
    owned: frozenset[int]
    filters: Filters
    encode: Callable

    def run(self) -> object:
        from wcfevents.parallel import Result

        stats = Stats()
        errors: list[str] = []
        events = read_inputs(
            [Input(self.name, Path(self.path))], self.filters,
            stats=stats, on_damage=lambda d: None, on_unreadable=lambda e: errors.append(str(e)),
            reader=EtlReader(part=(self.layout, self.window, self.owned)),
        )
        output = self.encode(events)
        return Result(output, stats, list(stats.damage), errors)


def first_stamps(fd: int, buffers: list[BufferInfo]) -> list[int | None]:
    """Each buffer's first record's time stamp (None when it has no readable record)."""
    stamps: list[int | None] = []
    for info in buffers:
        used = max(info.saved_offset, info.used)
        if info.compressed or used < BUFFER_HEADER_SIZE + 24:
            stamps.append(None)
            continue
        head = os.pread(fd, 24, info.offset + BUFFER_HEADER_SIZE)
        if len(head) < 24 or not head[3] & 0x80:
            stamps.append(None)
            continue
        where = 8 if head[2] in (0x10, 0x11) else 16  # PERFINFO headers keep it at +8
        stamps.append(int.from_bytes(head[where:where + 8], "little", signed=True))
    return stamps


def plan(source: Input, input_format: str, workers: int, window_bytes: int | None = None
         ) -> tuple[Layout, list[tuple[Layout, tuple[int, int], frozenset[int]]]] | None:
    """The whole layout and the windows to decode it in, or None when it is not worth it."""
    window_bytes = window_bytes or WINDOW_BYTES
    if workers < 2 or input_format not in ("auto", "etl") or source.path is None:
        return None
    if source.stream is not None:
        return None
    try:
        size = source.path.stat().st_size
        if detect(source) != "etl" or size < max(MIN_BYTES, 2 * window_bytes):
            return None
        fd = os.open(source.path, os.O_RDONLY)
        try:
            layout = read_layout(fd, source.name)
            if any(b.compressed for b in layout.buffers):
                return None
            stamps = first_stamps(fd, layout.buffers)
        finally:
            os.close(fd)
    except (InputError, OSError):
        return None  # the one-process path reports it
    # A buffer with no readable first record starts where the one before it did.
    start: dict[int, int] = {}
    previous: dict[int, int] = {}
    for info, stamp in zip(layout.buffers, stamps, strict=True):
        value = stamp if stamp is not None else previous.get(info.processor, EARLIEST)
        if value < previous.get(info.processor, EARLIEST):
            return None  # a processor's buffers out of time order: one process merges safely
        previous[info.processor] = start[info.index] = value
    cuts = _cuts(layout.buffers, start, window_bytes)
    streams = by_processor(layout.buffers)
    firsts = [[start[b.index] for b in stream] for stream in streams]
    parts = []
    for low, high in zip([EARLIEST, *cuts], [*cuts, LATEST], strict=True):
        chosen: list[BufferInfo] = []
        for stream, stream_firsts in zip(streams, firsts, strict=True):
            begin = max(0, bisect_right(stream_firsts, low) - 1)
            chosen.extend(stream[begin:bisect_left(stream_firsts, high)])
        chosen.sort(key=lambda b: b.index)
        owned = frozenset(b.index for b in chosen if low <= start[b.index] < high)
        part = Layout(layout.header, chosen, [], layout.size)
        parts.append((part, (low, high), owned))
    return layout, parts


def _cuts(buffers: list[BufferInfo], start: dict[int, int], window_bytes: int) -> list[int]:
    """Time stamps to cut at: about `window_bytes` of buffers between two cuts."""
    cuts: list[int] = []
    total = 0
    for info in sorted(buffers, key=lambda b: (start[b.index], b.index)):
        total += info.size
        if total >= window_bytes and (not cuts or start[info.index] > cuts[-1]):
            cuts.append(start[info.index])
            total = 0
    return cuts


def tasks(source: Input, planned: tuple[Layout, list], filters: Filters, encode: Callable,
          stats: Stats, on_damage: Callable[[Damage | Notice], None] | None
          ) -> Iterator[EtlTask]:
    """The windows as worker tasks; the layout's own findings reported here, once."""
    layout, parts = planned
    assert source.path is not None
    EtlReader().report_layout(layout, source.name, reporter(stats, on_damage))
    for part, window, owned in parts:
        yield EtlTask(str(source.path), source.name, part, window, owned, filters, encode)
