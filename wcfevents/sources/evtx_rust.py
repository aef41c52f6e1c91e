"""The fast .evtx engine: the Rust `evtx` parser, its JSON records mapped to Event.

The parser runs with skip_errors so one bad chunk does not end the file, and without its own
checksum validation (unless --strict) so records in a chunk whose checksum fails are still decoded
(the real samples hold such chunks with readable records). Its records are matched, by the file's
own record numbers, to the records our walk finds in each chunk (wcfevents.sources.evtx_chunks,
shared with the python engine): a record the walk does not vouch for is not emitted, a walked
record the parser skips is rendered by python-evtx, so each record comes out once and both
engines read the same ones. The parser prints times to the microsecond; the exact 100 ns values
come from the record bytes the walk already holds.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from wcfevents.model import (
    Event,
    canonical_activity,
    canonical_guid,
    canonical_time,
    filetime_to_iso,
    parse_int,
    parse_mask,
)
from wcfevents.sources import DamageReport, Input, InputError, QuickCheck
from wcfevents.sources.chunk_range import open_window
from wcfevents.sources.event_xml import USER_DATA_ELEMENT
from wcfevents.sources.evtx_chunks import (
    ChunkWork,
    FilePlan,
    chunk_works,
    exact_times,
    finish,
    plan_file,
    record_time,
    substitution_facts,
    window_bytes,
)
from wcfevents.sources.evtx_layout import RecordSlot


class RustEvtxReader:
    """Reads .evtx files with the `evtx` package (PyPI `evtx`, Rust)."""

    name = "rust"

    def __init__(self, threads: int = 0, strict: bool = False,
                 chunks: tuple[int, int] | None = None) -> None:
        self.threads = threads
        self.strict = strict  # drop chunks whose checksum fails instead of decoding them
        self.window = chunks  # read only chunks start ≤ i < end (a part of a large file)

    def events(self, source: Input, report: DamageReport,
               quick: QuickCheck | None = None) -> Iterator[Event | int | None]:
        import evtx

        if source.path is None:
            raise InputError(f"{source.name}: the rust engine needs a file")
        with source.open() as fh:
            plan = plan_file(fh, self.window)
            if plan is None:
                raise InputError(f"{source.name}: not an .evtx file (no ElfFile signature)")
            target: Any = str(source.path)
            if self.window is not None:
                target = open_window(source.path, plan.start, plan.end)
            try:
                parser = evtx.PyEvtxParser(
                    target, number_of_threads=self.threads,
                    validate_checksums=self.strict, skip_errors=True,
                )
                matcher = Matcher(fh, plan, source.name, self.strict, report)
                name = source.name
                with warnings.catch_warnings():
                    # Parser errors are explained by our own walk, chunk by chunk.
                    warnings.simplefilter("ignore", RuntimeWarning)
                    take = matcher.take
                    passes = QuickText(quick) if quick is not None else None
                    rejected = 0
                    for raw in parser.records_json():
                        number = raw["event_record_id"]
                        slot = take(number)
                        if slot is not None:
                            work = matcher.current
                        else:
                            found = yield from matcher.advance(number)
                            if found is None:
                                continue  # a number no walked record has: damage reported
                            work, slot = found
                        if passes is not None and not passes(raw["data"]):
                            work.decoded += 1
                            rejected += 1  # counted, yielded as one number before what follows
                            continue
                        if rejected:
                            yield rejected
                            rejected = 0
                        yield finish(rust_event(raw, name, work, slot), work, slot)
                if rejected:
                    yield rejected
                yield from matcher.close()
            finally:
                if self.window is not None:
                    target.close()
        tail = plan.tail_damage(source.name)
        if tail is not None:
            report(tail)


class Matcher:
    """Walks the chunks alongside the parser: each parser record is matched to the next walked
    record with its number; walked records the parser passed over are rendered by python-evtx
    (or counted lost), and each finished chunk's damage is reported, all in file order."""

    def __init__(self, fh: BinaryIO, plan: FilePlan, name: str, strict: bool,
                 report: DamageReport) -> None:
        self.fh = fh
        self.name = name
        self.report = report
        self.works = chunk_works(fh, plan, strict)
        self.infos = plan.chunks
        self.current: ChunkWork | None = None
        self.index = 0  # next unmatched slot of the current chunk
        self.ahead: list[ChunkWork] = []  # chunks walked past the current one, not yet entered
        self.positions: dict[int, dict[int, int]] = {}  # chunk index → record number → slot
        self._renderer: Any = None

    def take(self, number: int) -> RecordSlot | None:
        """The current chunk's next slot when it holds `number` (nearly every record), else
        None: then `advance` finds it."""
        current = self.current
        if current is not None:
            index = self.index
            slots = current.slots
            if index < len(slots) and slots[index].record_id == number:
                self.index = index + 1
                return slots[index]
        return None

    def _slot_of(self, work: ChunkWork, number: int) -> int | None:
        table = self.positions.get(work.info.index)
        if table is None:
            table = {slot.record_id: i for i, slot in enumerate(work.slots)}
            self.positions = {work.info.index: table} | (
                {k: v for k, v in self.positions.items() if k != work.info.index}
                if len(self.positions) < 8 else {})
        return table.get(number)

    def advance(self, number: int) -> Iterator[Event]:
        """Yield what comes before record `number` in the file; return its (chunk, slot)."""
        current = self.current
        if current is not None:
            slots = current.slots
            if self.index < len(slots) and slots[self.index].record_id == number:
                self.index += 1
                return current, slots[self.index - 1]
            i = self._slot_of(current, number)
            if i is not None and i >= self.index:
                yield from self._salvage(current, current.slots[self.index:i])
                self.index = i + 1
                return current, current.slots[i]
        found = self._look_ahead(number)
        if found is None:
            return None
        position, i = found
        if current is not None:
            yield from self._close(current, self.index)
        for skipped in self.ahead[:position]:
            yield from self._close(skipped, 0)
        current = self.current = self.ahead[position]
        self.ahead = self.ahead[position + 1:]
        yield from self._salvage(current, current.slots[:i])
        self.index = i + 1
        return current, current.slots[i]

    def _look_ahead(self, number: int) -> tuple[int, int] | None:
        """(position in self.ahead, slot) of the next chunk holding `number`, walking chunks
        only as far as one whose header could hold it."""
        after = self.current.info.index if self.current is not None else -1
        for info in self.infos:
            if info.index <= after:
                continue
            ranged = info.expected_records is not None and info.header_crc_ok
            if ranged and not info.first_record_id <= number <= info.last_record_id:
                continue
            while not self.ahead or self.ahead[-1].info.index < info.index:
                work = next(self.works, None)
                if work is None:
                    return None
                self.ahead.append(work)
            position = next((p for p, w in enumerate(self.ahead) if w.info.index == info.index),
                            None)
            if position is None:
                continue
            i = self._slot_of(self.ahead[position], number)
            if i is not None:
                return position, i
        return None

    def _close(self, work: ChunkWork, index: int) -> Iterator[Event]:
        yield from self._salvage(work, work.slots[index:])
        damage = work.damage(self.name)
        if damage is not None:
            self.report(damage)

    def close(self) -> Iterator[Event]:
        """The rest of the file after the parser's last record."""
        if self.current is not None:
            yield from self._close(self.current, self.index)
            self.current = None
        for work in self.ahead:
            yield from self._close(work, 0)
        self.ahead = []
        for work in self.works:
            yield from self._close(work, 0)

    def _salvage(self, work: ChunkWork, slots: list[RecordSlot]) -> Iterator[Event]:
        """Walked records the parser gave up on: python-evtx renders them when it can."""
        if not slots:
            return
        if self._renderer is None:
            try:
                from wcfevents.sources.evtx_python import PythonRenderer

                self._renderer = PythonRenderer(self.name)
            except ImportError:
                self._renderer = False  # no python-evtx (Windows): the loss is reported
        for slot in slots:
            event = self._renderer.render(work, slot) if self._renderer else None
            if event is None:
                work.failed.append(slot.offset)
            else:
                yield finish(event, work, slot)


