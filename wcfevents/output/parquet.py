"""Parquet datasets: the public JSON keys as typed columns, streamed in bounded row groups.

JSON Lines is the wrong shape for "which servers threw 4031 last night, per hour"; a Parquet
dataset is what DuckDB, pandas, polars and Spark read directly. Events become Arrow tables in
batches (in worker processes too: `encode` returns Arrow IPC bytes), and `DatasetWriter` appends
them to one file per partition directory, flushing a row group whenever a partition holds
`row_group_rows` rows, so memory stays bounded however long the input.

Every value of `decode --format json` is kept exactly (the README documents the schema):
timestamps are 100 ns exact (parsed from the 7-digit text with integers, never via float or
datetime); `data` and `extra` are the same JSON bytes JSON Lines writes. What a typed column
cannot hold — a time outside 1677-2262 (64-bit nanoseconds) or not a time at all, an integer
beyond 64 bits signed — is null there and kept in the `untyped` column.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from wcfevents.model import EVENT_KEYS, Event, format_mask

try:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
except ImportError:  # pragma: no cover - the extra is absent
    pa = None  # type: ignore[assignment]

MISSING = ("--format parquet needs pyarrow: pip install 'wcfevents[parquet]'")
PARTITIONS = ("date", "computer", "provider")
ROW_GROUP_ROWS = 32_768  # rows a partition buffers before writing a row group
MAX_OPEN_FILES = 64  # partitions written at once; the least recently used is closed beyond this
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # the hive name for a null key, known to readers

INT_KEYS = ("record_id", "event_id", "version", "level_value", "process_id", "thread_id")
TEXT_KEYS = ("provider", "provider_guid", "symbol", "level", "keywords_mask", "channel",
             "computer", "activity_id", "related_activity_id", "message", "source")
NUMBER_TEXT_KEYS = ("task", "opcode")  # the name, or the number as text when unnamed
JSON_KEYS = ("data", "extra")
_INT_MIN, _INT_MAX = -(1 << 63), (1 << 63) - 1
_DAY_NS = 86_400 * 1_000_000_000
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class ParquetUnavailable(RuntimeError):
    """pyarrow is not installed (the optional extra `wcfevents[parquet]`)."""


def require() -> None:
    if pa is None:
        raise ParquetUnavailable(MISSING)


def schema() -> Any:
    """The dataset's schema: EVENT_KEYS in order, then `untyped`."""
    require()
    types = {key: pa.int64() for key in INT_KEYS}
    types.update({key: pa.string() for key in (*TEXT_KEYS, *NUMBER_TEXT_KEYS, *JSON_KEYS)})
    types["timestamp"] = pa.timestamp("ns", tz="UTC")
    types["keywords"] = pa.list_(pa.string())
    return pa.schema([pa.field(key, types[key]) for key in EVENT_KEYS]
                     + [pa.field("untyped", pa.string())])


_day_cache: dict[str, int] = {}
_CANONICAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", re.ASCII)


def timestamp_ns(text: Any) -> int | None:
    """Nanoseconds since 1970 of a canonical `YYYY-MM-DDTHH:MM:SS.fffffffZ`, by integer arithmetic;
    None when it is not such a time or lies beyond what 64-bit nanoseconds hold."""
    if not isinstance(text, str) or not _CANONICAL.fullmatch(text):
        return None
    day = text[:10]
    days = _day_cache.get(day)
    if days is None:
        try:
            days = date(int(day[0:4]), int(day[5:7]), int(day[8:10])).toordinal() - _EPOCH_ORDINAL
        except ValueError:
            return None
        if len(_day_cache) < 4096:
            _day_cache[day] = days
    hours, minutes, seconds = int(text[11:13]), int(text[14:16]), int(text[17:19])
    if hours > 23 or minutes > 59 or seconds > 59:
        return None
    value = (days * _DAY_NS + (hours * 3600 + minutes * 60 + seconds) * 1_000_000_000
             + int(text[20:27]) * 100)
    return value if _INT_MIN <= value <= _INT_MAX else None


