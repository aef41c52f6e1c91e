"""The .evtx writer, judged by two independent real parsers, and the fixtures it produces.

Every fixture is read back by the Rust `evtx` parser (checksums validated) and by python-evtx,
and each record is compared with the Event the writer was given, value by value. Goldens are
only checked for being current; correctness is always measured against the intended Events.
"""

from __future__ import annotations

import importlib.util
import io
import json
import struct
import sys
import warnings
import xml.etree.ElementTree as ET
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import evtx
import Evtx.Evtx as PyEvtx
import pytest

from wcfevents.catalog import load as load_catalog
from wcfevents.model import Event, canonical_guid, canonical_time, iso_to_filetime
from wcfevents.testing import binxml as bx
from wcfevents.testing import damage, scenarios
from wcfevents.testing.evtx_writer import (
    CHUNK_SIZE,
    FILE_HEADER_SIZE,
    SYSTEM_SLOTS,
    USER_DATA_NS,
    EvtxWriter,
    write_evtx,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DIR = ROOT / "fixtures"
NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"

_spec = importlib.util.spec_from_file_location("make_fixtures", ROOT / "tools" / "make_fixtures.py")
assert _spec is not None and _spec.loader is not None
make_fixtures = importlib.util.module_from_spec(_spec)
sys.modules["make_fixtures"] = make_fixtures
_spec.loader.exec_module(make_fixtures)

CATALOG = load_catalog()
INTACT = [name for name, f in make_fixtures.FIXTURES.items() if f.damage is None]


def intended(name: str) -> list[Event]:
    return list(make_fixtures.FIXTURES[name].events())


def field_types(event: Event) -> list[int]:
    entry = CATALOG.by_id(event.event_id)
    assert entry is not None
    declared = {f.name: bx.MANIFEST_TYPES[f.type] for f in entry.fields}
    return [declared[name] for name in event.data]


def ticks(event: Event) -> int:
    assert event.timestamp is not None
    return iso_to_filetime(event.timestamp)


def micro_iso(text: str) -> str:
    """An ISO time cut to microseconds, the way the Rust parser prints FILETIME values."""
    return text[:26] + "Z"


# -- readers ----------------------------------------------------------------------------------


def rust_records(path: Path, *, skip_errors: bool = False, validate: bool = True) -> tuple[
    list[dict[str, Any]], list[str]
]:
    """Records (parsed JSON plus header fields) and warning texts from the Rust parser."""
    parser = evtx.PyEvtxParser(str(path), validate_checksums=validate, skip_errors=skip_errors)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = [
            {"id": r["event_record_id"], "timestamp": r["timestamp"], **json.loads(r["data"])}
            for r in parser.records_json()
        ]
    return out, [str(w.message) for w in caught]


def expected_rust_data(event: Event, null: Any = "") -> dict[str, Any]:
    """What the parser prints: a NULL value in EventData as `null` ("" there, None in
    UserData elements)."""
    out: dict[str, Any] = {}
    for (name, value), kind in zip(event.data.items(), field_types(event), strict=True):
        if value is None:
            out[name] = null
        elif kind == bx.GUID:
            out[name] = value.upper()
        elif kind == bx.FILETIME:
            out[name] = micro_iso(value)
        else:
            out[name] = value
    return out


def assert_rust_matches(record: dict[str, Any], event: Event) -> None:
    system = record["Event"]["System"]
    assert record["id"] == event.extra.get("file_record_number", event.record_id)
    # The header time keeps all 7 digits (trailing zeros dropped, " UTC" appended).
    assert canonical_time(record["timestamp"]) == event.timestamp
    assert system["Provider"]["#attributes"] == {
        "Name": event.provider, "Guid": "{" + str(event.provider_guid).upper() + "}",
    }
    assert system["EventID"] == event.event_id
    assert system["Version"] == event.version
    assert system["Level"] == event.level_value
    assert system["Task"] == event.task_id
    assert system["Opcode"] == event.opcode_id
    assert int(system["Keywords"], 16) == event.keywords_mask
    assert system["TimeCreated"]["#attributes"]["SystemTime"] == micro_iso(str(event.timestamp))
    assert system["EventRecordID"] == event.record_id
    correlation = (system.get("Correlation") or {}).get("#attributes", {})
    assert canonical_guid(correlation.get("ActivityID")) == event.activity_id
    assert canonical_guid(correlation.get("RelatedActivityID")) == event.related_activity_id
    assert set(correlation) <= {"ActivityID", "RelatedActivityID"}
    if event.activity_id is None:
        assert "ActivityID" not in correlation
    assert system["Execution"]["#attributes"] == {
        "ProcessID": event.process_id, "ThreadID": event.thread_id,
    }
    assert system["Channel"] == event.channel
    assert system["Computer"] == event.computer
    wrapper = event.extra.get("UserDataElement")
    if wrapper is not None:
        payload = dict(record["Event"]["UserData"][wrapper])
        assert payload.pop("#attributes") == {"xmlns": USER_DATA_NS}
        assert payload == expected_rust_data(event, null=None)
    else:
        assert record["Event"]["EventData"] == expected_rust_data(event)


_NODE_TYPES = {
    bx.STRING: "WstringTypeNode", bx.INT32: "SignedDwordTypeNode",
    bx.INT64: "SignedQwordTypeNode", bx.UINT8: "UnsignedByteTypeNode",
    bx.UINT16: "UnsignedWordTypeNode", bx.UINT32: "UnsignedDwordTypeNode",
    bx.UINT64: "UnsignedQwordTypeNode", bx.GUID: "GuidTypeNode",
    bx.FILETIME: "FiletimeTypeNode", bx.HEXINT64: "Hex64TypeNode", bx.NULL: "NullTypeNode",
}


def assert_substitutions_match(subs: list[Any], event: Event) -> None:
    """python-evtx's view of the raw typed values: types and values exactly as meant."""
    system = [
        event.event_id, event.version, event.level_value, event.task_id, event.opcode_id,
        event.keywords_mask, ticks(event), event.record_id, event.activity_id,
        event.related_activity_id, event.process_id, event.thread_id, event.channel,
        event.computer,
    ]
    values = system + list(event.data.values())
    kinds = [kind for _, kind in SYSTEM_SLOTS] + field_types(event)
    assert len(subs) == len(values)
    for node, value, kind in zip(subs, values, kinds, strict=True):
        stored = bx.NULL if value is None else kind
        assert type(node).__name__ == _NODE_TYPES[stored], (value, kind)
        if stored == bx.NULL:
            assert node.string() == ""
        elif stored == bx.FILETIME:
            assert node.unpack_qword(0) == (value if isinstance(value, int) else
                                            iso_to_filetime(value))
        elif stored == bx.GUID:
            assert canonical_guid(node.string()) == value
        elif stored == bx.STRING:
            assert node.string() == value
        else:
            assert int(node.string(), 0) == value


def _py_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def assert_python_xml_matches(xml: str, event: Event) -> None:
    """python-evtx's XML rendering: text values, with its own time and GUID spellings."""
    root = ET.fromstring(xml)
    system = root.find(f"{NS}System")
    assert system is not None

    def text(tag: str) -> str | None:
        node = system.find(f"{NS}{tag}")
        assert node is not None, tag
        return node.text

    provider = system.find(f"{NS}Provider")
    assert provider is not None
    assert provider.attrib == {
        "Name": event.provider, "Guid": "{" + str(event.provider_guid).upper() + "}",
    }
    assert text("EventID") == str(event.event_id)
    assert text("Version") == str(event.version)
    assert text("Level") == str(event.level_value)
    assert text("Task") == str(event.task_id)
    assert text("Opcode") == str(event.opcode_id)
    assert text("Keywords") == f"0x{event.keywords_mask:x}"
    created = system.find(f"{NS}TimeCreated")
    assert created is not None
    # python-evtx converts FILETIME through a float: up to ~2 microseconds of error.
    meant = datetime.fromisoformat(str(event.timestamp)[:26]).replace(tzinfo=timezone.utc)
    assert abs((_py_time(created.attrib["SystemTime"]) - meant).total_seconds()) < 5e-6
    assert text("EventRecordID") == str(event.record_id)
    correlation = system.find(f"{NS}Correlation")
    assert correlation is not None
    # python-evtx keeps a null optional attribute as an empty one.
    assert canonical_guid(correlation.attrib.get("ActivityID")) == event.activity_id
    assert canonical_guid(correlation.attrib.get("RelatedActivityID")) == (
        event.related_activity_id
    )
    execution = system.find(f"{NS}Execution")
    assert execution is not None
    assert execution.attrib == {"ProcessID": str(event.process_id),
                                "ThreadID": str(event.thread_id)}
    assert text("Channel") == event.channel
    assert text("Computer") == event.computer
    wrapper = event.extra.get("UserDataElement")
    if wrapper is not None:
        data = root.find(f"{NS}UserData/{{{USER_DATA_NS}}}{wrapper}")
        assert data is not None
        items = list(data)
        assert [d.tag.rpartition("}")[2] for d in items] == list(event.data)
    else:
        data = root.find(f"{NS}EventData")
        assert data is not None
        items = data.findall(f"{NS}Data")
        assert [d.attrib["Name"] for d in items] == list(event.data)
    for node, value, kind in zip(items, event.data.values(), field_types(event), strict=True):
        if value is None or value == "":
            assert node.text is None  # python-evtx's own view: NULL and "" look alike
        elif kind == bx.GUID:
            assert node.text == "{" + value + "}"
        elif kind == bx.FILETIME:
            assert node.text is not None
            parsed = _py_time(node.text)
            meant = datetime.fromisoformat(value[:26]).replace(tzinfo=timezone.utc)
            assert abs((parsed - meant).total_seconds()) < 5e-6
        else:
            assert node.text == str(value)


# -- fixtures read back by both parsers -------------------------------------------------------


@pytest.mark.parametrize("name", INTACT)
def test_rust_parser_reads_every_value_the_writer_meant(name: str) -> None:
    events = intended(name)
    records, problems = rust_records(FIXTURE_DIR / f"{name}.evtx")
    assert problems == []
    assert len(records) == len(events)
    for record, event in zip(records, events, strict=True):
        assert_rust_matches(record, event)


@pytest.mark.parametrize("name", INTACT)
def test_python_evtx_reads_every_value_the_writer_meant(name: str) -> None:
    events = intended(name)
    with PyEvtx.Evtx(str(FIXTURE_DIR / f"{name}.evtx")) as log:
        header = log.get_file_header()
        assert header.verify()
        chunks = list(header.chunks())
        assert all(chunk.verify() for chunk in chunks)
        records = [record for chunk in chunks for record in chunk.records()]
        assert len(records) == len(events)
        for record, event in zip(records, events, strict=True):
            assert record.record_num() == event.extra.get("file_record_number", event.record_id)
            assert record.verify()
            assert_substitutions_match(record.root().substitutions(), event)
            assert_python_xml_matches(record.xml(), event)


def test_all_events_fixture_holds_every_catalog_id() -> None:
    records, _ = rust_records(FIXTURE_DIR / "all-events.evtx")
    seen = {r["Event"]["System"]["EventID"] for r in records}
    assert seen == {e.event_id for e in CATALOG}
    assert len(seen) == 481


def test_fixtures_are_small_and_multi_chunk_where_needed() -> None:
    for name in make_fixtures.FIXTURES:
        path = FIXTURE_DIR / f"{name}.evtx"
        assert path.stat().st_size < 1_000_000
    for name in ("all-events", "damaged-chunk", "damaged-record"):
        assert damage.chunk_count(FIXTURE_DIR / f"{name}.evtx") >= 3


# -- goldens are current ----------------------------------------------------------------------


def test_regenerating_fixtures_gives_identical_files(tmp_path: Path) -> None:
    for fixture in make_fixtures.FIXTURES.values():
        make_fixtures.build(fixture, tmp_path)
    make_fixtures.write_readme(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    committed = {p.name for p in FIXTURE_DIR.iterdir()}
    assert set(written) <= committed
    assert {p.name for p in FIXTURE_DIR.glob("*.evtx")} <= set(written)
    for name in written:
        assert (tmp_path / name).read_bytes() == (FIXTURE_DIR / name).read_bytes(), name


def test_goldens_are_the_enriched_intended_events() -> None:
    for name, fixture in make_fixtures.FIXTURES.items():
        lines = (FIXTURE_DIR / f"{name}.golden.jsonl").read_text(encoding="utf-8").splitlines()
        golden = [json.loads(line) for line in lines]
        events = {e.record_id: e for e in fixture.events()}
        assert all(g["source"] == fixture.filename for g in golden)
        for g in golden:
            event = events[g["record_id"]]
            assert (g["event_id"], g["timestamp"], g["activity_id"]) == (
                event.event_id, event.timestamp, event.activity_id,
            )
        if fixture.damage is None:
            assert len(golden) == len(events)
        else:
            assert len(events) - len(golden) > 0


# -- damage -----------------------------------------------------------------------------------


def test_damaged_chunk_loses_exactly_that_chunk() -> None:
    path = FIXTURE_DIR / "damaged-chunk.evtx"
    golden_ids = _golden_ids("damaged-chunk")
    with pytest.raises(RuntimeError):
        rust_records(path)
    records, problems = rust_records(path, skip_errors=True)
    assert [r["id"] for r in records] == golden_ids
    assert len(problems) == 1 and "magic" in problems[0]
    events = {e.record_id: e for e in intended("damaged-chunk")}
    for record in records:
        assert_rust_matches(record, events[record["id"]])
    assert len(events) - len(golden_ids) > 20  # a whole chunk of records is gone


def test_damaged_record_is_the_only_fault_but_rust_drops_the_rest_of_its_chunk() -> None:
    path = FIXTURE_DIR / "damaged-record.evtx"
    events = intended("damaged-record")
    golden_ids = _golden_ids("damaged-record")
    (victim,) = {e.record_id for e in events} - set(golden_ids)
    # Checksums still validate: the bad size is the only thing wrong with the file.
    records, problems = rust_records(path, skip_errors=True, validate=True)
    assert len(problems) == 1 and f"record number {victim}" in problems[0]
    # The Rust parser cannot resynchronise inside a chunk: it returns the records before the
    # damaged one and every other chunk. The rest of the victim's chunk is intact on disk (the
    # golden keeps it) and needs a reader that scans for the next record signature.
    first_chunk_last = _chunk_ranges(path)[0][1]
    lost_by_rust = set(range(victim, first_chunk_last + 1))
    assert [r["id"] for r in records] == [i for i in golden_ids if i not in lost_by_rust]
    by_id = {e.record_id: e for e in events}
    for record in records:
        assert_rust_matches(record, by_id[record["id"]])


@pytest.mark.parametrize("name", ["damaged-chunk", "damaged-record"])
def test_damage_touches_only_the_bytes_it_means_to(name: str, tmp_path: Path) -> None:
    fixture = make_fixtures.FIXTURES[name]
    clean = tmp_path / fixture.filename
    write_evtx(clean, fixture.events())
    before, after = clean.read_bytes(), (FIXTURE_DIR / fixture.filename).read_bytes()
    assert len(before) == len(after)
    changed = [i for i in range(len(before)) if before[i] != after[i]]
    first_chunk = damage.chunk_offset(0)
    if name == "damaged-chunk":  # the signature of chunk 1, nothing else
        assert set(changed) <= set(range(damage.chunk_offset(1), damage.chunk_offset(1) + 8))
    else:  # one record's size field, and chunk 0's two CRCs recomputed to match
        victim = next(p for p in damage.records(clean) if p.record_id not in _golden_ids(name))
        size_field = range(first_chunk + victim.offset + 4, first_chunk + victim.offset + 8)
        crcs = [*range(first_chunk + 52, first_chunk + 56),
                *range(first_chunk + 124, first_chunk + 128)]
        assert set(changed) <= {*size_field, *crcs}
        assert set(changed) & set(size_field)
    assert changed


def _golden_ids(name: str) -> list[int]:
    lines = (FIXTURE_DIR / f"{name}.golden.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["record_id"] for line in lines]


def _chunk_ranges(path: Path) -> list[tuple[int, int]]:
    data = path.read_bytes()
    out = []
    for chunk in range(damage.chunk_count(path)):
        first, last = struct.unpack_from("<QQ", data, damage.chunk_offset(chunk) + 24)
        out.append((first, last))
    return out


@pytest.fixture
def mix_file(tmp_path: Path) -> Path:
    path = tmp_path / "mix.evtx"
    write_evtx(path, scenarios.random_mix(seed=11, count=250))
    return path


@pytest.mark.parametrize("corrupt", [damage.corrupt_chunk_header_crc,
                                     damage.corrupt_chunk_records_crc])
def test_checksum_damage_loses_the_chunk_only_when_validating(mix_file: Path, corrupt: Any) -> None:
    all_ids = [r["id"] for r in rust_records(mix_file)[0]]
    ranges = _chunk_ranges(mix_file)
    corrupt(mix_file, 1)
    records, problems = rust_records(mix_file, skip_errors=True)
    assert len(problems) == 1 and "CRC32" in problems[0]
    first, last = ranges[1]
    assert [r["id"] for r in records] == [i for i in all_ids if not first <= i <= last]
    unvalidated, problems = rust_records(mix_file, validate=False)
    assert problems == [] and [r["id"] for r in unvalidated] == all_ids


def test_bad_size_on_a_chunks_last_record_loses_only_that_record(mix_file: Path) -> None:
    all_ids = [r["id"] for r in rust_records(mix_file)[0]]
    last = _chunk_ranges(mix_file)[0][1]
    damage.corrupt_record_size(mix_file, last)
    records, problems = rust_records(mix_file, skip_errors=True)
    assert len(problems) == 1
    assert [r["id"] for r in records] == [i for i in all_ids if i != last]


def test_corrupting_a_missing_record_is_an_error(mix_file: Path) -> None:
    with pytest.raises(KeyError):
        damage.corrupt_record_size(mix_file, 10_000)


# -- the file format itself -------------------------------------------------------------------


def test_headers_follow_the_format(tmp_path: Path) -> None:
    path = tmp_path / "trace.evtx"
    summary = write_evtx(path, scenarios.random_mix(seed=3, count=300))
    data = path.read_bytes()
    assert len(data) == FILE_HEADER_SIZE + summary.chunks * CHUNK_SIZE
    magic, first, last, next_id, size, minor, major, block, count = struct.unpack_from(
        "<8sQQQIHHHH", data
    )
    assert (magic, first, last, next_id) == (b"ElfFile\x00", 0, summary.chunks - 1, 301)
    assert (size, minor, major, block, count) == (128, 1, 3, 4096, summary.chunks)
    assert struct.unpack_from("<I", data, 124)[0] == zlib.crc32(data[:120])
    assert data[128:FILE_HEADER_SIZE] == bytes(FILE_HEADER_SIZE - 128)
    expected_id = 1
    for chunk in range(summary.chunks):
        base = damage.chunk_offset(chunk)
        head = data[base:base + 512]
        fields = struct.unpack_from("<8sQQQQIIII", head)
        magic, num_first, num_last, id_first, id_last, hsize, last_off, free, crc = fields
        assert magic == b"ElfChnk\x00" and hsize == 128
        assert (num_first, num_last) == (id_first, id_last) == summary.chunk_records[chunk]
        assert crc == zlib.crc32(data[base + 512:base + free])
        assert struct.unpack_from("<I", head, 124)[0] == zlib.crc32(head[:120] + head[128:])
        assert data[base + free:base + CHUNK_SIZE] == bytes(CHUNK_SIZE - free)
        offset = 512
        while offset < free:  # records are contiguous and never cross the chunk's end
            rmagic, rsize, rid, _written = struct.unpack_from("<IIQQ", data, base + offset)
            assert (rmagic, rid) == (0x2A2A, expected_id)
            assert offset + rsize <= free <= CHUNK_SIZE
            assert struct.unpack_from("<I", data, base + offset + rsize - 4)[0] == rsize
            last_seen, offset, expected_id = offset, offset + rsize, expected_id + 1
        assert offset == free and last_seen == last_off
    assert expected_id == 301


def test_each_shape_is_defined_once_per_chunk_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "trace.evtx"
    events = list(scenarios.random_mix(seed=4, count=400))
    write_evtx(path, events)
    data = path.read_bytes()
    shapes = {e.record_id: (e.provider, tuple(e.data)) for e in events}
    defined: dict[int, dict[tuple[Any, ...], int]] = {}
    for place in damage.records(path):
        base = damage.chunk_offset(place.chunk)
        token, _version, template_id, def_offset = struct.unpack_from(
            "<BBII", data, base + place.offset + 28
        )
        assert token == 0x0C
        seen = defined.setdefault(place.chunk, {})
        shape = shapes[place.record_id]
        if def_offset == place.offset + 38:  # defined inline: first use in this chunk
            assert shape not in seen
            seen[shape] = def_offset
        else:
            assert seen[shape] == def_offset
        table = struct.unpack_from("<32I", data, base + 384)
        assert def_offset in _template_chain(data, base, table[template_id % 32])
    assert len(defined) >= 3


def _template_chain(data: bytes, base: int, offset: int) -> set[int]:
    out = set()
    while offset:
        out.add(offset)
        offset = struct.unpack_from("<I", data, base + offset)[0]
    return out


def _event(**changes: Any) -> Event:
    entry = CATALOG.by_id(214)
    assert entry is not None
    fields: dict[str, Any] = dict(
        record_id=None, timestamp="2024-01-02T03:04:05.0000001Z",
        provider=CATALOG.provider_name, provider_guid=CATALOG.provider_guid, event_id=214,
        version=0, level_value=4, task_id=entry.task_id, opcode_id=entry.opcode_id,
        keywords_mask=entry.keywords_mask, channel=entry.channel, computer="HOST",
        process_id=1, thread_id=2, activity_id=None, related_activity_id=None,
        data={"MethodName": "Add", "Duration": 3, "HostReference": None, "AppDomain": "d"},
    )
    fields.update(changes)
    return Event(**fields)


def test_nulls_unicode_and_escaping_reach_both_parsers(tmp_path: Path) -> None:
    events = [
        _event(data={"MethodName": "Zürich 😀 <a&b> \"q\" 'a'", "Duration": -7,
                     "HostReference": None, "AppDomain": "/LM/W3SVC/1/ROOT/x-1-2"}),
        _event(activity_id="11111111-2222-3333-4444-555555555555"),
        _event(related_activity_id="11111111-2222-3333-4444-555555555555"),
        _event(timestamp="2024-01-02T03:04:05.0000000Z"),
        _event(timestamp="2024-01-02T03:04:05.1000000Z"),
        _event(timestamp="2024-01-02T03:04:05.0000001Z"),
    ]
    path = tmp_path / "edge.evtx"
    summary = write_evtx(path, events)
    assert summary.records == 6 and summary.next_record_id == 7
    for i, event in enumerate(events, start=1):
        event.record_id = i
    records, problems = rust_records(path)
    assert problems == []
    for record, event in zip(records, events, strict=True):
        assert_rust_matches(record, event)
    assert records[0]["Event"]["System"]["Correlation"] is None  # no attribute left at all
    with PyEvtx.Evtx(str(path)) as log:
        for record, event in zip(log.records(), events, strict=True):
            assert_substitutions_match(record.root().substitutions(), event)
            assert_python_xml_matches(record.xml(), event)


def test_other_providers_get_types_from_their_values(tmp_path: Path) -> None:
    common: dict[str, Any] = dict(
        timestamp="2024-01-02T03:04:05.0000000Z", provider="Contoso-Other",
        provider_guid="0f8fad5b-d9cb-469f-a165-70867728950e", version=1, level_value=4,
        task_id=0, opcode_id=0, channel="Application", computer="H", process_id=1, thread_id=2,
    )
    events = [
        Event(event_id=7, keywords_mask=1 << 63, **common,
              data={"Count": 5, "Text": "x", "Flag": True, "Missing": None}),
        Event(event_id=8, keywords_mask=0, **common),
    ]
    path = tmp_path / "other.evtx"
    write_evtx(path, events)
    records, problems = rust_records(path)
    assert problems == []
    first, second = (r["Event"] for r in records)
    assert first["System"]["Provider"]["#attributes"]["Guid"] == (
        "{0F8FAD5B-D9CB-469F-A165-70867728950E}"
    )
    assert first["EventData"] == {"Count": 5, "Text": "x", "Flag": True, "Missing": ""}
    assert first["System"]["Keywords"] == "0x8000000000000000"
    assert second["System"]["Keywords"] == "0x0"
    assert "EventData" not in second  # no payload, no <EventData>


def test_writer_streams_chunk_by_chunk() -> None:
    stream = io.BytesIO()
    writer = EvtxWriter(stream)
    source = scenarios.random_mix(seed=5, count=5000)
    for event in source:
        writer.write(event)
        if writer.summary.chunks == 2:
            break
    # Two full chunks are already on the stream while most of the trace is still ungenerated.
    assert len(stream.getvalue()) == FILE_HEADER_SIZE + 2 * CHUNK_SIZE
    summary = writer.close()
    assert summary.chunks == 3


@pytest.mark.parametrize("method, host", [("x" * 33_000, "h"), ("x" * 20_000, "y" * 20_000)])
def test_a_record_too_big_for_any_chunk_is_refused(tmp_path: Path, method: str, host: str) -> None:
    huge = _event(data={"MethodName": method, "Duration": 1, "HostReference": host,
                        "AppDomain": "d"})
    with pytest.raises(ValueError, match="does not fit"):
        write_evtx(tmp_path / "huge.evtx", [_event(), huge])


def test_wrongly_typed_values_are_refused(tmp_path: Path) -> None:
    bad = _event(data={"MethodName": "Add", "Duration": "soon", "HostReference": "h",
                       "AppDomain": "d"})
    with pytest.raises(TypeError, match="soon"):
        write_evtx(tmp_path / "bad.evtx", [bad])


def test_an_empty_trace_is_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.evtx"
    summary = write_evtx(path, [])
    assert (summary.records, summary.chunks) == (0, 0)
    assert rust_records(path) == ([], [])


def test_name_hash_matches_windows() -> None:
    # Hashes Windows stored for these names in a real Security.evtx chunk.
    for name, stored in (("System", 21615), ("EventData", 33348), ("Data", 28554),
                         ("Computer", 28219), ("EventRecordID", 838)):
        assert bx.name_hash(name) & 0xFFFF == stored


# -- scenarios --------------------------------------------------------------------------------


def test_scenarios_are_deterministic() -> None:
    for name in scenarios.SCENARIOS:
        first = [e.to_dict() for e in scenarios.generate(name, seed=9, count=2)]
        again = [e.to_dict() for e in scenarios.generate(name, seed=9, count=2)]
        assert first == again and first
    other = [e.to_dict() for e in scenarios.generate("mix", seed=10, count=2)]
    assert other != [e.to_dict() for e in scenarios.generate("mix", seed=9, count=2)]


@pytest.mark.parametrize("name", ["activation-failure", "service-call", "throttling", "workflow",
                                  "all-events", "mix"])
def test_scenario_events_carry_catalog_facts_and_real_values(name: str) -> None:
    events = list(scenarios.generate(name))
    assert [e.record_id for e in events] == list(range(1, len(events) + 1))
    times = [ticks(e) for e in events]
    assert times == sorted(times)
    for event in events:
        entry = CATALOG.by_id(event.event_id)
        assert entry is not None
        assert (event.version, event.level_value, event.task_id, event.opcode_id,
                event.keywords_mask) == (
            entry.version, entry.level_value, entry.task_id, entry.opcode_id,
            entry.keywords_mask)
        # The channel a record carries is the one its mask's channel bit names.
        channel_bit = CATALOG.channel_bits.get(event.channel or "", 0)
        assert event.channel == entry.channel if not channel_bit else (
            entry.keywords_mask & channel_bit)
        assert list(event.data) == [f.name for f in entry.fields]
        for spec in entry.fields:
            value = event.data[spec.name]
            assert value != "", (event.event_id, spec.name)
            if spec.type == "win:FILETIME":
                assert iso_to_filetime(value) > 0  # to the 100 ns tick, as Windows writes
            if spec.type == "win:GUID":
                assert canonical_guid(value) == value
            if spec.type.startswith(("win:Int", "win:UInt")):
                assert isinstance(value, int)
        if event.event_id == scenarios.TRANSFER:
            assert event.activity_id and event.related_activity_id
            assert event.activity_id != event.related_activity_id


def test_scenarios_tell_their_stories() -> None:
    ids = {name: {e.event_id for e in scenarios.generate(name)} for name in scenarios.SCENARIOS}
    assert {4031, 4001, 4010, 4014, 4026, 4027} <= ids["activation-failure"]
    assert set(range(201, 226)) <= ids["service-call"]
    assert {210, 224, 3552, 57398} <= ids["throttling"]
    workflow_ids = {e.event_id for e in CATALOG if 100 <= e.event_id <= 119
                    or 1001 <= e.event_id <= 1041}
    assert workflow_ids <= ids["workflow"]
    assert ids["all-events"] == {e.event_id for e in CATALOG}


def test_transfers_start_activities_that_later_records_use() -> None:
    for name in ("service-call", "workflow", "mix"):
        events = list(scenarios.generate(name))
        children = {e.related_activity_id for e in events if e.event_id == scenarios.TRANSFER}
        used = {e.activity_id for e in events if e.event_id != scenarios.TRANSFER}
        assert children and children & used
        per_activity: dict[str | None, int] = {}
        for event in events:
            per_activity[event.activity_id] = per_activity.get(event.activity_id, 0) + 1
        assert max(per_activity.values()) >= 5  # activities really are reused


def test_mix_has_errors_and_warnings_among_verbose_traffic() -> None:
    events = list(scenarios.generate("mix", seed=1, count=3000))
    assert len(events) == 3000
    levels = [e.level_value for e in events]
    assert levels.count(5) + levels.count(4) > 0.8 * len(levels)
    assert levels.count(3) >= 5 and levels.count(2) >= 3
    assert len({e.process_id for e in events}) >= 3
    assert len({e.thread_id for e in events}) >= 6
