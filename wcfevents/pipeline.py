"""The decode pipeline: inputs → reader → raw filters → enrichment → enriched filters → caller.

Everything is a generator: one record is in flight at a time, so memory does not grow with the
input. Stats account for every record read: matched + filtered out, and the damage reports say
what could not be read at all.
"""

from __future__ import annotations

import heapq
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wcfevents.catalog import Catalog
from wcfevents.catalog import load as load_catalog
from wcfevents.enrich import enrich
from wcfevents.filters import Filters
from wcfevents.model import Event
from wcfevents.sources import EVTX_MAGIC, Damage, Input, InputError, Notice, Reader

ENGINES = ("auto", "rust", "python")
INPUT_FORMATS = ("auto", "evtx", "xml", "tracerpt", "wevtutil", "toxml", "svclog", "etl")
BINARY_FORMATS = ("evtx", "etl")  # read from a file: stdin is spooled first
TRACE_SUFFIXES = (".evtx", ".xml", ".svclog", ".e2e", ".etl")
# XmlWriterTraceListener output: <E2ETraceEvent> fragments with no root (a declaration or a
# comment before them is allowed, for files someone edited).
_SVCLOG_HEAD = re.compile(
    rb"\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:[A-Za-z_][\w.\-]{0,63}:)?E2ETraceEvent[\s>]",
    re.S)


@dataclass
class Stats:
    """What happened to every record: read = matched + filtered; lost were never readable."""

    inputs: int = 0
    unreadable: int = 0  # inputs that could not be read at all
    read: int = 0
    matched: int = 0
    filtered: int = 0
    lost: int = 0  # records known to be lost in damaged parts
    damaged: int = 0  # damaged parts (chunks, records, truncated ends)
    unknown_loss: int = 0  # damaged parts whose record count cannot be told
    skipped: int = 0  # records of kinds the reader does not decode (not events, not lost)
    session_lost: int = 0  # events the writer says it lost before writing (not in the file)
    damage: list[Damage] = field(default_factory=list)

    def add_damage(self, damage: Damage) -> None:
        self.damaged += 1
        if damage.lost is None:
            self.unknown_loss += 1
        else:
            self.lost += damage.lost
        self.damage.append(damage)

    def add_notice(self, notice: Notice) -> None:
        self.skipped += notice.skipped
        self.session_lost += notice.session_lost

    def add_counts(self, other: Stats) -> None:
        """Counts of a part of one input decoded elsewhere (its damage is reported separately)."""
        self.read += other.read
        self.matched += other.matched
        self.filtered += other.filtered
        self.skipped += other.skipped

    @property
    def complete(self) -> bool:
        """Nothing lost and every input read (a warning alone, e.g. a checksum that fails on a
        chunk whose records all decoded, leaves the accounting complete)."""
        return self.unreadable == 0 and self.lost == 0 and self.unknown_loss == 0

    def to_dict(self) -> dict[str, int]:
        return {"inputs": self.inputs, "unreadable": self.unreadable, "read": self.read,
                "matched": self.matched, "filtered": self.filtered, "lost": self.lost,
                "damaged_parts": self.damaged, "skipped": self.skipped,
                "session_lost": self.session_lost}


def reporter(stats: Stats, on_damage: Callable[[Damage | Notice], None] | None
             ) -> Callable[[Damage | Notice], None]:
    """What a reader's reports do: damage counts and warns; a notice counts, and warns when it
    tells of events the writer lost (true, but no damage: it changes no exit code)."""

    def report(item: Damage | Notice) -> None:
        if isinstance(item, Notice):
            stats.add_notice(item)
            if (item.session_lost or not item.skipped) and on_damage:
                on_damage(item)
            return
        stats.add_damage(item)
        if on_damage:
            on_damage(item)

    return report


def expand(paths: Iterable[str]) -> Iterator[Input]:
    """Files as given; directories as their trace files (.evtx .xml .svclog .e2e .etl,
    sorted); `-` as stdin."""
    for text in paths:
        if text == "-":
            yield Input("<stdin>", None, sys.stdin.buffer)
            continue
        path = Path(text)
        if _is_pipe(path):
            # A FIFO can be read once only: treat it as a stream, like stdin.
            yield Input(text, None, path.open("rb"))
            continue
        if path.is_dir():
            found = sorted(p for p in path.rglob("*")
                           if p.suffix.lower() in TRACE_SUFFIXES and p.is_file())
            if not found:
                yield Input(text, path)  # reported as unreadable: a directory with no traces
            for item in found:
                yield Input(str(item), item)
        else:
            yield Input(text, path)