def rust_event(raw: dict[str, Any], name: str, work: ChunkWork, slot: RecordSlot) -> Event:
    """One parser record as an Event, its times at 100 ns and its absent values told from empty
    ones by the record's own bytes (the parser prints µs, and "" for both in EventData, null
    for both in UserData)."""
    event = event_from_json(raw, name)
    printed = event.timestamp
    written = filetime_to_iso(slot.ticks)  # the header's FILETIME: TimeCreated at 100 ns
    wanted: list[str] = []
    if (type(printed) is str and len(printed) == 27 and written is not None
            and printed[:26] == written[:26] and printed[26] == "Z"):
        created = written  # the usual case: the parser printed the header's time to the µs
    else:
        created = canonical_time(printed)
        if created is not None and (written is None or created[:26] != written[:26]):
            wanted.append(created)
    data = event.data
    blanks: list[str] = []
    for key, value in data.items():  # FILETIME payloads (printed to the µs) and empty values
        if type(value) is str:
            if not value:
                blanks.append(key)
            elif len(value) == 27 and _looks_like_time(value):
                wanted.append(value)
    nulls = [k for k, v in data.items() if v is None or v == ""] \
        if USER_DATA_ELEMENT in event.extra else []
    if wanted or blanks or nulls:
        times, empties, nested = substitution_facts(work.data, slot)
        exact = exact_times(wanted, times) if wanted else {}
        if exact:
            if created in exact:
                created = exact[created]
            for key, value in data.items():
                if type(value) is str and value in exact:
                    data[key] = exact[value]
        if blanks and empties and all(empties):
            # Every empty value of the record is a NULL substitution: each "" the parser
            # printed is one (with empty strings among them too, "" stays as printed).
            for key in blanks:
                if not key.isdigit():
                    data[key] = None
        if nulls:
            _user_data_empties(data, nulls, empties if nested is None else nested)
    event.timestamp = written if not wanted else record_time(created, slot.ticks)
    return event


