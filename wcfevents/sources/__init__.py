"""Readers: one per input format, each turning bytes into the same Event records.

A reader knows bytes and the Event record only. It reports damage through a callback instead of
printing, so the caller decides how to warn, and it never stops at the first bad chunk or event:
what can still be read is read.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from wcfevents.model import Event

EVTX_MAGIC = b"ElfFile\x00"
SNIFF_BYTES = 4096


class InputError(Exception):
    """The input cannot be read at all (missing, unreadable, not a trace)."""


@dataclass(frozen=True, slots=True)
class Damage:
    """A part of the input that could not be decoded; decoding went on after it."""

    source: str
    offset: int | None
    detail: str
    lost: int | None = None  # records known to be lost there; None when it cannot be told

    def __str__(self) -> str:
        where = f" at offset {self.offset}" if self.offset is not None else ""
        lost = f" ({plural(self.lost)} lost)" if self.lost else ""
        return f"{self.source}{where}: {self.detail}{lost}"


def plural(count: int, noun: str = "record") -> str:
    """'1 record', '2 records'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something true about an input that is not damage: records read past on purpose
    (`skipped`: kinds the reader does not turn into events, e.g. kernel records in an .etl
    file) and events the writer says it never wrote (`session_lost`: an ETW session's own
    EventsLost count). Neither is a record lost from the file."""

    source: str
    detail: str
    skipped: int = 0
    session_lost: int = 0

    def __str__(self) -> str:
        return f"{self.source}: {self.detail}"


DamageReport = Callable[[Damage | Notice], None]
# A cheap test on (event ID, level) that a reader may apply before decoding a record fully.
QuickCheck = Callable[[int | None, int | None], bool]


@dataclass(slots=True)
class Input:
    """One input: a display name, and a real path when there is one (stdin has none)."""

    name: str
    path: Path | None = None
    stream: BinaryIO | None = None

    def open(self) -> BinaryIO:
        if self.stream is not None:
            return self.stream
        assert self.path is not None
        try:
            return self.path.open("rb")
        except OSError as exc:
            raise InputError(f"{self.name}: {exc.strerror or exc}") from None

    def head(self, size: int = SNIFF_BYTES) -> bytes:
        """The first bytes, without consuming a stream (stdin is buffered for this)."""
        if self.stream is not None:
            if not isinstance(self.stream, io.BufferedReader):
                self.stream = io.BufferedReader(self.stream, buffer_size=max(size, 65536))
            return self.stream.peek(size)[:size]
        with self.open() as fh:
            return fh.read(size)


class Reader(Protocol):
    """The one interface every format implements."""

    name: str

    def events(self, source: Input, report: DamageReport,
               quick: QuickCheck | None = None) -> Iterator[Event | int | None]:
        """Yield every record that can be decoded; call `report` for each damaged part.

        A reader that can tell a record's event ID and level cheaply may apply `quick` first and
        yield None for a record it rejects, so that the record is still counted as read, or an
        int n for n such records at once (cheaper where most records are rejected).
        """
        ...
