"""The fast .evtx engine: the Rust `evtx` parser, its JSON records mapped to Event.

The parser runs with skip_errors so one bad chunk does not end the file, and without its own
checksum validation so records in a chunk whose checksum fails are still decoded (the real samples
hold such chunks with readable records). Our own chunk scan reports those chunks and counts what the
parser could not read, so nothing is lost without a word.
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_right
from collections.abc import Iterator
from typing import Any

import orjson

from wcfevents.model import Event, canonical_activity, canonical_guid, empty_to_none, parse_int
from wcfevents.sources import Damage, DamageReport, Input, InputError, QuickCheck
from wcfevents.sources.chunk_range import open_window
from wcfevents.sources.evtx_layout import (
    ChunkInfo,
    chunks_on_disk,
    missing_tail,
    read_file_header,
    record_time,
    records_in,
    scan_chunks,
)

_CHUNK_NUMBER = re.compile(r"chunk number (\d+)")


class RustEvtxReader:
    """Reads .evtx files with the `evtx` package (PyPI `evtx`, Rust)."""

    name = "rust"

    def __init__(self, threads: int = 0, strict: bool = False,
                 chunks: tuple[int, int] | None = None) -> None:
        self.threads = threads
        self.strict = strict  # drop chunks whose checksum fails instead of decoding them
        self.window = chunks  # read only chunks start ≤ i < end (a part of a large file)

    def events(self, source: Input, report: DamageReport,
               quick: QuickCheck | None = None) -> Iterator[Event | None]:
        import evtx

        if source.path is None:
            raise InputError(f"{source.name}: the rust engine needs a file")
        with source.open() as fh:
            header = read_file_header(fh)
            if header is None:
                raise InputError(f"{source.name}: not an .evtx file (no ElfFile signature)")
            size = fh.seek(0, 2)
            total = chunks_on_disk(size)
            start, end = self.window or (0, total)
            # One chunk more on each side: a damaged chunk's loss is told by its neighbours.
            context = list(scan_chunks(fh, start=max(0, start - 1), end=end + 1))
            chunks = [c for c in context if start <= c.index < end]
        tally = ChunkTally(chunks, first_chunk=start, context=context)
        target: Any = str(source.path)
        if self.window is not None:
            target = open_window(source.path, start, end)
        parser = evtx.PyEvtxParser(
            target, number_of_threads=self.threads,
            validate_checksums=self.strict, skip_errors=True,
        )
        name = source.name
        current: int | None = None  # the chunk the parser is in, by position in the tally
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            for raw in parser.records_json():
                if quick is not None and not quick(*quick_fields(raw["data"])):
                    event = None
                    position = tally.seen(raw.get("event_record_id"))
                else:
                    event = event_from_json(raw, name)
                    position = tally.seen(event.record_id)
                if position != current:
                    if current is not None:
                        yield from self._salvage(source, tally, [tally.chunks[current]], report)
                    current = position
                yield event
                if caught:
                    tally.parser_errors.extend(str(w.message) for w in caught)
                    caught.clear()
            tally.parser_errors.extend(str(w.message) for w in caught)
        yield from self._salvage(source, tally, tally.chunks, report)
        for damage in tally.damage(name):
            report(damage)
        if self.window is not None:
            target.close()
        lost = missing_tail(header, chunks) if end >= total else 0
        if lost:
            report(Damage(name, size, f"the file ends before {lost} more records its header "
                          "counts (cut short?)", lost))

    def _salvage(self, source: Input, tally: ChunkTally, chunks: list[ChunkInfo],
                 report: DamageReport) -> Iterator[Event]:
        """Records the parser gave up on inside a readable chunk, found by resynchronising.

        The Rust parser abandons the rest of a chunk at the first record it cannot parse; the
        record walker resumes after the damage, and python-evtx decodes what follows. Called as
        the parser leaves each chunk, so recovered records keep their place in the file.
        """
        from wcfevents.sources.evtx_python import PythonEvtxReader

        try:
            import Evtx.Evtx  # noqa: F401
        except ImportError:
            return  # no python-evtx (Windows): no salvage, the loss is reported as it is
        for chunk in chunks:
            if not tally.is_short(chunk, self.strict):
                continue
            tally.salvaged.add(chunk.index)
            skip = tally.ids_in(chunk)
            for event in PythonEvtxReader().salvage(source, chunk, skip, report):
                tally.seen(event.record_id)
                yield event


class ChunkTally:
    """Which records each chunk gave, to say how many each damaged chunk lost."""

    def __init__(self, chunks: list[ChunkInfo], first_chunk: int = 0,
                 context: list[ChunkInfo] | None = None) -> None:
        self.first_chunk = first_chunk  # the parser numbers chunks from the window's start
        self.context = context or chunks
        self.chunks = sorted(
            (c for c in chunks if c.expected_records), key=lambda c: c.first_record_id
        )
        self.starts = [c.first_record_id for c in self.chunks]
        self.seen_masks = [0] * len(self.chunks)  # bit i: record first_record_id + i was read
        self.all_chunks = chunks
        self.parser_errors: list[str] = []
        self.salvaged: set[int] = set()
        self.positions = {known.index: position for position, known in enumerate(self.chunks)}

    def _position(self, chunk: ChunkInfo) -> int | None:
        return self.positions.get(chunk.index)

    def seen(self, record_id: int | None) -> int | None:
        """Count a record; returns the position of its chunk (None when no chunk claims it)."""
        if record_id is None:
            return None
        position = bisect_right(self.starts, record_id) - 1
        if position >= 0 and record_id <= self.chunks[position].last_record_id:
            self.seen_masks[position] |= 1 << (record_id - self.starts[position])
            return position
        return None

    def read_in(self, chunk: ChunkInfo) -> int:
        position = self._position(chunk)
        return 0 if position is None else self.seen_masks[position].bit_count()

    def ids_in(self, chunk: ChunkInfo) -> set[int]:
        position = self._position(chunk)
        if position is None:
            return set()
        mask, first = self.seen_masks[position], self.starts[position]
        return {first + bit for bit in range(mask.bit_length()) if mask >> bit & 1}

    def is_short(self, chunk: ChunkInfo, strict: bool) -> bool:
        """A readable chunk, not yet salvaged, that gave fewer records than its header says."""
        if chunk.empty or not chunk.magic_ok or chunk.expected_records is None:
            return False
        if chunk.index in self.salvaged or (strict and not chunk.intact):
            return False
        return self.read_in(chunk) < chunk.expected_records

    def damage(self, name: str) -> Iterator[Damage]:
        """One report per damaged chunk, then any parser error our scan does not explain."""
        explained = {chunk.index for chunk in self.all_chunks if chunk.empty} | self.salvaged
        for chunk in self.all_chunks:
            problem = None if chunk.empty else chunk.problem()
            if problem is None:
                continue
            explained.add(chunk.index)
            read = self.read_in(chunk)
            if chunk.index in self.salvaged:
                lost: int | None = 0  # the salvage reported each damaged stretch itself
            else:
                expected = records_in(chunk, self.context)
                lost = None if expected is None else max(0, expected - read)
            if read:
                detail = f"chunk {chunk.index}: {problem}; {read} records decoded from it"
            else:
                detail = f"chunk {chunk.index}: {problem}; skipped"
            if lost is None:
                detail += " (record count unknown)"
            yield Damage(name, chunk.offset, detail, lost)
        for message in self.parser_errors:
            match = _CHUNK_NUMBER.search(message)
            number = int(match.group(1)) + self.first_chunk if match else None
            if number is not None and number in explained:
                continue
            if number is None and self.salvaged:
                continue  # a record-level error inside a chunk the salvage went through
            offset = None
            if number is not None:
                offset = 4096 + number * 65536
            text = message.removeprefix("Skipping EVTX data: ").removeprefix("RuntimeError: ")
            yield Damage(name, offset, text, None)


_QUICK = re.compile(r'"EventID":(?:\{"#attributes":\{[^}]*\},"#text":)?(\d+)'
                    r'(?:,"Version":\d+)?,"Level":(\d+)')
_EVENT_ID = re.compile(r'"EventID":(?:\{"#attributes":\{[^}]*\},"#text":)?(\d+)')
_LEVEL = re.compile(r'"Level":(\d+)')


def quick_fields(data: str) -> tuple[int | None, int | None]:
    """Event ID and level read off the record's JSON text, without parsing the rest."""
    both = _QUICK.search(data)
    if both:  # the usual order, EventID then (Version and) Level: one search
        return int(both.group(1)), int(both.group(2))
    event_id = _EVENT_ID.search(data)
    level = _LEVEL.search(data)
    return (int(event_id.group(1)) if event_id else None, int(level.group(1)) if level else None)