def _user_data_empties(data: dict[str, Any], keys: list[str], level: list[bool]) -> None:
    """The parser prints null for every empty UserData element: a NULL substitution stays
    None, an empty string becomes "". The payload's empty values are the last ones of the
    substitution array (`level`: its nested BinXml when there is one), in payload order; when
    there are fewer than the parser's empties (some are empty in the template itself), only
    "no NULL among them" is sure, and then all are ""."""
    if len(level) >= len(keys):
        for key, null in zip(keys, level[len(level) - len(keys):], strict=True):
            data[key] = None if null else ""
    elif not any(level):
        for key in keys:
            data[key] = ""


def _looks_like_time(value: str) -> bool:
    return len(value) == 27 and value[26] == "Z" and value[19] == "." and value[10] == "T"


def rust_chunk_events(fh: BinaryIO, name: str, work: ChunkWork,
                      slots: list[RecordSlot]) -> dict[int, Event]:
    """Some records of one chunk rendered by the Rust parser (slot offset → Event): the python
    engine's second opinion for records python-evtx cannot render."""
    import evtx

    wanted = {slot.record_id: slot for slot in slots}
    found: dict[int, Event] = {}
    parser = evtx.PyEvtxParser(io.BytesIO(window_bytes(fh, work.info)),
                               number_of_threads=1, validate_checksums=False, skip_errors=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for raw in parser.records_json():
            slot = wanted.pop(raw["event_record_id"], None)
            if slot is not None:
                found[slot.offset] = rust_event(raw, name, work, slot)
    return found


_QUICK = re.compile(r'"EventID":(?:\{"#attributes":\{[^}]*\},"#text":)?(\d+)'
                    r'(?:,"Version":\d+)?,"Level":(\d+)')
_EVENT_ID = re.compile(r'"EventID":(?:\{"#attributes":\{[^}]*\},"#text":)?(\d+)')
_LEVEL = re.compile(r'"Level":(\d+)')


class QuickText:
    """`quick` on a record's JSON text, remembered per distinct "EventID…Level" text: a trace
    holds few, so most records cost one regular-expression search and one lookup."""

    def __init__(self, quick: QuickCheck) -> None:
        self.quick = quick
        self.seen: dict[str, bool] = {}

    def __call__(self, data: str) -> bool:
        found = _QUICK.search(data)
        if found is None:
            return self.quick(*quick_fields(data))
        key = found.group()
        known = self.seen.get(key)
        if known is None:
            known = self.quick(int(found.group(1)), int(found.group(2)))
            if len(self.seen) < 4096:
                self.seen[key] = known
        return known


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
    """Map one `records_json()` item (serde-style XML-as-JSON) to an Event, its TimeCreated
    as the parser printed it (see rust_event).

    The hot path of .evtx decoding: the shapes the parser gives nearly every record (numbers as
    JSON numbers, text as strings, attributes under "#attributes") are read inline, and the
    helpers above handle the rest, with the same results."""
    doc = orjson.loads(raw["data"])
    root = doc.get("Event") or _NO_ATTRS
    system = root.get("System") or _NO_ATTRS
    get = system.get
    node = get("Provider")
    provider = (node.get("#attributes") or _NO_ATTRS) if type(node) is dict else _NO_ATTRS
    node = get("Correlation")
    correlation = (node.get("#attributes") or _NO_ATTRS) if type(node) is dict else _NO_ATTRS
    node = get("Execution")
    execution = (node.get("#attributes") or _NO_ATTRS) if type(node) is dict else _NO_ATTRS
    extra: dict[str, Any] = {}
    source_name = provider.get("EventSourceName")
    if source_name:
        extra["EventSourceName"] = source_name
    node = get("EventID")
    if type(node) is int:
        event_id: int | None = node
    else:
        qualifiers = _attrs(node).get("Qualifiers")
        if qualifiers not in (None, ""):
            extra["qualifiers"] = parse_int(qualifiers)
        event_id = _number(node)
    if len(execution) > 2:
        for key in ("ProcessorID", "SessionID", "KernelTime", "UserTime"):
            if execution.get(key) not in (None, ""):
                extra[key] = parse_int(execution[key])
    security = get("Security")
    if security:
        user = _attrs(security).get("UserID")
        if user:
            extra["UserID"] = user
    node = get("EventRecordID")
    record_id = node if type(node) is int else _number(node)
    if record_id is None:
        record_id = raw.get("event_record_id")
    node = get("TimeCreated")
    created = (node.get("#attributes") or _NO_ATTRS) if type(node) is dict else _NO_ATTRS
    version, level, task, opcode = get("Version"), get("Level"), get("Task"), get("Opcode")
    name, channel, computer = provider.get("Name"), get("Channel"), get("Computer")
    process, thread = execution.get("ProcessID"), execution.get("ThreadID")
    keywords = get("Keywords")
    activity = correlation.get("ActivityID")
    related = correlation.get("RelatedActivityID")
    # Positional, in Event's field order (keyword arguments cost a third of the mapping).
    return Event(
        record_id,
        created.get("SystemTime"),  # as printed: rust_event makes it exact
        (name if name and not name.isspace() else None) if type(name) is str else _string(name),
        canonical_guid(provider.get("Guid")),
        event_id,
        version if type(version) is int else _number(version),
        level if type(level) is int else _number(level),
        task if type(task) is int else _number(task),
        opcode if type(opcode) is int else _number(opcode),
        parse_mask(keywords if type(keywords) is not dict else _string(keywords)),
        (channel if channel and not channel.isspace() else None) if type(
            channel) is str else _string(channel),
        (computer if computer and not computer.isspace() else None) if type(
            computer) is str else _string(computer),
        process if type(process) is int else _number(process),
        thread if type(thread) is int else _number(thread),
        None if activity is None else canonical_activity(activity),
        None if related is None else canonical_activity(related),
        payload(root, extra),
        extra,
        source,
    )


def payload(root: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """EventData as name → value in order (unnamed values as "1", "2", …), values as recorded
    ("" stays "", a NULL substitution is None); UserData as its wrapper's children, the
    wrapper's name in extra.UserDataElement."""
    event_data = root.get("EventData")
    if type(event_data) is dict and "Data" not in event_data and "Binary" not in event_data \
            and "#attributes" not in event_data:
        return event_data  # named values only, the usual case: the parser's dict as it is
    if isinstance(event_data, dict):
        data: dict[str, Any] = {}
        for key, value in event_data.items():
            if key == "#attributes":
                continue
            if key == "Data" and isinstance(value, dict) and "#text" in value:
                texts = value["#text"]
                for index, text in enumerate(texts if isinstance(texts, list) else [texts], 1):
                    data[str(index)] = text
            elif key == "Binary" and value is None:
                continue
            else:
                data[key] = value
        return data
    user_data = root.get("UserData")
    if isinstance(user_data, dict):
        wrappers = [k for k in user_data if k != "#attributes"]
        if len(wrappers) == 1 and isinstance(user_data[wrappers[0]], dict):
            extra[USER_DATA_ELEMENT] = wrappers[0]
            return {k: v for k, v in user_data[wrappers[0]].items() if k != "#attributes"}
        return {k: user_data[k] for k in wrappers}
    return {}
