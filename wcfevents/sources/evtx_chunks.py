"""What both .evtx engines do alike: which chunks are read, which records each holds, what each
damaged chunk lost, and which records are unverified.

Both engines walk every chunk on disk with the same record walker, so they agree on the set of
records (by the file's own record numbers, which forwarded events do not share with their
EventRecordID) before either renders one. A record is emitted at most once: each walked record
is rendered by the engine, or by the other engine's parser when the first cannot, or counted
lost. Records of a chunk whose checksum fails or that is cut short are emitted marked with
`extra.integrity`, or dropped (and counted lost) under --strict.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from wcfevents.model import Event, filetime_to_iso
from wcfevents.sources import Damage, plural
from wcfevents.sources.evtx_layout import (
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    ChunkInfo,
    FileHeader,
    Gap,
    RecordSlot,
    chunks_on_disk,
    missing_tail,
    read_file_header,
    records_in,
    scan_chunks,
    walk_records,
)

INTEGRITY = "integrity"  # extra key: why a record's chunk cannot vouch for it
FILE_RECORD_NUMBER = "file_record_number"  # extra key: the file's number, when not EventRecordID


@dataclass(slots=True)
class FilePlan:
    """A file's header and its chunks (one more on each side of a window, for loss counts)."""

    header: FileHeader
    size: int
    total: int  # chunks on disk
    start: int
    end: int
    context: list[ChunkInfo]

    @property
    def chunks(self) -> list[ChunkInfo]:
        return [c for c in self.context if self.start <= c.index < self.end and not c.empty]

    def tail_damage(self, name: str) -> Damage | None:
        """Records the header counts beyond the last chunk on disk (the window ending the file)."""
        if self.end < self.total:
            return None
        lost = missing_tail(self.header, [c for c in self.context if c.index >= self.start])
        if not lost:
            return None
        return Damage(name, self.size, f"the file ends before {plural(lost)} its header "
                      "counts (cut short?)", lost)


def plan_file(fh: BinaryIO, window: tuple[int, int] | None = None) -> FilePlan | None:
    """The plan of an .evtx file (or of chunks start ≤ i < end); None when not an .evtx file."""
    header = read_file_header(fh)
    if header is None:
        return None
    size = fh.seek(0, 2)
    total = chunks_on_disk(size)
    start, end = window or (0, total)
    context = list(scan_chunks(fh, start=max(0, start - 1), end=end + 1))
    return FilePlan(header, size, total, start, end, context)


@dataclass(slots=True)
class ChunkWork:
    """One chunk being decoded: its records, and what went wrong in it."""

    info: ChunkInfo
    data: bytes
    slots: list[RecordSlot]
    gaps: list[Gap]
    integrity: str | None  # records are emitted, marked with this reason
    dropped: str | None = None  # the whole chunk is not read, for this reason
    dropped_lost: int | None = 0
    decoded: int = 0
    failed: list[int] = field(default_factory=list)  # offsets of records neither could render

    def damage(self, name: str) -> Damage | None:
        """One line for the chunk, or None when it is intact and every record decoded."""
        info = self.info
        if self.dropped is not None:
            detail = f"chunk {info.index}: {self.dropped}"
            if self.dropped_lost is None:
                detail += " (record count unknown)"
            return Damage(name, info.offset, detail, self.dropped_lost)
        parts = [self.integrity] if self.integrity else []
        damaged = [gap for gap in self.gaps if gap.lost != 0] if self.integrity else self.gaps
        if damaged:
            parts.append(f"damaged bytes skipped in {plural(len(damaged), 'place')}")
        if self.failed:
            parts.append(f"{plural(len(self.failed))} could not be decoded")
        if not parts:
            return None
        lost: int | None = len(self.failed)
        for gap in self.gaps:
            lost = None if lost is None or gap.lost is None else lost + gap.lost
        detail = f"chunk {info.index}: {'; '.join(parts)}; {plural(self.decoded)} decoded"
        if self.integrity and self.decoded:
            detail += f" (marked extra.{INTEGRITY})"
        if lost is None:
            detail += " (record count unknown)"
        where = info.offset
        if not self.integrity:
            where += min([g.offset for g in damaged] + self.failed)
        return Damage(name, where, detail, lost)


def chunk_works(fh: BinaryIO, plan: FilePlan, strict: bool) -> Iterator[ChunkWork]:
    """Every chunk of the plan with its walked records, in file order."""
    for info in plan.chunks:
        if not info.magic_ok:
            yield ChunkWork(info, b"", [], [], None, "bad chunk signature; skipped",
                            records_in(info, plan.context))
            continue
        reason = integrity(info)
        if strict and reason is not None:
            yield ChunkWork(info, b"", [], [], reason,
                            f"{reason}; its records dropped (--strict)",
                            records_in(info, plan.context))
            continue
        fh.seek(info.offset)
        data = fh.read(CHUNK_SIZE)
        slots: list[RecordSlot] = []
        gaps: list[Gap] = []
        for item in walk_records(data, info):
            if type(item) is RecordSlot:
                slots.append(item)
            else:
                gaps.append(item)  # type: ignore[arg-type]
        yield ChunkWork(info, data, slots, gaps, reason)


