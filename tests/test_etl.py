"""The .etl reader on files written by the ETL writer: twins of the .evtx and XML fixtures,
accounting, damage, compression and the command line.

The .etl fixtures are the .evtx fixtures' scenarios laid out as an ETW session writes them
(tools/make_etl_fixtures.py). Against the .evtx goldens an .etl record differs only in what the
format lacks or adds: no EventRecordID (`record_id` is null) and no computer name (`computer`
is null); `extra` gains ProcessorID, KernelTime and UserTime from the EVENT_HEADER, which the
.evtx writer does not write (Windows does, for Analytic channels).
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from wcfevents.cli import main
from wcfevents.model import Event
from wcfevents.pipeline import Stats, detect, read
from wcfevents.sources import Input, InputError
from wcfevents.sources.etl.xpress import decompress
from wcfevents.testing import scenarios
from wcfevents.testing.etl_writer import EtlOptions, EtlWriter, write_etl
from wcfevents.testing.lz77 import compress

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
sys.path.insert(0, str(ROOT / "tools"))
import make_etl_fixtures  # noqa: E402
import make_xml_fixtures  # noqa: E402

NAMES = list(make_etl_fixtures.ETL_FIXTURES)
ETL_ONLY_EXTRA = {"ProcessorID", "KernelTime", "UserTime"}
LACKING = {"record_id", "computer", "source"}


def golden(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / name).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def decode(path: Path, **options: Any) -> tuple[list[dict[str, Any]], Stats, list[Any]]:
    stats = Stats()
    reports: list[Any] = []
    records = [e.to_dict() for e in read([str(path)], stats=stats, on_damage=reports.append,
                                         on_unreadable=reports.append, **options)]
    return records, stats, reports


def comparable(record: dict[str, Any], dropped: set[str]) -> dict[str, Any]:
    out = {k: v for k, v in record.items() if k not in dropped}
    if "extra" in out:
        out["extra"] = {k: v for k, v in out["extra"].items() if k not in ETL_ONLY_EXTRA}
    return out


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("name", NAMES)
def test_etl_twin_equals_the_evtx_golden(name: str) -> None:
    records, stats, _ = decode(FIXTURES / f"{name}.etl")
    theirs = golden(f"{name}.golden.jsonl")
    assert len(records) == len(theirs) == stats.read == stats.matched
    for mine, evtx in zip(records, theirs, strict=True):
        assert mine["record_id"] is None and mine["computer"] is None
        assert set(mine["extra"]) >= {"ProcessorID"}
        # An ETW payload cannot say absent: a NULL string of the .evtx twin is "" here.
        expected = comparable(evtx, LACKING)
        if "data" in expected and any(v is None for v in expected["data"].values()):
            expected["data"] = {k: "" if v is None else v for k, v in expected["data"].items()}
            expected.pop("message", None)
            mine = {k: v for k, v in mine.items() if k != "message"}
        assert comparable(mine, LACKING) == expected
    assert stats.complete and stats.lost == 0


@pytest.mark.parametrize("name", sorted(make_xml_fixtures.XML_FIXTURES))
def test_etl_twin_equals_the_xml_twin(name: str) -> None:
    """The three formats of one scenario: what XML and .etl share is equal."""
    fixture = make_xml_fixtures.XML_FIXTURES[name]
    xml = [r for r in golden(fixture.golden_name)
           if r["provider_guid"] == "c651f5f6-1c0d-492e-8ae1-b4efd7c9d503"]
    etl, _, _ = decode(FIXTURES / f"{fixture.scenario}.etl")
    dropped = LACKING | {"extra"}  # tracerpt and rendered XML keep other things in extra
    assert [comparable(r, dropped) for r in etl] == [comparable(r, dropped) for r in xml]


def test_fixtures_cover_the_layouts() -> None:
    options = [f.options for f in make_etl_fixtures.ETL_FIXTURES.values()]
    assert any(o.compressed for o in options)
    assert {o.pointer_size for o in options} == {4, 8}
    assert {o.clock for o in options} == {1, 2, 3}
    assert any(o.wow64_pids for o in options) and any(o.lost_flag_buffers for o in options)
    for name in NAMES:
        assert (FIXTURES / f"{name}.etl").stat().st_size < 300_000


def test_etl_fixtures_are_current(tmp_path: Path) -> None:
    for fixture in make_etl_fixtures.ETL_FIXTURES.values():
        make_etl_fixtures.build(fixture, tmp_path)
    make_etl_fixtures.write_readme(tmp_path)
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), path.name


def test_file_order_is_not_time_order_but_output_is() -> None:
    """The fixture's buffers interleave processors; the reader merges them by time stamp."""
    import os

    from wcfevents.sources.etl import read_layout

    fd = os.open(FIXTURES / "all-events.etl", os.O_RDONLY)
    try:
        layout = read_layout(fd, "all-events.etl")
    finally:
        os.close(fd)
    stamps = [b.timestamp for b in layout.buffers[1:]]
    assert stamps != sorted(stamps)
    assert len({b.processor for b in layout.buffers[1:]}) > 2
    records, _, _ = decode(FIXTURES / "all-events.etl")
    times = [r["timestamp"] for r in records]
    assert times == sorted(times)