# -- JSON record → Event ----------------------------------------------------------------------


_NO_ATTRS: dict[str, Any] = {}


def _attrs(node: Any) -> dict[str, Any]:
    if type(node) is dict:
        return node.get("#attributes") or _NO_ATTRS
    return _NO_ATTRS


def _number(node: Any) -> int | None:
    """An element's number: the parser gives most as JSON numbers already."""
    if type(node) is int:
        return node
    if type(node) is dict:
        node = node.get("#text")
    return parse_int(node)


def _string(node: Any) -> str | None:
    if type(node) is dict:
        node = node.get("#text")
    return node if node and not (type(node) is str and node.isspace()) else None


def event_from_json(raw: dict[str, Any], source: str) -> Event:
    """Map one `records_json()` item (serde-style XML-as-JSON) to an Event."""
    doc = orjson.loads(raw["data"])
    root = doc.get("Event") or _NO_ATTRS
    system = root.get("System") or _NO_ATTRS
    get = system.get
    provider = _attrs(get("Provider"))
    correlation = _attrs(get("Correlation"))
    execution = _attrs(get("Execution"))
    event_id_node = get("EventID")
    extra: dict[str, Any] = {}
    qualifiers = _attrs(event_id_node).get("Qualifiers")
    if qualifiers not in (None, ""):
        extra["qualifiers"] = parse_int(qualifiers)
    if len(execution) > 2:
        for key in ("ProcessorID", "SessionID", "KernelTime", "UserTime"):
            if execution.get(key) not in (None, ""):
                extra[key] = parse_int(execution[key])
    security = get("Security")
    if security:
        user = _attrs(security).get("UserID")
        if user:
            extra["UserID"] = user
    record_id = _number(get("EventRecordID"))
    if record_id is None:
        record_id = raw.get("event_record_id")
    return Event(
        record_id=record_id,
        timestamp=record_time(_attrs(get("TimeCreated")).get("SystemTime"), raw["timestamp"]),
        provider=_string(provider.get("Name")),
        provider_guid=canonical_guid(provider.get("Guid")),
        event_id=_number(event_id_node),
        version=_number(get("Version")),
        level_value=_number(get("Level")),
        task_id=_number(get("Task")),
        opcode_id=_number(get("Opcode")),
        keywords_mask=parse_int(_string(get("Keywords"))),
        channel=_string(get("Channel")),
        computer=_string(get("Computer")),
        process_id=_number(execution.get("ProcessID")),
        thread_id=_number(execution.get("ThreadID")),
        activity_id=canonical_activity(correlation.get("ActivityID")),
        related_activity_id=canonical_activity(correlation.get("RelatedActivityID")),
        data=payload(root),
        extra=extra,
        source=source,
    )


def payload(root: dict[str, Any]) -> dict[str, Any]:
    """EventData as name → value in order (unnamed values as "1", "2", …); UserData nested."""
    event_data = root.get("EventData")
    if isinstance(event_data, dict):
        data: dict[str, Any] = {}
        for key, value in event_data.items():
            if key == "#attributes":
                continue
            if key == "Data" and isinstance(value, dict) and "#text" in value:
                texts = value["#text"]
                for index, text in enumerate(texts if isinstance(texts, list) else [texts], 1):
                    data[str(index)] = empty_to_none(text)
            elif key == "Binary" and value is None:
                continue
            else:
                data[key] = empty_to_none(value)
        return data
    user_data = root.get("UserData")
    if isinstance(user_data, dict):
        return {k: v for k, v in user_data.items() if k != "#attributes"}
    return {}
