"""Decode many traces on a Dask cluster: a partition per file or per chunk window of a large .evtx.

A farm's traces are too many for one machine's process tree. Each partition is decoded,
filtered and enriched where it runs (the filters travel with the task), so only matching records
cross the network. Damage never raises: a damaged part's loss is in the accounting that
`stats(frame)` computes alongside the data (and is logged by the worker that met it); an input
that cannot be read at all gives an empty partition and is counted as unreadable there.

Paths are opened by the workers: with a remote cluster they must name the same files on every
worker and on the client (a shared filesystem), as for any Dask reader.

    >>> import wcfevents.dask
    >>> frame = wcfevents.dask.read("traces/**/*.evtx", levels=["warning+"])
    >>> per_computer, stats = wcfevents.dask.compute(frame.groupby("computer").size())
    >>> stats.lost, [str(d) for d in stats.damage]
"""

from __future__ import annotations

import glob
import logging
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wcfevents.filters import Filters
from wcfevents.model import Event
from wcfevents.pipeline import Stats, expand, read_inputs
from wcfevents.sources import Damage, InputError
from wcfevents.sources.evtx_layout import CHUNK_SIZE

MISSING = "wcfevents.dask needs dask[dataframe] and distributed: pip install 'wcfevents[dask]'"
DEFAULT_BLOCKSIZE = 32 * 1024 * 1024  # a window of a large .evtx: 512 chunks
PREFIX = "wcfevents-decode"
log = logging.getLogger("wcfevents.dask")


class DaskUnavailable(RuntimeError):
    """dask or distributed is not installed (the optional extra `wcfevents[dask]`)."""


@dataclass(frozen=True)
class Part:
    """One partition: a whole input, or chunks start ≤ i < end of a large .evtx."""

    name: str
    path: str
    window: tuple[int, int] | None = None


@dataclass(frozen=True)
class Options:
    """What every partition needs to decode its part as `wcfevents decode` would."""

    filters: Filters = field(default_factory=Filters)
    engine: str = "auto"
    input_format: str = "auto"
    strict: bool = False


@dataclass
class Outcome:
    """One part's accounting: counts, damage (in `stats.damage`) and why it could not be read."""

    part: Part
    stats: Stats
    errors: list[str] = field(default_factory=list)
    reports: list[Any] = field(default_factory=list)  # the Damage and Notice warnings, in order


def paths_of(paths_or_glob: str | Iterable[str]) -> list[str]:
    """Files and directories as given; glob patterns (`**` included) as their sorted matches."""
    items = [paths_or_glob] if isinstance(paths_or_glob, (str, Path)) else list(paths_or_glob)
    found: list[str] = []
    for item in map(str, items):
        if item == "-":
            raise ValueError("standard input cannot be split across a cluster: give files")
        if glob.has_magic(item):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                raise FileNotFoundError(f"no files match {item}")
            found.extend(matches)
        else:
            found.append(item)
    return found