def test_equal_time_stamps_keep_file_order(tmp_path: Path) -> None:
    events = list(scenarios.service_call(seed=2, count=1))
    for event in events:
        event.timestamp = events[0].timestamp
    path = tmp_path / "same.etl"
    write_etl(path, events, EtlOptions(buffer_size=4096, processors=1))
    records, _, _ = decode(path)
    assert [r["event_id"] for r in records] == [e.event_id for e in events]


def test_related_activity_and_32_bit_records() -> None:
    records, _, _ = decode(FIXTURES / "service-call.etl")
    transfers = [r for r in records if r["event_id"] == 499]
    assert transfers and all(r["related_activity_id"] for r in transfers)
    client = [r for r in records if r["process_id"] == scenarios.CLIENT.process_id]
    assert client  # written with 32-bit EVENT_HEADERs, decoded like the rest
    assert any(r["data"] for r in client)


def test_user_sid_and_related_activity_items_together(tmp_path: Path) -> None:
    events = list(scenarios.service_call(seed=2, count=1))
    sid = "S-1-5-21-3623811015-3361044348-30300820-1013"
    for event in events:
        event.extra = {"UserID": sid}
    path = tmp_path / "sid.etl"
    write_etl(path, events, EtlOptions(buffer_size=4096))
    records, stats, _ = decode(path)
    assert stats.complete and len(records) == len(events)
    assert all(r["extra"]["UserID"] == sid for r in records)
    assert [r["related_activity_id"] for r in records] == [
        e.related_activity_id for e in events]


def test_skipped_and_session_lost_are_counted_not_lost() -> None:
    records, stats, _ = decode(FIXTURES / "service-call.etl")
    kernel = len(records) // 7
    assert stats.skipped == kernel + 1  # the kernel records and the log-file header record
    assert stats.lost == 0 and stats.complete
    records, stats, reports = decode(FIXTURES / "workflow.etl")
    assert stats.session_lost == 5 and stats.complete
    assert any("lost 5 events" in str(r) for r in reports)


def test_cli_keyword_symbols_equal_the_evtx_twin() -> None:
    etl = invoke("decode", str(FIXTURES / "activation-failure.etl"), "--keyword",
                 "ActivationServices", "--format", "json")
    evtx = invoke("decode", str(FIXTURES / "activation-failure.evtx"), "--keyword",
                  "ActivationServices", "--format", "json")
    assert etl.exit_code == evtx.exit_code == 0
    symbols = [json.loads(line)["symbol"] for line in etl.stdout.splitlines()]
    assert symbols == [json.loads(line)["symbol"] for line in evtx.stdout.splitlines()]
    assert len(symbols) > 10


@pytest.mark.parametrize("name", ["service-call", "workflow", "throttling"])
def test_summary_and_activities_equal_the_evtx_twin(name: str) -> None:
    summaries = [json.loads(invoke("summary", str(FIXTURES / f"{name}.{ext}"), "--format",
                                   "json").stdout) for ext in ("etl", "evtx")]
    for summary in summaries:
        del summary["records"]
    assert summaries[0] == summaries[1]
    activities = [invoke("activities", str(FIXTURES / f"{name}.{ext}"), "--format", "json")
                  for ext in ("etl", "evtx")]
    assert activities[0].exit_code == activities[1].exit_code == 0
    assert activities[0].stdout == activities[1].stdout


def test_cli_stats_line_and_exit_code_for_session_loss() -> None:
    result = invoke("decode", str(FIXTURES / "workflow.etl"), "--count", "--stats")
    assert result.exit_code == 0
    assert result.stdout.strip() == "66"
    assert "lost 5 events" in result.stderr
    assert "1 records of other kinds skipped; 5 events lost by the trace session" in result.stderr


