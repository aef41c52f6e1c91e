"""A writer of genuine .evtx files, so that tests and benchmarks read real bytes.

No public trace carries this provider's events, so the project makes its own: file header,
64 KiB self-contained chunks with their own name and template tables and checksums, and records
whose XML is a template instance with typed values, the way the Windows event log service stores
ETW-channel events. Events are written as they arrive; only the current chunk is held in memory.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from wcfevents.catalog import Catalog
from wcfevents.catalog import load as load_catalog
from wcfevents.model import Event, canonical_guid, iso_to_filetime
from wcfevents.sources.event_xml import USER_DATA_ELEMENT
from wcfevents.sources.evtx_chunks import FILE_RECORD_NUMBER
from wcfevents.testing import binxml as bx
from wcfevents.testing.binxml import Element, NameTable, Sub, Template, Text

FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
RECORD_MAGIC = 0x00002A2A
FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 512
EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
USER_DATA_NS = "http://manifests.microsoft.com/win/2004/08/windows/eventlog"

_RECORD_HEAD = struct.Struct("<IIQQ")
_SIZE = struct.Struct("<I")
_DESCRIPTOR = struct.Struct("<HBx")
_INSTANCE_HEAD = struct.Struct("<BBII")
_FIXED = struct.Struct("<HBBHBQQQ")  # EventID .. EventRecordID when all are present
_FIXED_DESCRIPTORS = b"".join(
    _DESCRIPTOR.pack(size, kind)
    for size, kind in (
        (2, bx.UINT16), (1, bx.UINT8), (1, bx.UINT8), (2, bx.UINT16), (1, bx.UINT8),
        (8, bx.HEXINT64), (8, bx.FILETIME), (8, bx.UINT64),
    )
)
_PIDS = struct.Struct("<II")
_PID_DESCRIPTORS = _DESCRIPTOR.pack(4, bx.UINT32) * 2
_NULL_DESCRIPTOR = _DESCRIPTOR.pack(0, bx.NULL)
_GUID_DESCRIPTOR = _DESCRIPTOR.pack(16, bx.GUID)

# The <System> slots, in substitution order; data values follow from index 14.
SYSTEM_SLOTS = (
    ("EventID", bx.UINT16), ("Version", bx.UINT8), ("Level", bx.UINT8), ("Task", bx.UINT16),
    ("Opcode", bx.UINT8), ("Keywords", bx.HEXINT64), ("SystemTime", bx.FILETIME),
    ("EventRecordID", bx.UINT64), ("ActivityID", bx.GUID), ("RelatedActivityID", bx.GUID),
    ("ProcessID", bx.UINT32), ("ThreadID", bx.UINT32), ("Channel", bx.STRING),
    ("Computer", bx.STRING),
)
FIRST_DATA_SLOT = len(SYSTEM_SLOTS)


def windows_guid(value: str | None) -> str | None:
    """A GUID the way Windows prints a provider GUID: upper case in braces."""
    canonical = canonical_guid(value)
    return None if canonical is None else "{" + canonical.upper() + "}"


def system_template(
    provider: str | None, provider_guid: str | None, fields: tuple[tuple[str, int], ...],
    user_data: str | None = None,
) -> Template:
    """The <Event> tree for one shape: provider and data names are literal, values are slots."""

    def sub(index: int) -> Sub:
        return Sub(index, SYSTEM_SLOTS[index][1])

    provider_attrs = []
    if provider is not None:
        provider_attrs.append(("Name", Text(provider)))
    if provider_guid is not None:
        provider_attrs.append(("Guid", Text(provider_guid)))
    system = Element("System", content=(
        Element("Provider", attributes=tuple(provider_attrs)),
        Element("EventID", content=(sub(0),)),
        Element("Version", content=(sub(1),)),
        Element("Level", content=(sub(2),)),
        Element("Task", content=(sub(3),)),
        Element("Opcode", content=(sub(4),)),
        Element("Keywords", content=(sub(5),)),
        Element("TimeCreated", attributes=(("SystemTime", sub(6)),)),
        Element("EventRecordID", content=(sub(7),)),
        Element("Correlation", attributes=(
            ("ActivityID", Sub(8, bx.GUID, optional=True)),
            ("RelatedActivityID", Sub(9, bx.GUID, optional=True)),
        )),
        Element("Execution", attributes=(("ProcessID", sub(10)), ("ThreadID", sub(11)))),
        Element("Channel", content=(sub(12),)),
        Element("Computer", content=(sub(13),)),
        Element("Security"),
    ))
    children: list[Element] = [system]
    if user_data is not None:
        # <UserData><Wrapper xmlns="…"><Name>value</Name>…</Wrapper></UserData>
        values = tuple(Element(name, content=(Sub(FIRST_DATA_SLOT + i, kind),))
                       for i, (name, kind) in enumerate(fields))
        wrapper = Element(user_data, attributes=(("xmlns", Text(USER_DATA_NS)),),
                          content=values)
        children.append(Element("UserData", content=(wrapper,)))
    elif fields:
        data = tuple(
            Element("Data", attributes=(("Name", Text(name)),),
                    content=(Sub(FIRST_DATA_SLOT + i, kind),))
            for i, (name, kind) in enumerate(fields)
        )
        children.append(Element("EventData", content=data))
    root = Element("Event", attributes=(("xmlns", Text(EVENT_NS)),), content=tuple(children))
    slot_types = tuple(kind for _, kind in SYSTEM_SLOTS) + tuple(kind for _, kind in fields)
    guid = bx.template_guid(("wcfevents", provider, provider_guid, fields, user_data))
    return Template.build(root, guid, slot_types)


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return bx.BOOL
    if isinstance(value, int):
        return bx.INT64
    if isinstance(value, float):
        return bx.REAL64
    return bx.STRING


_TIME_CACHE: dict[str, int] = {}


def fast_filetime(text: str) -> int:
    """iso_to_filetime, with the whole-second part memoised (records arrive in time order)."""
    if len(text) == 28 and text[19] == "." and text[27] == "Z":
        head = text[:19]
        base = _TIME_CACHE.get(head)
        if base is None:
            if len(_TIME_CACHE) > 4096:
                _TIME_CACHE.clear()
            base = iso_to_filetime(head + ".0000000Z")
            _TIME_CACHE[head] = base
        return base + int(text[20:27])
    return iso_to_filetime(text)


@dataclass(slots=True)
class WriteSummary:
    """What was written: record and chunk counts and each chunk's record IDs."""

    records: int = 0
    chunks: int = 0
    next_record_id: int = 1
    chunk_records: list[tuple[int, int]] = field(default_factory=list)  # (first, last) id


