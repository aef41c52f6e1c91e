"""Decoding large inputs on every core: parts of a file decoded by worker processes, in order.

A large .evtx splits into windows of chunks (chunks are self-contained); a large XML export into
byte ranges cut at `<Event` start tags, each read with the file's own prolog and closing tag (see
wcfevents.sources.xml_ranges). Each worker decodes, filters and enriches its part and hands the
events to a `consume` function that returns something small: the encoded output for `decode`,
partial counters for `summary`, a partial activity table for `activities`. The parent takes the
results in file order, so output is written in order and partial tables merge exactly. At most
two parts a worker are in flight, so memory stays bounded however large the file.

A large uncompressed .etl splits into time windows of its buffers (see wcfevents.parallel_etl).
Inputs that are small, streams, .svclog, or read by the python engine go through the
one-process pipeline, which stays the reference: `--jobs 1` always takes it. So do several
inputs, which are merged in time order one event at a time. An XML part that reports damage
or fails is not trusted to be read as the one process would read it (line numbers, resumption
points): from that part on, the file is read by the one-process pipeline instead, skipping the
records the good parts already gave, so output, accounting and damage reports stay exact.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Generic, TypeVar

from wcfevents.filters import Filters
from wcfevents.model import Event
from wcfevents.pipeline import Stats, detect, expand, merged, read_inputs
from wcfevents.sources import Damage, Input, InputError
from wcfevents.sources.evtx_layout import chunks_on_disk

T = TypeVar("T")
Encoder = Callable[[Iterable[Event]], bytes]
WINDOW_CHUNKS = 32  # 2 MiB of .evtx a task (64 peaked 20 MB higher with 2 workers)
BATCH_EVENTS = 2000  # events encoded at a time on the one-process path
# Memory: each worker peaks at about 40 MB (2 MiB .evtx windows or XML ranges), the parent at
# about 35 MB (see README, "Every core").


@dataclass
class Part:
    """One task: a part of one file (chunks of an .evtx, or a byte range of an XML export)."""

    path: Path
    name: str
    kind: str  # "evtx" or "xml"
    start: int  # first chunk, or first byte
    end: int
    last: bool
    filters: Filters
    strict: bool
    consume: Callable[[Iterable[Event]], Any]
    layout: Any = None  # XmlLayout for XML parts
    payload: Any = True  # see read_inputs


@dataclass
class Result(Generic[T]):
    output: T
    stats: Stats
    damage: list[Damage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def default_workers() -> int:
    """One worker per usable core."""
    cores = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
             else os.cpu_count() or 1)
    return max(1, cores)


def _quiet_worker() -> None:
    """Ctrl-C is the parent's to handle; workers just stop when it ends the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def decode_part(part: Part) -> Result[Any]:
    """Decode, filter, enrich and consume one part (runs in a worker process)."""
    stats = Stats()
    errors: list[str] = []
    stream = None
    if part.kind == "evtx":
        from wcfevents.sources.evtx_rust import RustEvtxReader

        # One parser thread a worker: the workers already use every core.
        reader: Any = RustEvtxReader(threads=1, strict=part.strict, chunks=(part.start, part.end))
        source = Input(part.name, part.path)
    else:
        from wcfevents.sources.etw_xml import XmlReader
        from wcfevents.sources.xml_ranges import open_range

        reader = XmlReader(part.layout.flavour)
        stream = open_range(part.path, part.layout, part.start, part.end, part.last)
        source = Input(part.name, None, stream)
    try:
        events = read_inputs(
            [source], part.filters, stats=stats, on_damage=lambda d: None,
            on_unreadable=lambda e: errors.append(str(e)), reader=reader,
            payload=part.payload,
        )
        output = part.consume(events)
    finally:
        if stream is not None:
            stream.close()
    return Result(output, stats, list(stats.damage), errors)


def windows_of(source: Input, engine: str, input_format: str, workers: int,
               window_chunks: int) -> list[tuple[int, int]] | None:
    """The chunk windows to split an .evtx into, or None when it is not one or not worth it
    (wcfevents.dask plans its partitions with it too)."""
    if workers < 2 or engine == "python" or input_format not in ("auto", "evtx"):
        return None
    if source.path is None or source.stream is not None:
        return None
    try:
        if detect(source) != "evtx":
            return None
        total = chunks_on_disk(source.path.stat().st_size)
    except (InputError, OSError):
        return None  # the one-process path reports it
    if total < 2 * window_chunks:
        return None
    return [(start, min(start + window_chunks, total))
            for start in range(0, total, window_chunks)]


def parts_of(source: Input, filters: Filters, consume: Callable[[Iterable[Event]], Any], *,
             engine: str, input_format: str, strict: bool, workers: int, window_chunks: int,
             range_bytes: int | None, payload: Any = True) -> Iterator[Part] | None:
    """The parts to decode an input in, or None for the one-process path."""
    if workers < 2 or source.path is None or source.stream is not None:
        return None
    if input_format == "svclog":
        return None
    try:
        fmt = detect(source) if input_format == "auto" else (
            "evtx" if input_format == "evtx" else "xml")
    except InputError:
        return None  # the one-process path reports it
    if fmt not in ("evtx", "xml"):
        return None
    path, name = source.path, source.name
    if fmt == "evtx":
        windows = windows_of(source, engine, input_format, workers, window_chunks)
        if windows is None:
            return None
        return (Part(path, name, "evtx", start, end, end == windows[-1][1], filters, strict,
                     consume, payload=payload) for start, end in windows)
    from wcfevents.sources.xml_ranges import RANGE_BYTES, cuts, layout

    size = range_bytes or RANGE_BYTES
    try:
        if path.stat().st_size < 2 * size:
            return None
        lay = layout(path, None if input_format in ("auto", "xml") else input_format)
    except OSError:
        return None
    if lay is None:
        return None
    total = path.stat().st_size
    return (Part(path, name, "xml", start, end, end >= total, filters, strict, consume, lay,
                 payload) for start, end in cuts(path, lay, size))