def test_detected_from_content_and_forced(tmp_path: Path) -> None:
    renamed = tmp_path / "trace.bin"
    renamed.write_bytes((FIXTURES / "throttling.etl").read_bytes())
    assert detect(Input(str(renamed), renamed)) == "etl"
    forced, _, _ = decode(renamed, input_format="etl")
    assert len(forced) == 91
    result = invoke("decode", str(tmp_path), "--count")  # directories: only .etl/.evtx/.xml
    assert result.stdout.strip() == "0" and result.exit_code == 2
    (tmp_path / "t.etl").write_bytes(renamed.read_bytes())
    assert invoke("decode", str(tmp_path), "--count").stdout.strip() == "91"


def test_stdin(tmp_path: Path) -> None:
    data = (FIXTURES / "service-call.etl").read_bytes()
    result = CliRunner().invoke(main, ["decode", "-", "--count"], input=data)
    assert result.exit_code == 0 and result.stdout.strip() == "59"


def test_truncated_file_is_damage_with_exit_1(tmp_path: Path) -> None:
    data = (FIXTURES / "activation-failure.etl").read_bytes()
    whole, _, _ = decode(FIXTURES / "activation-failure.etl")
    # A whole buffer gone, a buffer cut inside its records, a buffer cut in its unused tail.
    for cut, fewer in ((len(data) - 8192, True), (len(data) - 5000, True), (len(data) - 30, False)):
        path = tmp_path / "cut.etl"
        path.write_bytes(data[:cut])
        records, stats, reports = decode(path)
        assert not stats.complete and stats.unknown_loss >= 1
        assert any("cut short" in str(r) for r in reports)
        assert (len(records) < len(whole)) == fewer
        kept = [comparable(r, {"source"}) for r in whole]
        assert all(comparable(r, {"source"}) in kept for r in records)
        result = invoke("decode", str(path), "--count")
        assert result.exit_code == 1 and "cut short" in result.stderr


def test_short_payload_and_extra_bytes(tmp_path: Path) -> None:
    class Cutting(EtlWriter):
        def _payload(self, event: Event) -> bytes:
            raw = super()._payload(event)
            if event.event_id == 214:  # OperationCompleted: MethodName, Duration, …
                return raw[:len(event.data["MethodName"]) * 2 + 2 + 2]
            if event.event_id == 221:
                return raw + b"\x01\x02\x03"
            return raw

    path = tmp_path / "short.etl"
    with path.open("wb") as fh:
        writer = Cutting(fh, EtlOptions(buffer_size=8192))
        for event in scenarios.service_call(seed=2, count=3):
            writer.write(event)
        writer.close()
    records, stats, _ = decode(path)
    assert stats.complete
    short = next(r for r in records if r["event_id"] == 214)
    assert list(short["data"]) == ["MethodName"]
    assert short["extra"]["PayloadMissing"][0] == "Duration"
    longer = next(r for r in records if r["event_id"] == 221)
    assert longer["extra"]["PayloadExtra"] == "010203"


def test_other_compression_is_one_clear_error(tmp_path: Path) -> None:
    data = bytearray((FIXTURES / "service-call.etl").read_bytes())
    first = 1024  # the first compressed buffer, after the 1 KiB header buffer
    size = int.from_bytes(data[first:first + 4], "little")
    data[first + 0x48:first + size] = (struct.pack("<H", 0xB000 | (size - 0x48 - 3))
                                       + bytes(size - 0x48 - 2))
    path = tmp_path / "lznt1.etl"
    path.write_bytes(bytes(data))
    result = invoke("decode", str(path), "--count")
    assert result.exit_code == 2
    assert "LZNT1" in result.stderr and "only XPRESS" in result.stderr


def test_xpress_huffman_is_named_too(tmp_path: Path) -> None:
    data = bytearray((FIXTURES / "service-call.etl").read_bytes())
    first = 1024
    size = int.from_bytes(data[first:first + 4], "little")
    table = bytes([0x99] * 256)  # 512 codes of 9 bits: a complete prefix code
    data[first + 0x48:first + size] = (table + bytes(size - 0x48))[:size - 0x48]
    path = tmp_path / "huffman.etl"
    path.write_bytes(bytes(data))
    result = invoke("decode", str(path), "--count")
    assert result.exit_code == 2 and "XPRESS Huffman" in result.stderr


def test_damaged_xpress_is_damage_not_another_format(tmp_path: Path) -> None:
    data = bytearray((FIXTURES / "service-call.etl").read_bytes())
    first = 1024
    data[first + 0x48 + 40:first + 0x48 + 48] = b"\xff" * 8  # far matches into nothing
    path = tmp_path / "damaged.etl"
    path.write_bytes(bytes(data))
    records, stats, reports = decode(path)
    assert not stats.complete and any("buffer 1" in str(r) for r in reports)
    assert 0 < len(records) < 59


