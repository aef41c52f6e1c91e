"""Decoding large .evtx files on every core: windows of chunks decoded by worker processes.

Chunks are self-contained, so a file splits into windows of chunks that worker processes decode,
filter, enrich and encode on their own; the parent writes their output in file order. At most a
few windows are in flight, so memory stays bounded however large the file and however slow the
reader of the output. Inputs that are small, XML, .svclog, or read by the python engine go
through the ordinary one-process pipeline, and so do several inputs, which are merged in time
order one event at a time.
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
from typing import Any

from wcfevents.filters import Filters
from wcfevents.model import Event
from wcfevents.pipeline import Stats, detect, expand, merged, read_inputs
from wcfevents.sources import Damage, Input, InputError
from wcfevents.sources.evtx_layout import chunks_on_disk

Encoder = Callable[[Iterable[Event]], bytes]
WINDOW_CHUNKS = 64  # 4 MiB of .evtx a task
BATCH_EVENTS = 2000  # events encoded at a time on the one-process path


@dataclass
class Window:
    """One task: chunks start ≤ i < end of one file."""

    path: Path
    name: str
    start: int
    end: int
    filters: Filters
    strict: bool
    encode: Encoder


@dataclass
class Result:
    output: bytes
    stats: Stats
    damage: list[Damage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


MAX_DEFAULT_WORKERS = 4  # each worker holds about 45 MB


def default_workers() -> int:
    cores = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
             else os.cpu_count() or 1)
    return max(1, min(cores, MAX_DEFAULT_WORKERS))


def _quiet_worker() -> None:
    """Ctrl-C is the parent's to handle; workers just stop when it ends the pool."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def decode_window(window: Window) -> Result:
    """Decode, filter, enrich and encode one window (runs in a worker process)."""
    from wcfevents.sources.evtx_rust import RustEvtxReader

    stats = Stats()
    errors: list[str] = []
    events = read_inputs(
        [Input(window.name, window.path)], window.filters, stats=stats,
        on_damage=lambda d: None, on_unreadable=lambda e: errors.append(str(e)),
        # One parser thread a worker: the workers already use every core.
        reader=RustEvtxReader(threads=1, strict=window.strict,
                              chunks=(window.start, window.end)),
    )
    output = window.encode(events)
    return Result(output, stats, list(stats.damage), errors)


def windows_of(source: Input, engine: str, input_format: str, workers: int,
               window_chunks: int) -> list[tuple[int, int]] | None:
    """The chunk windows to split an input into, or None when it is not worth it."""
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


def encoded(
    paths: Iterable[str],
    filters: Filters,
    encode: Encoder,
    *,
    engine: str = "auto",
    input_format: str = "auto",
    strict: bool = False,
    stats: Stats,
    on_damage: Callable[[Damage], None] | None = None,
    on_unreadable: Callable[[InputError], None] | None = None,
    workers: int | None = None,
    window_chunks: int = WINDOW_CHUNKS,
) -> Iterator[bytes]:
    """The encoded output of every input, in order, as `decode` writes it."""
    workers = workers or default_workers()
    sources = list(expand(paths))
    if len(sources) > 1:
        # Several inputs are merged in time order, one event of each in hand: decoded in this
        # process, so the output is the same whatever the number of workers.
        events = merged(sources, filters, engine=engine, input_format=input_format,
                        strict=strict, stats=stats, on_damage=on_damage,
                        on_unreadable=on_unreadable)
        while batch := list(islice(events, BATCH_EVENTS)):
            yield encode(batch)
        return
    for source in sources:
        windows = windows_of(source, engine, input_format, workers, window_chunks)
        etl = None if windows is not None else _etl_plan(source, input_format, workers)
        if windows is None and etl is None:
            events = read_inputs([source], filters, engine=engine, input_format=input_format,
                                 strict=strict, stats=stats, on_damage=on_damage,
                                 on_unreadable=on_unreadable)
            while batch := list(islice(events, BATCH_EVENTS)):
                yield encode(batch)
            continue
        stats.inputs += 1
        assert source.path is not None
        tasks: Iterator[Any] = (
            Window(source.path, source.name, start, end, filters, strict, encode)
            for start, end in windows or ()) if etl is None else _etl_tasks(
            source, etl, filters, encode, stats, on_damage)
        failed = False
        for result in _run(tasks, workers):
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


def decode_task(task: Any) -> Result:
    """A worker's task: an .evtx chunk window, or one with its own `run` (.etl time windows)."""
    return task.run() if hasattr(task, "run") else decode_window(task)


def _etl_plan(source: Input, input_format: str, workers: int) -> Any:
    from wcfevents.parallel_etl import plan

    return plan(source, input_format, workers)


def _etl_tasks(source: Input, planned: Any, *args: Any) -> Iterator[Any]:
    from wcfevents.parallel_etl import tasks

    return tasks(source, planned, *args)


def _run(tasks: Iterator[Any], workers: int) -> Iterator[Result]:
    """Results in task order, with at most two tasks a worker in flight."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    with context.Pool(workers, initializer=_quiet_worker) as pool:
        pending: deque = deque()
        for task in islice(tasks, workers * 2):
            pending.append(pool.apply_async(decode_task, (task,)))
        while pending:
            result = pending.popleft().get()
            for task in islice(tasks, 1):
                pending.append(pool.apply_async(decode_task, (task,)))
            yield result