def partials(
    paths: Iterable[str],
    filters: Filters,
    consume: Callable[[Iterable[Event]], T],
    *,
    engine: str = "auto",
    input_format: str = "auto",
    strict: bool = False,
    stats: Stats,
    on_damage: Callable[[Damage], None] | None = None,
    on_unreadable: Callable[[InputError], None] | None = None,
    workers: int | None = None,
    window_chunks: int | None = None,
    range_bytes: int | None = None,
    batch: int | None = None,
    payload: bool | Callable[[Event], bool] = True,
) -> Iterator[T]:
    """`consume` applied to the events of every input, part by part, in file order.

    On the one-process path `consume` gets batches of `batch` events (all of them at once when
    None); merged in the order they come, the results equal `consume` over all events.
    `payload=False` when `consume` never reads data or message (see read_inputs).
    """
    workers = workers or default_workers()
    window_chunks = window_chunks or WINDOW_CHUNKS
    options: dict[str, Any] = {"engine": engine, "input_format": input_format,
                               "strict": strict, "on_damage": on_damage,
                               "on_unreadable": on_unreadable, "payload": payload}
    sources = list(expand(paths))
    if len(sources) > 1:
        # Several inputs are merged in time order, one event of each in hand: decoded in this
        # process, so the result is the same whatever the number of workers.
        events = merged(sources, filters, stats=stats, **options)
        yield from _consumed(events, consume, batch)
        return
    for source in sources:
        parts = parts_of(source, filters, consume, engine=engine, input_format=input_format,
                         strict=strict, workers=workers, window_chunks=window_chunks,
                         range_bytes=range_bytes, payload=payload)
        if parts is None:
            etl = _etl_plan(source, input_format, workers)
            if etl is None:
                yield from _one_process(source, filters, consume, stats, batch, options)
                continue
            stats.inputs += 1
            parts = _etl_tasks(source, etl, filters, consume, stats, on_damage)
        else:
            stats.inputs += 1
        given = Stats()  # counts of the parts taken so far
        failed = False
        for part, result in _run(parts, workers):
            # .evtx chunks and .etl windows report their own damage exactly; XML ranges not.
            trusted = getattr(part, "kind", "etl") != "xml" or not (result.damage or result.errors)
            if not trusted:
                # Read the rest as one process would, from the first record not yet given.
                for counted in ("read", "matched", "filtered"):
                    setattr(stats, counted, getattr(stats, counted) - getattr(given, counted))
                stats.inputs -= 1
                yield from _one_process(source, filters, consume, stats, batch, options,
                                        skip=given.read)
                break
            given.add_counts(result.stats)
            stats.add_counts(result.stats)
            for damage in result.damage:
                stats.add_damage(damage)
                if on_damage:
                    on_damage(damage)
            if result.errors and not failed:
                failed = True
                stats.unreadable += 1
                error = InputError(result.errors[0])
                if on_unreadable is None:
                    raise error
                on_unreadable(error)
            yield result.output


def _one_process(source: Input, filters: Filters, consume: Callable[[Iterable[Event]], T],
                 stats: Stats, batch: int | None, options: dict[str, Any],
                 skip: int = 0) -> Iterator[T]:
    """The reference path; `skip` passes over the first records read (already given)."""
    events: Iterator[Event] = read_inputs([source], filters, stats=stats, **options)
    if skip:
        base = stats.read
        events = (event for event in events if stats.read - base > skip)
    yield from _consumed(events, consume, batch)


def _consumed(events: Iterator[Event], consume: Callable[[Iterable[Event]], T],
              batch: int | None) -> Iterator[T]:
    """`consume` over batches of `batch` events (over all of them at once when None)."""
    if batch is None:
        yield consume(events)
        return
    while chunk := list(islice(events, batch)):
        yield consume(chunk)


def encoded(paths: Iterable[str], filters: Filters, encode: Encoder, **options: Any
            ) -> Iterator[bytes]:
    """The encoded output of every input, in order, as `decode` writes it."""
    return partials(paths, filters, encode, batch=BATCH_EVENTS, **options)


def _etl_plan(source: Input, input_format: str, workers: int) -> Any:
    from wcfevents.parallel_etl import plan

    return plan(source, input_format, workers)


def _etl_tasks(source: Input, planned: Any, *args: Any) -> Iterator[Any]:
    from wcfevents.parallel_etl import tasks

    return tasks(source, planned, *args)


def decode_task(task: Any) -> Result[Any]:
    """A Part (.evtx or XML) or an .etl window task, in a worker process."""
    return decode_part(task) if isinstance(task, Part) else task.run()


def _run(parts: Iterator[Any], workers: int) -> Iterator[tuple[Any, Result[Any]]]:
    """Results in task order, with at most two tasks a worker in flight."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with context.Pool(workers, initializer=_quiet_worker) as pool:
        pending: deque = deque()
        for part in islice(parts, workers * 2):
            pending.append((part, pool.apply_async(decode_task, (part,))))
        while pending:
            part, waiting = pending.popleft()
            result = waiting.get()
            for following in islice(parts, 1):
                pending.append((following, pool.apply_async(decode_task, (following,))))
            yield part, result