class _Chunk:
    """The chunk being filled: its records, name table and templates."""

    __slots__ = (
        "buf",
        "first_id",
        "last_id",
        "last_offset",
        "names",
        "template_buckets",
        "templates",
    )

    def __init__(self) -> None:
        self.buf = bytearray()
        self.names = NameTable()
        self.templates: dict[bytes, int] = {}
        self.template_buckets = [0] * 32
        self.first_id: int | None = None
        self.last_id = 0
        self.last_offset = 0

    @property
    def offset(self) -> int:
        return CHUNK_HEADER_SIZE + len(self.buf)

    def assemble(self) -> bytes:
        """The full 64 KiB chunk with its header, tables and both checksums."""
        records = bytes(self.buf)
        free = CHUNK_HEADER_SIZE + len(records)
        first = self.first_id or 0
        head = struct.pack(
            "<8sQQQQIIII", CHUNK_MAGIC, first, self.last_id, first, self.last_id, 128,
            self.last_offset, free, zlib.crc32(records),
        ) + bytes(64) + struct.pack("<I", 0)
        tables = struct.pack("<64I", *self.names.buckets) + struct.pack(
            "<32I", *self.template_buckets
        )
        crc = zlib.crc32(head[:120] + tables)  # the flags at 120-123 are not covered
        chunk = head + struct.pack("<I", crc) + tables + records
        return chunk + bytes(CHUNK_SIZE - len(chunk))