def to_table(events: Iterable[Event]) -> Any:
    """The events as one Arrow table of `schema()`, built column by column."""
    require()
    events = list(events)
    untyped: list[dict[str, Any] | None] = [None] * len(events)

    def keep(row: int, key: str, value: Any) -> None:
        untyped[row] = {**(untyped[row] or {}), key: value}

    target = schema()
    arrays: dict[str, Any] = {}
    for key in INT_KEYS:
        arrays[key] = _ints([getattr(e, key) for e in events], key, keep)
    arrays["timestamp"] = _timestamps([e.timestamp for e in events], keep)
    for key in NUMBER_TEXT_KEYS:
        arrays[key] = pa.array([_name_or_number(e, key) for e in events], pa.string())
    arrays["keywords"] = pa.array([e.keywords for e in events], target.field("keywords").type)
    masks: dict[int | None, str | None] = {}
    arrays["keywords_mask"] = pa.array(
        [masks[m] if m in masks else masks.setdefault(m, format_mask(m))
         for m in (e.keywords_mask for e in events)], pa.string())
    for key in TEXT_KEYS:
        if key not in arrays:
            arrays[key] = pa.array([getattr(e, key) for e in events], pa.string())
    dumps = orjson.dumps
    arrays["data"] = pa.array([dumps(e.data) for e in events], pa.string())
    arrays["extra"] = pa.array([dumps(e.extra) for e in events], pa.string())
    arrays["untyped"] = pa.array([None if u is None else dumps(u) for u in untyped], pa.string())
    return pa.Table.from_arrays([arrays[f.name] for f in target], schema=target)


def _name_or_number(event: Event, key: str) -> str | None:
    """The task or opcode as JSON gives it: the name, or the number as text."""
    name = getattr(event, key)
    if name is not None:
        return str(name)
    number = getattr(event, key + "_id")
    return None if number is None else str(number)


def _ints(values: list[Any], key: str, keep: Any) -> Any:
    """An int64 column; a value it cannot hold is null there and kept in `untyped`."""
    try:
        return pa.array(values, pa.int64())
    except (OverflowError, TypeError, pa.ArrowException):
        pass
    clean = []
    for row, value in enumerate(values):
        if value is not None and not (type(value) is int and _INT_MIN <= value <= _INT_MAX):
            keep(row, key, value)
            value = None
        clean.append(value)
    return pa.array(clean, pa.int64())


def _timestamps(values: list[Any], keep: Any) -> Any:
    """Exact nanoseconds from the canonical text (Arrow parses the digits as integers); a
    value that is not a canonical time or lies beyond 1677-2262 is null and kept in `untyped`."""
    kind = pa.timestamp("ns", tz="UTC")
    text = pa.array(values, pa.string())
    if pc.all(pc.match_substring_regex(text, "^" + _CANONICAL.pattern + "$")).as_py() is not False:
        try:
            return text.cast(kind)
        except pa.ArrowException:
            pass
    stamps = []
    for row, value in enumerate(values):
        nanoseconds = timestamp_ns(value)
        if nanoseconds is None and value is not None:
            keep(row, "timestamp", value)
        stamps.append(nanoseconds)
    return pa.array(stamps, pa.int64()).cast(kind)


def encode(events: Iterable[Event]) -> bytes:
    """Events as Arrow IPC bytes: built in a worker process, written in the parent."""
    table = to_table(events)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def decode_ipc(block: bytes) -> Any:
    require()
    return pa.ipc.open_stream(block).read_all()


def partition_keys(table: Any, by: str) -> Any:
    """Each row's partition value as text (null for none): UTC date, computer or provider."""
    if by == "date":
        return pc.strftime(table.column("timestamp"), format="%Y-%m-%d")
    return table.column(by)


def directory_name(by: str, value: str | None) -> str:
    """A hive-style directory `key=value`; the value percent-encoded where a path needs it."""
    if value is None or value == "":
        return f"{by}={NULL_PARTITION}"
    text = quote(value, safe=" -_.,()@+~!$&'")
    if text.startswith("."):
        text = "%2E" + text[1:]
    return f"{by}={text}"