def plan(paths_or_glob: str | Iterable[str], options: Options,
         blocksize: int | str = DEFAULT_BLOCKSIZE) -> list[Part]:
    """The partitions: one per input, an .evtx of at least two blocks split into block windows."""
    from wcfevents.parallel import windows_of

    size = _bytes(blocksize)
    window_chunks = max(1, size // CHUNK_SIZE)
    parts: list[Part] = []
    for source in expand(paths_of(paths_or_glob)):
        windows = windows_of(source, options.engine, options.input_format, 2, window_chunks)
        if windows is None:
            parts.append(Part(source.name, str(source.path)))
        else:
            parts.extend(Part(source.name, str(source.path), w) for w in windows)
    return parts


def _bytes(blocksize: int | str) -> int:
    if isinstance(blocksize, int):
        return blocksize
    from dask.utils import parse_bytes

    return int(parse_bytes(blocksize))


def events_of(part: Part, options: Options, stats: Stats, errors: list[str],
              on_damage: Callable[[Any], None] | None = None) -> Iterator[Event]:
    """The part's matching events; damage goes to `stats`, a failure to read into `errors`."""
    from wcfevents.sources import Input

    reader = None
    if part.window is not None:
        from wcfevents.sources.evtx_rust import RustEvtxReader

        # One parser thread: the cluster already gives each core its own task.
        reader = RustEvtxReader(threads=1, strict=options.strict, chunks=part.window)
    yield from read_inputs(
        [Input(part.name, Path(part.path))], options.filters, engine=options.engine,
        input_format=options.input_format, strict=options.strict, stats=stats,
        on_damage=on_damage, on_unreadable=lambda e: errors.append(str(e)), reader=reader,
    )


def _logged(reports: list[Any]) -> Callable[[Any], None]:
    def report(item: Any) -> None:
        reports.append(item)
        log.warning("%s", item)

    return report


def frame_of(part: Part, options: Options) -> tuple[Any, Outcome]:
    """Decode one part into a pandas DataFrame of Arrow-typed columns (runs on a worker)."""
    import pandas as pd

    from wcfevents.output import parquet

    stats, errors, reports = Stats(), [], []
    table = parquet.to_table(events_of(part, options, stats, errors, _logged(reports)))
    return table.to_pandas(types_mapper=pd.ArrowDtype), Outcome(part, stats, errors, reports)


def write_part(part: Part, index: int, options: Options, directory: str,
               partition_by: str | None) -> Outcome:
    """Decode one part straight into Parquet files `part-<index>-*.parquet` (runs on a worker;
    the client reports the damage, in input order)."""
    from wcfevents.output.parquet import DatasetWriter

    stats, errors, reports = Stats(), [], []
    with DatasetWriter(directory, partition_by, prefix=f"part-{index:05d}") as writer:
        writer.write(events_of(part, options, stats, errors, reports.append))
    return Outcome(part, stats, errors, reports)


def merge(outcomes: Iterable[Outcome]) -> Stats:
    """One accounting for all parts, as one process would count it: each input once, damage in
    input order, an input unreadable when any of its parts was."""
    total = Stats()
    seen: dict[str, bool] = {}
    for outcome in outcomes:
        name = outcome.part.name
        if name not in seen:
            seen[name] = False
            total.inputs += 1
        if outcome.errors and not seen[name]:
            seen[name] = True
            total.unreadable += 1
        total.add_counts(outcome.stats)
        total.session_lost += outcome.stats.session_lost
        for damage in outcome.stats.damage:
            total.add_damage(damage)
    return total


def meta() -> Any:
    """The empty frame that describes every partition."""
    import pandas as pd

    from wcfevents.output import parquet

    return parquet.schema().empty_table().to_pandas(types_mapper=pd.ArrowDtype)


def _require() -> None:
    try:
        import dask.dataframe  # noqa: F401
    except ImportError:
        raise DaskUnavailable(MISSING) from None
    from wcfevents.output import parquet

    parquet.require()


def read(paths_or_glob: str | Iterable[str], *, blocksize: int | str = DEFAULT_BLOCKSIZE,
         engine: str = "auto", input_format: str = "auto", strict: bool = False,
         filters: Filters | None = None, **selection: Any) -> Any:
    """A dask DataFrame of the matching events, with the columns of `decode --format parquet`.

    One partition per input, and one per `blocksize` window of an .evtx of two blocks or more.
    `selection` takes the keyword arguments of `wcfevents.api.make_filters` (`levels=["error"]`,
    `ids=["4001-4035"]`, …) and is applied inside the partitions. `stats(frame)` gives the
    record accounting and the damage. Nothing is decoded until the frame is computed.
    """
    _require()
    import dask
    import dask.dataframe as dd
    from dask.base import tokenize

    from wcfevents.api import make_filters

    if filters is None:
        filters = make_filters(**selection)
    elif selection:
        raise TypeError("give either filters= or selection keywords, not both")
    options = Options(filters, engine, input_format, strict)
    parts = plan(paths_or_glob, options, blocksize)
    token = tokenize(parts, options)
    pieces = [dask.delayed(frame_of, pure=True)(part, options,
                                                dask_key_name=f"{PREFIX}-{token}-{i}")
              for i, part in enumerate(parts)]
    frames = [dask.delayed(operator.getitem, pure=True)(piece, 0) for piece in pieces]
    if not frames:
        return dd.from_pandas(meta(), npartitions=1)
    return dd.from_delayed(frames, meta=meta(), verify_meta=False)


def stats(collection: Any) -> Any:
    """A dask Delayed of the `Stats` (counts, `damage`, `unreadable`) of the decoding behind
    `collection` (a frame from `read` or anything derived from it). Compute it together with the
    data — `dask.compute(result, stats(frame))` — so each part is decoded once."""
    import dask
    from dask.delayed import Delayed

    graph = collection.__dask_graph__()
    keys = sorted((key for key in graph if isinstance(key, str) and key.startswith(PREFIX)),
                  key=lambda k: int(k.rsplit("-", 1)[1]))
    outcomes = [dask.delayed(operator.getitem, pure=True)(Delayed(key, graph), 1) for key in keys]
    return dask.delayed(merge, pure=True)(outcomes)


def compute(collection: Any, **kwargs: Any) -> tuple[Any, Stats]:
    """`(result, stats)`: the collection computed together with its accounting, in one pass
    (dask warns that such a mix of expression and delayed graphs is materialized; that is
    what is wanted here, so the warning is silenced)."""
    import warnings

    import dask

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Computing mixed collections", UserWarning)
        return dask.compute(collection, stats(collection), **kwargs)  # type: ignore[return-value]


def write_parquet(paths: Iterable[str], directory: str, *, scheduler: str,
                  partition_by: str | None = None, options: Options | None = None,
                  blocksize: int | str = DEFAULT_BLOCKSIZE, stats: Stats,
                  on_damage: Callable[[Damage], None] | None = None,
                  on_unreadable: Callable[[InputError], None] | None = None) -> None:
    """`decode --scheduler ADDRESS --format parquet -o DIR`: every part written by the cluster
    into DIR; the accounting and damage reported here in input order, as one process would."""
    _require()
    from distributed import Client, LocalCluster

    options = options or Options()
    parts = plan(list(paths), options, blocksize)
    cluster = None
    if scheduler == "local":
        from wcfevents.parallel import default_workers

        cluster = LocalCluster(n_workers=default_workers(), threads_per_worker=1,
                               processes=True, dashboard_address=None)
        scheduler = cluster.scheduler_address
    try:
        with Client(scheduler) as client:
            futures = client.map(write_part, parts, range(len(parts)),
                                 [options] * len(parts), [directory] * len(parts),
                                 [partition_by] * len(parts), pure=False)
            outcomes: list[Outcome] = []
            failed: set[str] = set()
            for part, future in zip(parts, futures, strict=True):
                try:
                    outcome = future.result()
                except Exception as exc:  # a worker died or the task failed: the part is lost
                    outcome = Outcome(part, Stats(), [f"{part.name}: {type(exc).__name__}: {exc}"])
                outcomes.append(outcome)
                for item in outcome.reports:
                    if on_damage:
                        on_damage(item)
                if outcome.errors and part.name not in failed:
                    failed.add(part.name)  # one line per unreadable input, as in one process
                    if on_unreadable:
                        on_unreadable(InputError(outcome.errors[0]))
    finally:
        if cluster is not None:
            cluster.close()
    total = merge(outcomes)
    for key in ("inputs", "unreadable", "read", "matched", "filtered", "lost", "damaged",
                "unknown_loss", "skipped", "session_lost"):
        setattr(stats, key, getattr(stats, key) + getattr(total, key))
    stats.damage.extend(total.damage)

