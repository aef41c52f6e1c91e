"""Per-processor buffers merged into time order, one buffer per processor in memory.

ETW gives each processor its own buffers; a file holds them in the order they were flushed, so
file order is not time order. Each processor's buffers, in file order, form one stream in time
order; a k-way merge of those streams by (time stamp, buffer index, position) gives the trace in
time order, records with equal time stamps in file order.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from wcfevents.sources.etl.buffers import BufferInfo

# One record ready for decoding: (time stamp, buffer index, position, buffer bytes, info).
Item = tuple[int, int, int, bytes, BufferInfo]
T = TypeVar("T")


def by_processor(buffers: Iterable[BufferInfo]) -> list[list[BufferInfo]]:
    """The buffers of each processor, in file order (processors in order of first appearance)."""
    streams: dict[int, list[BufferInfo]] = {}
    for info in buffers:
        streams.setdefault(info.processor, []).append(info)
    return list(streams.values())


def merged(streams: list[list[BufferInfo]],
           records: Callable[[BufferInfo], Iterator[Item]]) -> Iterator[Item]:
    """Every record of every stream in (time, buffer index, position) order. `records` loads
    one buffer and yields its event records; it is called lazily, one buffer per stream."""
    iterators = [_stream(stream, records) for stream in streams]
    if len(iterators) == 1:
        return iterators[0]
    return heapq.merge(*iterators)


def _stream(stream: list[BufferInfo], records: Callable[[BufferInfo], Iterator[Item]]
            ) -> Iterator[Item]:
    for info in stream:
        yield from records(info)