class EvtxWriter:
    """Streams Events into an .evtx file (the stream must be seekable, for the final header)."""

    def __init__(self, stream: BinaryIO, catalog: Catalog | None = None) -> None:
        self.stream = stream
        self.catalog = catalog or load_catalog()
        self.summary = WriteSummary()
        self._chunk = _Chunk()
        self._shapes: dict[tuple[Any, ...], tuple[Template, tuple[int, ...]]] = {}
        self._text_cache: dict[str, bytes] = {}
        self._guid_text: dict[str | None, str | None] = {}
        stream.write(bytes(FILE_HEADER_SIZE))

    # -- shapes ---------------------------------------------------------------------------

    def _shape(self, event: Event) -> tuple[Template, tuple[int, ...]]:
        names = tuple(event.data)
        wrapper = event.extra.get(USER_DATA_ELEMENT)
        key = (event.provider, event.provider_guid, event.event_id, names, wrapper)
        cached = self._shapes.get(key)
        if cached is not None:
            return cached
        declared: dict[str, int] = {}
        guid = self._guid_text.get(event.provider_guid)
        if guid is None:
            guid = windows_guid(event.provider_guid)
            self._guid_text[event.provider_guid] = guid
        if canonical_guid(event.provider_guid) == self.catalog.provider_guid:
            entry = self.catalog.by_id(event.event_id) if event.event_id is not None else None
            if entry is not None:
                declared = {f.name: bx.MANIFEST_TYPES.get(f.type, bx.STRING) for f in entry.fields}
        fields = tuple(
            (name, declared.get(name) or _infer_type(event.data[name])) for name in names
        )
        template = system_template(event.provider, guid, fields, wrapper)
        types = tuple(kind for _, kind in fields)
        self._shapes[key] = (template, types)
        return template, types

    # -- records --------------------------------------------------------------------------

    def _text(self, value: str | None) -> tuple[bytes, bytes]:
        if value is None:
            return _NULL_DESCRIPTOR, b""
        raw = self._text_cache.get(value)
        if raw is None:
            raw = value.encode("utf-16-le")
            if len(self._text_cache) < 10_000:
                self._text_cache[value] = raw
        return _DESCRIPTOR.pack(len(raw), bx.STRING), raw

    def _values(self, event: Event, record_id: int, ticks: int, types: tuple[int, ...]) -> bytes:
        """The substitution array: count, descriptors, then the values themselves."""
        fixed = (
            event.event_id, event.version, event.level_value, event.task_id, event.opcode_id,
            event.keywords_mask, ticks, record_id,
        )
        descriptors: list[bytes] = []
        values: list[bytes] = []
        if None in fixed:
            for (_, kind), value in zip(SYSTEM_SLOTS[:8], fixed, strict=True):
                stored, raw = bx.encode_value(kind, value)
                descriptors.append(_DESCRIPTOR.pack(len(raw), stored))
                values.append(raw)
        else:
            descriptors.append(_FIXED_DESCRIPTORS)
            values.append(_FIXED.pack(*fixed))
        for guid in (event.activity_id, event.related_activity_id):
            if guid is None:
                descriptors.append(_NULL_DESCRIPTOR)
            else:
                descriptors.append(_GUID_DESCRIPTOR)
                values.append(bx.guid_bytes(guid))
        if event.process_id is None or event.thread_id is None:
            for value in (event.process_id, event.thread_id):
                stored, raw = bx.encode_value(bx.UINT32, value)
                descriptors.append(_DESCRIPTOR.pack(len(raw), stored))
                values.append(raw)
        else:
            descriptors.append(_PID_DESCRIPTORS)
            values.append(_PIDS.pack(event.process_id, event.thread_id))
        for text in (event.channel, event.computer):
            descriptor, raw = self._text(text)
            descriptors.append(descriptor)
            values.append(raw)
        for kind, value in zip(types, event.data.values(), strict=True):
            if kind == bx.STRING and value is not None:
                raw = value.encode("utf-16-le")
                if len(raw) > 0xFFFF:
                    raise ValueError(
                        f"record {record_id}: a value of {len(raw)} bytes does not fit in a "
                        "substitution (65535 at most)"
                    )
                descriptors.append(_DESCRIPTOR.pack(len(raw), bx.STRING))
            else:
                stored, raw = bx.encode_value(kind, value)
                descriptors.append(_DESCRIPTOR.pack(len(raw), stored))
            values.append(raw)
        count = FIRST_DATA_SLOT + len(types)
        return _SIZE.pack(count) + b"".join(descriptors) + b"".join(values)

    def write(self, event: Event) -> None:
        """Append one record, starting a new chunk when it does not fit in the current one."""
        record_id = event.record_id if event.record_id is not None else self.summary.next_record_id
        # The file's own record number; Windows Event Forwarding keeps the source machine's
        # EventRecordID in the XML, so the two differ in a forwarded-events log.
        number = event.extra.get(FILE_RECORD_NUMBER, record_id)
        if event.timestamp is None:
            raise ValueError(f"record {record_id}: a record needs a timestamp")
        ticks = fast_filetime(event.timestamp)
        template, types = self._shape(event)
        values = self._values(event, record_id, ticks, types)
        for attempt in range(2):
            chunk = self._chunk
            pos = chunk.offset
            known = chunk.templates.get(template.guid)
            renderer = None
            if known is None:
                bucket = template.template_id % 32
                definition, renderer = bx.render_definition(
                    template, pos + 38, chunk.names, chunk.template_buckets[bucket]
                )
                def_offset = pos + 38
            else:
                definition, def_offset = b"", known
            size = 24 + 4 + 10 + len(definition) + len(values) + 4
            if pos + size <= CHUNK_SIZE:
                break
            if attempt or not chunk.buf:
                raise ValueError(f"record {record_id} ({size} bytes) does not fit in a chunk")
            self._flush()
        if renderer is not None:
            renderer.commit()
            chunk.templates[template.guid] = def_offset
            chunk.template_buckets[template.template_id % 32] = def_offset
        chunk.buf += _RECORD_HEAD.pack(RECORD_MAGIC, size, number, ticks)
        chunk.buf += bx.FRAGMENT_HEADER
        chunk.buf += _INSTANCE_HEAD.pack(bx.TEMPLATE_INSTANCE, 1, template.template_id, def_offset)
        chunk.buf += definition
        chunk.buf += values
        chunk.buf += _SIZE.pack(size)
        if chunk.first_id is None:
            chunk.first_id = number
        chunk.last_id = number
        chunk.last_offset = pos
        self.summary.records += 1
        self.summary.next_record_id = number + 1

    def _flush(self) -> None:
        chunk = self._chunk
        if not chunk.buf:
            return
        self.stream.write(chunk.assemble())
        self.summary.chunk_records.append((chunk.first_id or 0, chunk.last_id))
        self.summary.chunks += 1
        self._chunk = _Chunk()

    def close(self) -> WriteSummary:
        """Write the last chunk and the file header (which needs the final counts)."""
        self._flush()
        count = self.summary.chunks
        if count > 0xFFFF:
            raise ValueError(f"{count} chunks: the file header counts at most 65535")
        head = struct.pack(
            "<8sQQQIHHHH", FILE_MAGIC, 0, max(count - 1, 0), self.summary.next_record_id, 128,
            1, 3, FILE_HEADER_SIZE, count,
        ) + bytes(76) + struct.pack("<I", 0)
        header = head + struct.pack("<I", zlib.crc32(head[:120]))  # flags not covered
        self.stream.seek(0)
        self.stream.write(header)
        self.stream.seek(0, 2)
        return self.summary

    def __enter__(self) -> EvtxWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()


def write_evtx(
    path: str | Path, events: Iterable[Event], catalog: Catalog | None = None
) -> WriteSummary:
    """Write `events` to a new .evtx file at `path`; returns what was written."""
    with Path(path).open("wb") as fh:
        writer = EvtxWriter(fh, catalog)
        for event in events:
            writer.write(event)
        return writer.close()