def test_not_an_etl_file(tmp_path: Path) -> None:
    path = tmp_path / "x.etl"
    path.write_bytes(b"\x00" * 5000)
    with pytest.raises(InputError):
        list(read([str(path)], input_format="etl"))


@pytest.mark.parametrize("data", [b"", b"a", b"abc" * 100, bytes(range(256)) * 40,
                                  b"\x00" * 70000, "Müller & Söhne".encode("utf-16-le") * 50])
def test_xpress_round_trip(data: bytes) -> None:
    assert decompress(compress(data), len(data)) == data


def test_xpress_spec_examples() -> None:
    """The two plain LZ77 examples of MS-XCA section 3.1."""
    assert decompress(bytes.fromhex("3f000000") + b"abcdefghijklmnopqrstuvwxyz", 1 << 20) == \
        b"abcdefghijklmnopqrstuvwxyz"
    assert decompress(bytes.fromhex("ffffff1f6162631700" "0fff2601"), 1 << 20) == b"abc" * 100


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet="ab\u00e9\x00\U0001F600", max_size=4), min_size=1,
                      max_size=5),
       cut=st.integers(min_value=-1, max_value=60), junk=st.binary(max_size=5),
       shift=st.booleans())
def test_trailing_strings_read_at_once_equal_field_by_field(texts: list[str], cut: int,
                                                             junk: bytes, shift: bool) -> None:
    """The one-decode path for trailing UnicodeStrings agrees with reading them one by one,
    on whole, cut, padded and odd-aligned payloads."""
    from wcfevents.sources.etl import payload

    data = b"".join(t.encode("utf-16-le") + b"\0\0" for t in texts) + junk
    data = (b"A" if shift else b"") + (data if cut < 0 else data[:cut])
    names = tuple(f"f{i}" for i in range(len(texts)))
    fields = payload.plan([(n, "win:UnicodeString") for n in names])
    one_by_one = payload.Plan(tuple((n, payload.read_unicode) for n in names), ())
    assert payload.decode(fields, data, 8) == payload.decode(one_by_one, data, 8)


@pytest.mark.parametrize("which", [0, -1])
def test_record_offsets_past_the_buffer_end_cost_no_record(tmp_path: Path, which: int) -> None:
    clean = tmp_path / "clean.etl"
    summary = write_etl(clean, scenarios.service_call(seed=3, count=3),
                        EtlOptions(buffer_size=8192))
    whole, _, _ = decode(clean)
    data = bytearray(clean.read_bytes())
    at = summary.buffer_offsets[which]
    size = struct.unpack_from("<I", data, at)[0]
    struct.pack_into("<I", data, at + 4, size + 504)  # SavedOffset
    struct.pack_into("<I", data, at + 0x30, size + 504)  # Offset
    path = tmp_path / "offsets.etl"
    path.write_bytes(bytes(data))
    records, stats, reports = decode(path)
    assert [comparable(r, {"source"}) for r in records] == [
        comparable(r, {"source"}) for r in whole]
    assert stats.damaged == 1 and stats.lost == 0 and stats.unknown_loss == 0
    assert [(r.offset, r.lost) for r in reports] == [(at, 0)]
    result = invoke("decode", str(path), "--count")
    # A warning alone: nothing was lost, so the exit code stays 0.
    assert result.exit_code == 0 and "past the buffer's end" in result.stderr


def test_a_compressed_buffer_with_an_impossible_size_costs_that_buffer_only(
        tmp_path: Path) -> None:
    clean = tmp_path / "clean.etl"
    summary = write_etl(clean, scenarios.service_call(seed=3, count=3),
                        EtlOptions(buffer_size=8192, compressed=True))
    assert len(summary.buffer_offsets) >= 3
    whole, _, _ = decode(clean)
    data = bytearray(clean.read_bytes())
    at = summary.buffer_offsets[1]
    struct.pack_into("<I", data, at + 4, 100_000_000)  # SavedOffset: the inflated size
    path = tmp_path / "inflated.etl"
    path.write_bytes(bytes(data))
    records, stats, reports = decode(path)
    kept = [comparable(r, {"source"}) for r in whole]
    assert 0 < len(records) < len(whole)
    assert all(comparable(r, {"source"}) in kept for r in records)
    assert [r.offset for r in reports] == [at] and "skipped it" in reports[0].detail
    assert stats.unknown_loss == 1
    # Only buffer 1's events are missing: the buffers after it are read.
    alone = tmp_path / "without.etl"
    end = summary.buffer_offsets[2]
    alone.write_bytes(bytes(data[:at]) + bytes(data[end:]))
    assert [comparable(r, {"source"}) for r in decode(alone)[0]] == [
        comparable(r, {"source"}) for r in records]