class _File:
    """One open Parquet file of a partition and the tables waiting for its next row group."""

    def __init__(self, path: Path, row_group_rows: int) -> None:
        self.path = path
        self.temporary = path.with_name(path.name + ".tmp")
        self.writer = pq.ParquetWriter(self.temporary, schema(), compression="zstd")
        self.pending: list[Any] = []
        self.rows = 0
        self.row_group_rows = row_group_rows

    def add(self, table: Any) -> int:
        """Queue rows; write full row groups. Returns how many rows are still buffered."""
        self.pending.append(table)
        self.rows += table.num_rows
        if self.rows >= self.row_group_rows:
            self.flush()
        return self.rows

    def flush(self, final: bool = False) -> None:
        """Write whole row groups; the rest waits for more rows unless this is the end."""
        if not self.rows:
            return
        whole = pa.concat_tables(self.pending)
        size = self.row_group_rows
        full = whole.num_rows if final else whole.num_rows - whole.num_rows % size
        for start in range(0, full, size):
            self.writer.write_table(whole.slice(start, min(size, full - start)))
        rest = whole.slice(full)
        self.pending, self.rows = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> None:
        self.flush(final=True)
        self.writer.close()
        os.replace(self.temporary, self.path)  # a reader never sees a file without its footer


class DatasetWriter:
    """Appends Arrow tables to a Parquet dataset under `directory`, one file per partition.

    `prefix` names the files (`prefix-00000.parquet`, …) so that several writers (dask tasks)
    can fill one directory without colliding. Files appear complete or not at all (each is
    written under a .tmp name and renamed when closed).
    """

    def __init__(self, directory: str | Path, partition_by: str | None = None,
                 prefix: str = "part", row_group_rows: int = ROW_GROUP_ROWS) -> None:
        require()
        if partition_by is not None and partition_by not in PARTITIONS:
            raise ValueError(f"partition_by must be one of {', '.join(PARTITIONS)}")
        self.directory = Path(directory)
        self.partition_by = partition_by
        self.prefix = prefix
        self.row_group_rows = row_group_rows
        self.rows = 0
        self.files: list[Path] = []
        self._open: dict[str | None, _File] = {}  # insertion order = least recently used first
        self._sequence: dict[str | None, int] = {}

    def write(self, events: Iterable[Event], batch: int = 2000) -> int:
        """Write events (converted `batch` at a time); returns how many."""
        count = 0
        for table in _batches(events, batch):
            self.write_table(table)
            count += table.num_rows
        return count

    def write_table(self, table: Any) -> None:
        if table.num_rows == 0:
            return
        self.rows += table.num_rows
        if self.partition_by is None:
            self._file(None).add(table)
            return
        keys = partition_keys(table, self.partition_by)
        for value in pc.unique(keys).to_pylist():
            mask = pc.is_null(keys) if value is None else pc.fill_null(pc.equal(keys, value), False)
            self._file(value).add(table.filter(mask))

    def _file(self, value: str | None) -> _File:
        handle = self._open.pop(value, None)
        if handle is None:
            if len(self._open) >= MAX_OPEN_FILES:
                oldest = next(iter(self._open))
                self._open.pop(oldest).close()
            handle = self._new_file(value)
        self._open[value] = handle  # now the most recently used
        return handle

    def _new_file(self, value: str | None) -> _File:
        folder = self.directory
        if self.partition_by is not None:
            folder = folder / directory_name(self.partition_by, value)
        folder.mkdir(parents=True, exist_ok=True)
        sequence = self._sequence.get(value, 0)
        self._sequence[value] = sequence + 1
        path = folder / f"{self.prefix}-{sequence:05d}.parquet"
        self.files.append(path)
        return _File(path, self.row_group_rows)

    def close(self) -> None:
        while self._open:
            self._open.pop(next(iter(self._open))).close()

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _batches(events: Iterable[Event], size: int) -> Iterator[Any]:
    from itertools import islice

    iterator = iter(events)
    while chunk := list(islice(iterator, size)):
        yield to_table(chunk)


def prepare(directory: str | Path) -> None:
    """Create the dataset's directory; refuse one that holds anything (no mixing of runs)."""
    path = Path(directory)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{directory}: exists and is not a directory")
    if path.is_dir() and any(path.iterdir()):
        raise ValueError(f"{directory}: not empty; give a new or empty directory")
    path.mkdir(parents=True, exist_ok=True)


def finish(directory: str | Path) -> None:
    """A dataset with no matching record still has one file, so readers see the schema."""
    path = Path(directory)
    if not any(path.rglob("*.parquet")):
        pq.write_table(schema().empty_table(), path / "part-00000.parquet")