def integrity(info: ChunkInfo) -> str | None:
    """Why a readable chunk cannot vouch for its records, or None when it can."""
    if info.cut:
        return "chunk cut short"
    if not info.header_crc_ok:
        return "chunk header checksum mismatch"
    if not info.data_crc_ok:
        return "chunk records checksum mismatch"
    return None


def finish(event: Event, work: ChunkWork, slot: RecordSlot) -> Event:
    """What the walk knows of a rendered record: its file number, its chunk's integrity."""
    if event.record_id is None:
        event.record_id = slot.record_id
    elif event.record_id != slot.record_id:
        event.extra[FILE_RECORD_NUMBER] = slot.record_id
    if work.integrity is not None:
        event.extra[INTEGRITY] = work.integrity
    work.decoded += 1
    return event


def record_time(created: str | None, ticks: int) -> str | None:
    """TimeCreated at 100 ns: the record header's FILETIME when TimeCreated names the same
    microsecond (Windows writes both from one FILETIME), else TimeCreated as it is."""
    written = filetime_to_iso(ticks)
    if created is None:
        return written
    if written is not None and created[:26] == written[:26]:
        return written
    return created


# -- FILETIME values from a record's substitution array -------------------------------------

_TEMPLATE_INSTANCE = struct.Struct("<BBII")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")
NULL_TYPE = 0x00
STRING_TYPE = 0x01
FILETIME_TYPE = 0x11
BINXML_TYPE = 0x21


def substitution_facts(chunk: bytes, slot: RecordSlot
                       ) -> tuple[list[int], list[bool], list[bool] | None]:
    """What the Rust parser's JSON hides about a record's values, from its substitution array
    (nested BinXml values included): every FILETIME exact to the tick; for every empty value,
    in order, whether it is NULL (absent) rather than an empty string; and the same for the
    nested BinXml values alone (where Windows puts EventData and UserData; None when the record
    has none). All are empty when the layout is not the usual template instance."""
    times: list[int] = []
    empties: list[bool] = []
    nested: list[list[bool]] = []
    _walk_values(chunk, slot.offset + 24, slot.offset + slot.size - 4, times, empties, nested, 0)
    return times, empties, ([v for level in nested for v in level] if nested else None)


def _walk_values(chunk: bytes, pos: int, end: int, times: list[int], empties: list[bool],
                 nested: list[list[bool]], depth: int) -> None:
    if chunk[pos:pos + 1] == b"\x0f":
        pos += 4  # fragment header
    if depth > 4 or pos + 10 > end or chunk[pos] != 0x0C:
        return
    _token, _unknown, _template_id, definition = _TEMPLATE_INSTANCE.unpack_from(chunk, pos)
    pos += 10
    if definition == pos:  # the template is defined here, inline: skip it
        if pos + 24 > end:
            return
        pos += 24 + _U32.unpack_from(chunk, pos + 20)[0]
    if pos + 4 > end:
        return
    count = _U32.unpack_from(chunk, pos)[0]
    offset = pos + 4 + 4 * count
    if count > 4096 or offset > end:
        return
    mine: list[bool] = []
    if depth:
        nested.append(mine)
    for i in range(count):
        at = pos + 4 + 4 * i
        size = chunk[at] | chunk[at + 1] << 8
        kind = chunk[at + 2]
        if offset + size > end:
            return
        if kind == FILETIME_TYPE and size == 8:
            times.append(_U64.unpack_from(chunk, offset)[0])
        elif kind == BINXML_TYPE:
            _walk_values(chunk, offset, offset + size, times, empties, nested, depth + 1)
        elif kind == NULL_TYPE:
            empties.append(True)
            mine.append(True)
        elif kind == STRING_TYPE and not chunk[offset:offset + size].strip(b"\0"):
            empties.append(False)  # an empty string (or only its terminating NUL)
            mine.append(False)
        offset += size


def exact_times(doc_times: list[str], ticks: list[int]) -> dict[str, str]:
    """Microsecond texts (as a parser printed them) → the exact 100 ns text of the same value."""
    exact: dict[str, str] = {}
    for value in ticks:
        text = filetime_to_iso(value)
        if text is not None:
            exact.setdefault(text[:26], text)
    return {t: exact[t[:26]] for t in doc_times if t[:26] in exact}


def window_bytes(fh: BinaryIO, info: ChunkInfo) -> bytes:
    """The file header and one chunk: a one-chunk .evtx file for a second parser."""
    fh.seek(0)
    head = fh.read(FILE_HEADER_SIZE)
    fh.seek(info.offset)
    chunk = fh.read(CHUNK_SIZE)
    return head + chunk + bytes(CHUNK_SIZE - len(chunk))


def padded(data: bytes) -> bytes:
    """A chunk cut short, padded to full size (parsers index into the whole 64 KiB)."""
    return data if len(data) >= CHUNK_SIZE else data + bytes(CHUNK_SIZE - len(data))