def _is_pipe(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def detect(source: Input) -> str:
    """`evtx`, `etl`, `svclog` or `xml`, from the content, never the file name; InputError
    otherwise."""
    if source.path is not None:
        try:
            mode = source.path.stat().st_mode
        except OSError as exc:
            raise InputError(f"{source.name}: {exc.strerror or exc}") from None
        if stat.S_ISDIR(mode):
            raise InputError(f"{source.name}: a directory with no trace files "
                             f"({' '.join(TRACE_SUFFIXES)})")
        if not os.access(source.path, os.R_OK):
            raise InputError(f"{source.name}: permission denied")
    head = source.head()
    if head.startswith(EVTX_MAGIC):
        return "evtx"
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if _SVCLOG_HEAD.match(stripped):
        return "svclog"
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        from wcfevents.sources.svclog import utf8_head

        if _SVCLOG_HEAD.match(utf8_head(head).lstrip()):
            return "svclog"  # re-saved as UTF-16
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or stripped.startswith(b"<"):
        return "xml"
    if not head:
        raise InputError(f"{source.name}: empty file")
    from wcfevents.sources.etl import sniff

    if sniff(head):
        return "etl"
    raise InputError(f"{source.name}: neither an .evtx or .etl file, an .svclog nor an XML "
                     "event export")


def make_reader(fmt: str, engine: str = "auto", input_format: str = "auto",
                strict: bool = False) -> Reader:
    """The reader for a detected format and the user's engine choice."""
    if fmt == "etl":
        from wcfevents.sources.etl import EtlReader

        return EtlReader()
    if fmt == "evtx":
        if engine == "python":
            from wcfevents.sources.evtx_python import PythonEvtxReader

            return PythonEvtxReader(strict=strict)
        from wcfevents.sources.evtx_rust import RustEvtxReader

        return RustEvtxReader(strict=strict)
    if fmt == "svclog":
        from wcfevents.sources.svclog import SvclogReader

        return SvclogReader()
    from wcfevents.sources.etw_xml import XmlReader

    return XmlReader(None if input_format in ("auto", "xml", "evtx") else input_format)


def spooled(source: Input) -> Input:
    """stdin as a temporary file, for the .evtx engines that need to seek."""
    assert source.stream is not None
    with tempfile.NamedTemporaryFile(prefix="wcfevents-", suffix=".evtx", delete=False) as handle:
        shutil.copyfileobj(source.stream, handle, 1 << 20)
    return Input(source.name, Path(handle.name))


def read(paths: Iterable[str], filters: Filters | None = None, **options: Any) -> Iterator[Event]:
    """Enriched events of every input that match the filters; several inputs merged in time
    order (the options are those of `read_inputs`)."""
    sources = list(expand(paths))
    if len(sources) < 2:
        return read_inputs(sources, filters, **options)
    return merged(sources, filters, **options)


def merged(sources: list[Input], filters: Filters | None = None,
           **options: Any) -> Iterator[Event]:
    """Several inputs in time order, holding one event per input: a service's log beside its
    client's, a trace log beside its message log. Ties keep input order, then file order; an
    input whose own records go back in time keeps its order (it is merged, not sorted)."""
    stats = options.pop("stats", None)
    stats = stats if stats is not None else Stats()
    catalog = options.pop("catalog", None) or load_catalog()

    def keyed(index: int, source: Input) -> Iterator[tuple[str, int, int, Event]]:
        events = read_inputs([source], filters, stats=stats, catalog=catalog, **options)
        for position, event in enumerate(events):
            yield event.timestamp or "", index, position, event

    streams = [keyed(index, source) for index, source in enumerate(sources)]
    for _, _, _, event in heapq.merge(*streams):
        yield event


def read_inputs(
    sources: Iterable[Input],
    filters: Filters | None = None,
    *,
    engine: str = "auto",
    input_format: str = "auto",
    strict: bool = False,
    stats: Stats | None = None,
    on_damage: Callable[[Damage | Notice], None] | None = None,
    on_unreadable: Callable[[InputError], None] | None = None,
    catalog: Catalog | None = None,
    reader: Reader | None = None,
    payload: bool | Callable[[Event], bool] = True,
) -> Iterator[Event]:
    """`read` over inputs already expanded; `reader` overrides the one detection would pick.

    `payload=False` is for callers that never look at data or message (see enrich), or a test
    of the (header-enriched) event that says which records they do look at; filters that do
    (`--grep`) still get them all."""
    catalog = catalog or load_catalog()
    stats = stats if stats is not None else Stats()
    filters = filters or Filters()
    raw_check, enriched_check = filters.build(catalog)
    quick = filters.quick()
    if filters.grep:
        payload = True
    wants = None if isinstance(payload, bool) else payload

    report = reporter(stats, on_damage)

    for source in sources:
        stats.inputs += 1
        temporary: Path | None = None
        try:
            if reader is None:
                fmt = detect(source) if input_format == "auto" else (
                    input_format if input_format in (*BINARY_FORMATS, "svclog") else "xml")
                if fmt in BINARY_FORMATS and source.path is None:
                    source = spooled(source)
                    temporary = source.path
                chosen = make_reader(fmt, engine, input_format, strict)
            else:
                chosen = reader
            for event in chosen.events(source, report, quick):
                if type(event) is int:  # that many records the reader's quick check rejected
                    stats.read += event
                    stats.filtered += event
                    continue
                stats.read += 1
                if event is None or (raw_check is not None and not raw_check(event)):
                    stats.filtered += 1
                    continue
                if wants is None:
                    enrich(event, catalog, payload is True)
                else:
                    enrich(event, catalog, False)
                    if event.symbol is not None and wants(event):
                        enrich(event, catalog)  # the header again, then the payload
                if enriched_check is not None and not enriched_check(event):
                    stats.filtered += 1
                    continue
                stats.matched += 1
                yield event
        except Exception as exc:  # whatever a parser raises on hostile bytes: never a traceback
            error = exc if isinstance(exc, InputError) else InputError(
                f"{source.name}: {type(exc).__name__}: {exc}")
            stats.unreadable += 1
            if on_unreadable is None:
                raise error from None
            on_unreadable(error)
        finally:
            if temporary is not None:
                temporary.unlink(missing_ok=True)
