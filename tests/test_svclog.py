""".svclog files: each mapping rule on bytes our writer produced, the fixtures against their
goldens, framing in constant memory, damage and detection."""

from __future__ import annotations

import codecs
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wcfevents.api import read
from wcfevents.cli import main
from wcfevents.enrich import enrich
from wcfevents.model import Event
from wcfevents.pipeline import Stats, detect, expand
from wcfevents.sources import Damage, Input
from wcfevents.sources.svclog import SvclogReader
from wcfevents.sources.svclog_frames import Fragment, fragments
from wcfevents.testing.svclog_scenarios import IDENTIFIER, divide_by_zero, message_log, trace_log
from wcfevents.testing.svclog_writer import (
    ExceptionInfo,
    MessageLog,
    Record,
    cut_last,
    write_svclog,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
T0 = "2026-03-02T09:15:00.1234567Z"
GOLDENS = ("svclog-service", "svclog-service.messages", "svclog-cut")


def decode(records: list[Record] | bytes, **options: Any) -> tuple[list[Event], list[Damage]]:
    """Enriched events of records written to bytes, read through the reader."""
    data = records if isinstance(records, bytes) else write_svclog(records)
    damage: list[Damage] = []
    events = [enrich(e) for e in SvclogReader().events(
        Input("t.svclog", stream=io.BytesIO(data)), damage.append, **options) if e is not None]
    return events, damage


def one(record: Record) -> Event:
    events, damage = decode([record])
    assert damage == []
    assert len(events) == 1
    return events[0]


def golden(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / f"{name}.golden.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


# -- fixtures ---------------------------------------------------------------------------------


def test_fixtures_are_current() -> None:
    """The committed fixtures are exactly what the committed tool writes (byte for byte)."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_svclog_fixtures.py"),
                             "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", GOLDENS)
def test_fixture_decodes_to_its_golden(name: str) -> None:
    stats = Stats()
    damage: list[Damage] = []
    path = FIXTURES / f"{name}.svclog"
    events = list(read([str(path)], stats=stats, on_damage=damage.append))
    records = [dict(e.to_dict(), source=Path(e.source or "").name) for e in events]
    assert records == golden(name)
    assert stats.read == stats.matched == len(records)
    if name == "svclog-cut":
        start = path.read_bytes().rfind(b"<E2ETraceEvent")
        assert [(d.offset, d.lost) for d in damage] == [(start, 1)]
        assert stats.lost == 1 and not stats.complete
    else:
        assert damage == [] and stats.complete


def test_cut_record_exits_1_with_one_warning_naming_file_and_offset() -> None:
    path = FIXTURES / "svclog-cut.svclog"
    result = CliRunner().invoke(main, ["decode", str(path), "--format", "json"])
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == len(golden("svclog-cut"))
    start = path.read_bytes().rfind(b"<E2ETraceEvent")
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [f"wcfevents: warning: {path} at offset {start}: record cut short "
                        "(no </E2ETraceEvent>) (1 record lost)"]


# -- the System header ------------------------------------------------------------------------


@pytest.mark.parametrize(("subtype", "level", "name", "opcode"), [
    ("Critical", 1, "Critical", None), ("Error", 2, "Error", None),
    ("Warning", 3, "Warning", None), ("Information", 4, "Information", None),
    ("Verbose", 5, "Verbose", None), ("Start", 4, "Information", "Start"),
    ("Stop", 4, "Information", "Stop"), ("Suspend", 4, "Information", "Suspend"),
    ("Resume", 4, "Information", "Resume"), ("Transfer", 4, "Information", "Transfer"),
])
def test_subtypes_map_to_etw_levels(subtype: str, level: int, name: str,
                                    opcode: str | None) -> None:
    event = one(Record(T0, subtype, 131085, activity="0A1B2C3D-0000-4000-8000-00000000ABCD"))
    assert (event.level_value, event.level, event.opcode) == (level, name, opcode)
    assert event.extra["SubType"] == subtype


def test_header_keys() -> None:
    event = one(Record(T0, "Transfer", 0, activity="0A1B2C3D-0000-4000-8000-00000000ABCD",
                       related="FFFFFFFF-0000-4000-8000-00000000ABCD", process_name="Calc.exe",
                       process_id=77, thread_id=9, computer="BOX"))
    record = event.to_dict()
    assert record["timestamp"] == T0 and record["provider"] == "System.ServiceModel"
    assert record["activity_id"] == "0a1b2c3d-0000-4000-8000-00000000abcd"
    assert record["related_activity_id"] == "ffffffff-0000-4000-8000-00000000abcd"
    assert (record["process_id"], record["thread_id"], record["computer"]) == (77, 9, "BOX")
    for key in ("record_id", "provider_guid", "version", "task", "keywords_mask", "channel",
                "symbol", "message"):
        assert record[key] is None, key
    assert record["keywords"] == [] and record["data"] == {}
    assert record["extra"] == {"ProcessName": "Calc.exe", "SubType": "Transfer"}


def test_zero_activity_is_none() -> None:
    event = one(Record(T0, "Information", 0x20001, description="AppDomain unloading."))
    assert event.activity_id is None and event.related_activity_id is None


# -- symbols ----------------------------------------------------------------------------------


def test_wcf_source_takes_the_trace_code_name_over_the_identifier() -> None:
    event = one(Record(T0, "Information", 131085, identifier=IDENTIFIER.format("Renamed"),
                       description="x"))
    assert event.symbol == "ActivityBoundary"


def test_wcf_source_takes_the_etw_name_of_a_mirrored_event() -> None:
    event = one(Record(T0, "Error", 3411, channel="Analytic", description="x"))
    assert event.symbol == "HttpPipelineTimeoutException"
    assert event.channel == "Microsoft-Windows-Application Server-Applications/Analytic"


@pytest.mark.parametrize("source", ["System.ServiceModel.MessageLogging",
                                    "System.IdentityModel", "System.Runtime.Serialization",
                                    "System.Activities.DurableInstancing",
                                    "System.Workflow.Runtime"])
def test_every_wcf_and_wf_source_uses_the_catalogs(source: str) -> None:
    assert one(Record(T0, "Warning", 524293, source=source, text="x")).symbol == (
        "CommunicationObjectOpenFailed")


def test_unknown_code_falls_back_to_the_identifier() -> None:
    event = one(Record(T0, "Information", 0xC0001,
                       identifier="http://msdn.microsoft.com/en-US/library/"
                                  "System.IdentityModel.Selectors.TokenProviderIssued.aspx",
                       description="x"))
    assert event.symbol == "TokenProviderIssued"


@pytest.mark.parametrize(("identifier", "symbol"), [
    ("http://contoso.com/Calc/Orders/PricingFailed", "PricingFailed"),
    ("http://msdn.microsoft.com/2004/06/System/Transactions/TransactionException",
     "TransactionException"),
    ("Calc.Diagnostics.Cache.Miss.aspx", "Miss"),
])
def test_user_source_never_borrows_a_catalog_name(identifier: str, symbol: str) -> None:
    event = one(Record(T0, "Information", 131085, source="Calc.Orders", identifier=identifier,
                       description="x"))
    assert event.symbol == symbol
    assert one(Record(T0, "Information", 131085, source="Calc.Orders", text="x")).symbol is None
    assert one(Record(T0, "Information", 131085, source="System.ServiceModelX.Mine",
                      text="x")).symbol == "ActivityBoundary"  # a System.ServiceModel* name


# -- message, data, extra ---------------------------------------------------------------------


def test_wcf_only_keeps_wcf_trace_sources_not_a_users_own() -> None:
    records = [Record(T0, "Information", 0x20001, source="System.ServiceModel", description="a"),
               Record(T0, "Information", 0, source="System.ServiceModel.MessageLogging",
                      message=MessageLog(source="TransportSend", body="<x/>")),
               Record(T0, "Information", 0x20001, source="MyCompany.Orders", description="b")]
    result = CliRunner().invoke(main, ["decode", "-", "--wcf-only", "--format", "json",
                                       "--fields", "provider", "--stats"],
                                input=write_svclog(records))
    assert result.exit_code == 0
    assert [json.loads(line)["provider"] for line in result.stdout.splitlines()] == [
        "System.ServiceModel", "System.ServiceModel.MessageLogging"]
    assert "3 records read, 2 matched, 1 filtered out" in result.stderr


def test_message_is_description_else_text_else_none() -> None:
    assert one(Record(T0, "Information", 1, source="A", description="told")).message == "told"
    assert one(Record(T0, "Information", 1, source="A", text=" plain & <text> ")).message == (
        "plain & <text>")
    assert one(Record(T0, "Information", 1, source="A", text="")).message is None


def test_trace_data_items_are_one_a_line() -> None:
    """TraceSource.TraceData(type, id, a, b) writes one DataItem per object."""
    data = write_svclog([Record(T0, "Information", 1, source="MyCompany.Orders", text="@")])
    data = data.replace(b">@<", b"><TraceData><DataItem>first</DataItem><DataItem> a &amp; b "
                                b"</DataItem><DataItem /></TraceData><")
    events, damage = decode(data)
    assert damage == [] and [e.message for e in events] == ["first\na & b"]


def test_extended_data_leaves() -> None:
    event = one(Record(T0, "Information", 524333, description="x", app_domain="D",
                       identifier="id/Thing",
                       extended=[("A", "1"), ("Box", [("Address", "u1"), ("Address", "u2"),
                                                      ("Inner", [("Address", "u3")])]),
                                 ("Empty", ""), ("Container", []), ("Text", "a &amp; b")]))
    assert event.data == {"A": "1", "Address": ["u1", "u2", "u3"], "Empty": "",
                          "Container": "", "Text": "a &amp; b"}
    assert event.extra == {"TraceIdentifier": "id/Thing", "AppDomain": "D",
                           "ProcessName": "w3wp", "SubType": "Information"}


def test_exception_block_is_unescaped_once_with_inner_exceptions() -> None:
    event = one(Record(T0, "Error", 131075, description="Throwing an exception.",
                       exception=divide_by_zero()))
    block = event.data["Exception"]
    assert block["Message"] == "Division of 1 by 0 failed: a < b && b > 0 expected"
    assert "---> System.DivideByZeroException" in block["ExceptionString"]
    assert "Object[]& outputs" in block["StackTrace"]
    socket = block["InnerException"]["InnerException"]
    assert socket["Message"] == "An existing connection was forcibly closed <by the remote host>"
    assert socket["NativeErrorCode"] == "2746"
    assert "NativeErrorCode" not in block and "InnerException" not in socket
    assert list(block) == ["ExceptionType", "Message", "StackTrace", "ExceptionString",
                           "InnerException"]


def test_a_chain_of_inner_exceptions_too_deep_for_json_is_cut(tmp_path: Path) -> None:
    chain = ExceptionInfo("System.Exception", "level 300", "", "")
    for level in range(299, -1, -1):
        chain = ExceptionInfo("System.Exception", f"level {level}", "", "", inner=chain)
    path = tmp_path / "deep.svclog"
    path.write_bytes(write_svclog([Record(T0, "Error", 131075, description="d", exception=chain),
                                   Record(T0, "Information", 0x20001, description="next")]))
    result = CliRunner().invoke(main, ["decode", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    block = json.loads(result.stdout.splitlines()[0])["data"]["Exception"]
    levels = []
    while block is not None:
        levels.append(block["Message"])
        block = block.get("InnerException")
    assert levels == [f"level {n}" for n in range(33)]


def test_text_that_looks_escaped_stays_outside_exception_blocks() -> None:
    """Only WCF's own extra level is undone: `&lt;` written by a user is text, kept as it is."""
    written = "literal &lt;tag&gt; &amp; more"
    record = Record(T0, "Error", 131075, description=written,
                    extended=[("Detail", written)],
                    exception=ExceptionInfo("T", written, "", ""))
    event = one(record)
    assert event.message == written and event.data["Detail"] == written
    assert event.data["Exception"]["Message"] == written  # escaped twice in the file


def test_event_log_values_are_unescaped_for_wcf_only() -> None:
    values = [("InstanceID.Name", "a & b"), ("Value0", "x ---> y & <z>")]
    wcf = one(Record(T0, "Error", 0x20002, description="Wrote to the EventLog.",
                     extended=values))
    assert wcf.data == {"InstanceID.Name": "a & b", "Value0": "x ---> y & <z>"}
    written = write_svclog([Record(T0, "Error", 0x20002, description="d", extended=values)])
    assert b"x ---&amp;gt; y &amp;amp; &amp;lt;z&amp;gt;" in written
    user = one(Record(T0, "Error", 0x20002, source="Calc", description="d",
                      extended=[("Value0", "x &gt; y")]))
    assert user.data == {"Value0": "x &gt; y"}


def test_message_log_addressing_and_envelope() -> None:
    records = message_log()
    received, replied, help_page = decode(records)[0][:2] + decode(records)[0][-1:]
    assert received.data == {
        "Source": "TransportReceive", "Type": "System.ServiceModel.Channels.BufferedMessage",
        "Action": "http://tempuri.org/ICalculator/Divide",
        "To": "http://web01/Calc/Service.svc", "MessageID": received.data["MessageID"]}
    assert received.data["MessageID"].startswith("urn:uuid:")
    assert replied.data["RelatesTo"] == received.data["MessageID"]
    assert replied.data["Action"].endswith("DivideResponse")
    assert replied.extra["Envelope"] == records[1].message.envelope()
    assert "&lt;none&gt;" in replied.extra["Envelope"]  # as written, not unescaped
    assert received.message is None and received.symbol is None
    assert help_page.extra["Envelope"].startswith('<HTML xmlns="">')
    assert help_page.data == {"Source": "TransportSend",
                              "Type": "System.ServiceModel.Channels.BodyWriterMessage"}


def test_addressing_element_wins_over_envelope_headers() -> None:
    event = one(Record(T0, "Information", 0, source="System.ServiceModel.MessageLogging",
                       message=MessageLog("TransportSend", addressing=[("Action", "outer")],
                                          headers=[("Action", "inner"), ("To", "there")],
                                          body="<x/>")))
    assert (event.data["Action"], event.data["To"]) == ("outer", "there")


@pytest.mark.parametrize("references", [False, True])
def test_control_characters_are_dropped_never_fatal(references: bool) -> None:
    record = Record(T0, "Warning", 262157, description="a\x01b\x1fc\x0b\x00d",
                    extended=[("Via", "x\x02y")], references=references)
    events, damage = decode([record, Record(T0, "Information", 0x20001, description="next")])
    assert damage == []
    assert [e.message for e in events] == ["abcd", "next"]
    assert events[0].data == {"Via": "xy"}


def test_references_to_surrogates_are_dropped_and_legal_characters_kept() -> None:
    kept = "\ud6d8\ud7ff\ue000\ue09c\U0001f600"  # Hangul, private use, an emoji: legal XML
    text = "".join(f"&#{ord(c)};" for c in kept) + "&#x1F600;"
    dropped = "&#xDC00;&#xdfff;&#xD800;&#55296;&#56320;&#57343;&#xFFFE;&#65535;"
    records = [Record(T0, "Information", 0x20001, text="x"),
               Record(T0, "Information", 0x20001, text="x")]
    data = write_svclog(records).replace(b">x<", f">a{dropped}{text}b<".encode(), 1)
    events, damage = decode(data)
    assert damage == [] and len(events) == 2
    assert events[0].message == f"a{kept}\U0001f600b"


# -- framing, damage, accounting --------------------------------------------------------------


@pytest.mark.parametrize("block", [1, 7, 14, 15, 16, 17, 64, 1000, 4096])
def test_fragments_do_not_depend_on_block_size(block: int) -> None:
    data = write_svclog(trace_log())
    pieces = list(fragments(io.BytesIO(data), block=block))
    assert all(isinstance(p, Fragment) and p.complete for p in pieces)
    assert b"".join(p.data for p in pieces) == data  # type: ignore[union-attr]
    assert len(pieces) == len(trace_log())


def test_a_cut_record_in_the_middle_costs_that_record_only() -> None:
    records = trace_log()
    first = write_svclog(records[:5])
    cut = cut_last(first, keep=0.3)
    data = cut + write_svclog(records[5:])
    events, damage = decode(data)
    assert len(events) == len(records) - 1
    assert [(d.offset, d.lost) for d in damage] == [(first.rfind(b"<E2ETraceEvent"), 1)]


@pytest.mark.parametrize("block", [1, 15, 16, 17, 333])
def test_damaged_framing_does_not_depend_on_block_size(block: int) -> None:
    records = trace_log()
    first = write_svclog(records[:5])
    data = cut_last(first, keep=0.3) + write_svclog(records[5:9]) + b" junk " + (
        cut_last(write_svclog(records[9:11]), keep=0.8))
    pieces = list(fragments(io.BytesIO(data), block=block))
    reference = list(fragments(io.BytesIO(data)))
    assert pieces == reference
    assert [type(p).__name__ for p in pieces].index("Junk") == 9
    assert [p.complete for p in pieces if isinstance(p, Fragment)] == (
        [True] * 4 + [False] + [True] * 4 + [True, False])


def test_bytes_outside_records_are_one_warning() -> None:
    records = trace_log()[:3]
    data = write_svclog(records[:1]) + b"\n\n garbage here " + write_svclog(records[1:])
    events, damage = decode(data)
    assert len(events) == 3
    assert len(damage) == 1 and "outside any <E2ETraceEvent>" in damage[0].detail
    assert damage[0].lost is None


@pytest.mark.parametrize("block", [1, 15, 16, 17, 1 << 20])
def test_bom_declaration_and_comments_between_records_are_no_damage(block: int) -> None:
    records = trace_log()[:3]
    data = (b"\xef\xbb\xbf<?xml version=\"1.0\"?>\r\n<!-- begun by a tool -->\r\n"
            + write_svclog(records[:1]) + b"\r\n\xef\xbb\xbf" + write_svclog(records[1:])
            + b"<!-- end -->\r\n")
    pieces = list(fragments(io.BytesIO(data), block=block))
    assert [type(p).__name__ for p in pieces] == ["Fragment"] * 3
    events, damage = decode(data)
    assert len(events) == 3 and damage == []
    junk = list(fragments(io.BytesIO(b"\xef\xbb\xbf<x/>" + write_svclog(records[:1])), block))
    assert [type(p).__name__ for p in junk] == ["Junk", "Fragment"]


def prefixed(data: bytes) -> bytes:
    """The records as a writer that gives the E2E and System elements prefixes writes them."""
    def system(match: re.Match[bytes]) -> bytes:
        return re.sub(rb"<(/?)(\w+)", rb"<\1s:\2", match.group(0)).replace(
            b"<s:System xmlns=", b"<s:System xmlns:s=")
    data = re.sub(rb"<System .*?</System>", system, data, flags=re.S)
    return re.sub(rb"<(/?)(E2ETraceEvent|ApplicationData)\b", rb"<\1e2e:\2", data).replace(
        b"<e2e:E2ETraceEvent xmlns=", b"<e2e:E2ETraceEvent xmlns:e2e=")


@pytest.mark.parametrize("block", [1, 17, 1 << 20])
def test_records_with_prefixed_elements_read_as_the_plain_ones(block: int) -> None:
    records = trace_log()
    plain = write_svclog(records)
    data = prefixed(plain)
    assert data.count(b"<e2e:E2ETraceEvent xmlns:e2e=") == len(records)
    assert b"<s:EventID>" in data and b"<E2ETraceEvent" not in data
    pieces = list(fragments(io.BytesIO(data), block=block))
    assert [p.complete for p in pieces if isinstance(p, Fragment)] == [True] * len(records)
    events, damage = decode(data)
    assert damage == []
    assert [e.to_dict() for e in events] == [e.to_dict() for e in decode(plain)[0]]
    errors, _ = decode(data, quick=lambda _id, level: level is not None and level <= 2)
    assert errors and all(e.level_value in (1, 2) for e in errors)


def test_prefixed_records_are_detected_and_decoded(tmp_path: Path) -> None:
    path = tmp_path / "prefixed.log"
    path.write_bytes(prefixed(write_svclog(trace_log()[:3])))
    assert detect(Input(str(path), path)) == "svclog"
    result = CliRunner().invoke(main, ["decode", str(path), "--count"])
    assert result.exit_code == 0 and result.stdout.strip() == "3"


def test_a_record_without_a_header_is_lost_not_invented() -> None:
    good = write_svclog(trace_log()[:2])
    data = b"<E2ETraceEvent></E2ETraceEvent>" + good + (
        b"<E2ETraceEvent>\x00<<<>>></E2ETraceEvent>")
    events, damage = decode(data)
    assert len(events) == 2
    assert [(d.offset, d.lost, d.detail) for d in damage] == [
        (0, 1, "record has no <System> header"),
        (31 + len(good), 1, "record has no <System> header")]


def test_quick_filter_keeps_the_accounting() -> None:
    stats = Stats()
    path = str(FIXTURES / "svclog-service.svclog")
    errors = list(read([path], levels=["error+"], stats=stats))
    everything = list(read([path]))
    assert [e.to_dict() for e in errors] == [
        e.to_dict() for e in everything if e.level_value in (1, 2)]
    assert stats.read == len(everything) == stats.matched + stats.filtered


def test_stdin_and_line_endings_between_records() -> None:
    data = b"\n".join(r.xml().encode() for r in trace_log()) + b"\n"
    events, damage = decode(data)
    assert damage == [] and len(events) == len(trace_log())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_hostile_bytes_never_raise(data: st.DataObject) -> None:
    clean = write_svclog(trace_log()[:6])
    start = data.draw(st.integers(0, len(clean)))
    end = data.draw(st.integers(start, len(clean)))
    noise = data.draw(st.binary(max_size=40))
    damaged = clean[:start] + noise + clean[end:]
    stats = Stats()
    events = list(read_bytes(damaged, stats))
    assert stats.read == len(events)


def read_bytes(data: bytes, stats: Stats) -> list[Event]:
    from wcfevents.pipeline import read_inputs

    return list(read_inputs([Input("-", stream=io.BytesIO(data))], stats=stats,
                            input_format="svclog", on_damage=lambda d: None,
                            on_unreadable=lambda e: None))


# -- detection --------------------------------------------------------------------------------


def test_detected_from_content_whatever_the_name(tmp_path: Path) -> None:
    path = tmp_path / "trace.log"
    path.write_bytes(write_svclog(trace_log()[:2]))
    assert detect(Input(str(path), path)) == "svclog"
    edited = tmp_path / "edited.txt"
    edited.write_bytes(b'<?xml version="1.0"?>\n<!-- kept -->\n' + write_svclog(trace_log()[:1]))
    assert detect(Input(str(edited), edited)) == "svclog"
    export = FIXTURES / "service-call.wevtutil.xml"
    assert detect(Input(str(export), export)) == "xml"


def test_directories_pick_up_svclog_and_e2e(tmp_path: Path) -> None:
    for name in ("a.svclog", "b.e2e", "c.txt"):
        (tmp_path / name).write_bytes(write_svclog(trace_log()[:1]))
    assert [Path(i.name).name for i in expand([str(tmp_path)])] == ["a.svclog", "b.e2e"]


def test_input_format_svclog_is_accepted() -> None:
    result = CliRunner().invoke(main, ["decode", str(FIXTURES / "svclog-service.svclog"),
                                       "--input-format", "svclog", "--count"])
    assert result.exit_code == 0 and result.stdout.strip() == str(len(golden("svclog-service")))


def test_jq_reads_exceptions_as_a_developer_does() -> None:
    result = CliRunner().invoke(main, ["decode", str(FIXTURES / "svclog-service.svclog"),
                                       "--level", "error+", "--format", "json"])
    messages = [json.loads(line)["data"].get("Exception", {}).get("Message")
                for line in result.stdout.splitlines()]
    assert "Division of 1 by 0 failed: a < b && b > 0 expected" in messages


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-16-le"])
def test_a_log_re_saved_as_utf16_reads_as_the_original(tmp_path: Path, codec: str) -> None:
    """PowerShell's Out-File and editors re-save a log as UTF-16; the records are the same."""
    original = write_svclog(trace_log())
    bom = {"utf-16": b"", "utf-16-be": codecs.BOM_UTF16_BE, "utf-16-le": b""}[codec]
    path = tmp_path / "resaved.svclog"
    path.write_bytes(bom + original.decode("utf-8").encode(codec))
    assert detect(Input(str(path), path)) == "svclog"
    expected = [e.to_dict() for e in decode(original)[0]]
    stats = Stats()
    got = [e.to_dict() for e in read([str(path)], stats=stats)]
    assert [dict(e, source=None) for e in got] == [dict(e, source=None) for e in expected]
    assert stats.complete
    piped = CliRunner().invoke(main, ["decode", "-", "--input-format", "svclog", "--count"],
                               input=path.read_bytes())
    assert piped.exit_code == 0 and piped.stdout.strip() == str(len(expected))
