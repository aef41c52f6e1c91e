"""`show`: one block per event with every field and the whole payload, for the drill-down.

The traces are genuine .evtx files written by wcfevents.testing with payloads chosen here (a
long exception, a SOAP body, a hostile DTD, HRESULTs); the expectations come from those payloads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from wcfevents.cli import main
from wcfevents.model import Event
from wcfevents.output import detail
from wcfevents.testing.evtx_writer import write_evtx
from wcfevents.testing.scenarios import W3WP_CALC, TraceBuilder

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
LONG_FRAMES = [f"   at Contoso.Orders.Step{i}.Run(OrderContext context) in C:\\src\\Orders\\"
               f"Step{i}.cs:line {100 + i}" for i in range(40)]
EXCEPTION = ("System.InvalidOperationException: The order store refused the write "
             "(Exception from HRESULT: 0x80070005)\r\n" + "\r\n".join(LONG_FRAMES))
SERIALIZED = ("<Exception><ExceptionType>System.ServiceModel.ServiceActivationException, "
              "System.ServiceModel, Version=4.0.0.0</ExceptionType><Message>The type 'Contoso."
              "Missing', provided as the Service attribute value, could not be found."
              "</Message><StackTrace>   at System.ServiceModel.HostingManager.Activate()\n"
              "   at System.ServiceModel.HostingManager.EnsureServiceAvailable(String a &amp; b)"
              "</StackTrace><InnerException><ExceptionType>System.IO.FileNotFoundException"
              "</ExceptionType><Message>Could not load file or assembly 'Contoso.Missing'."
              "</Message><StackTrace>   at System.Reflection.Assembly.Load()</StackTrace>"
              "</InnerException></Exception>")
SOAP = ('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>'
        '<Action xmlns="http://schemas.microsoft.com/ws/2005/05/addressing/none">'
        'http://tempuri.org/IOrders/Place</Action></s:Header><s:Body><Place '
        'xmlns="http://tempuri.org/"><quantity>3</quantity></Place></s:Body></s:Envelope>')
HOSTILE = ('<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd"><!ENTITY big "boom">]>'
           '<r><a>&secret;</a><b>&big;</b></r>')


@pytest.fixture(scope="module")
def trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = TraceBuilder(11)
    activity = b.guid()
    events = [
        b.emit(219, W3WP_CALC, activity, ExceptionToString=EXCEPTION,
               ExceptionTypeName="System.InvalidOperationException"),
        b.emit(451, W3WP_CALC, activity, data1=SOAP),
        b.emit(3561, W3WP_CALC, activity, data1="activation failed",
               SerializedException=SERIALIZED),
        b.emit(4025, W3WP_CALC, activity, hresult="0x80070005"),
        b.emit(452, W3WP_CALC, b.guid(), data1=HOSTILE),
    ]
    path = tmp_path_factory.mktemp("show") / "drill.evtx"
    write_evtx(path, events)
    return path


def show(*args: str) -> Any:
    result = CliRunner().invoke(main, ["show", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def blocks(output: str) -> list[str]:
    return [part for part in output.split("── record ")[1:]]


def test_one_block_per_event_with_every_field(trace: Path) -> None:
    out = show(str(trace))
    assert len(blocks(out)) == 5
    first = blocks(out)[0]
    for label in ("Event", "Level", "Provider", "Task", "Opcode", "Keywords", "Channel",
                  "Computer", "Process", "Thread", "Activity", "Source", "Message", "Payload"):
        assert f"\n{label}" in first, label
    assert "219 ServiceException" in first


def test_long_exception_text_is_intact_line_by_line(trace: Path) -> None:
    first = blocks(show(str(trace), "--record", "1"))[0]
    lines = [line.strip() for line in first.splitlines()]
    for frame in LONG_FRAMES:
        assert frame.strip() in lines  # each frame whole, on its own line
    assert "0x80070005 E_ACCESSDENIED: Access is denied." in first


def test_serialized_exception_reads_as_a_developer_reads_it(trace: Path) -> None:
    out = show(str(trace), "--id", "3561")
    assert ("System.ServiceModel.ServiceActivationException: The type 'Contoso.Missing', "
            "provided as the Service attribute value, could not be found.") in out
    assert "EnsureServiceAvailable(String a & b)" in out  # XML escapes undone
    assert "<ExceptionType>" not in out
    inner = out.index("System.IO.FileNotFoundException: Could not load file")
    assert out.index("inner exception") < inner


def test_soap_body_is_pretty_printed(trace: Path) -> None:
    out = show(str(trace), "--id", "451")
    lines = out.splitlines()
    quantity = next(line for line in lines if "<quantity>3</quantity>" in line)
    envelope = next(line for line in lines if "<s:Envelope" in line)
    # Nested deeper than the envelope: the body was indented, not printed on one line.
    assert len(quantity) - len(quantity.lstrip()) > len(envelope) - len(envelope.lstrip())


def test_entities_are_never_resolved(trace: Path) -> None:
    out = show(str(trace), "--id", "452")
    assert "root:" not in out  # the external entity (/etc/passwd) was not read
    assert "<a>&secret;</a>" in out and "<b>&big;</b>" in out and "<b>boom</b>" not in out


def test_hresult_fields_are_explained(trace: Path) -> None:
    out = show(str(trace), "--id", "4025")
    assert "0x80070005 E_ACCESSDENIED: Access is denied." in out


def test_times_in_utc_with_a_zone_beside(trace: Path) -> None:
    out = show(str(trace), "--record", "1", "--tz", "+02:00")
    heading = out.splitlines()[0]
    assert "2024-05-14 08:00:" in heading and " UTC" in heading
    assert "2024-05-14 10:00:" in heading and "+02:00" in heading
    assert "+02:00" not in show(str(trace), "--record", "1").splitlines()[0]
    assert show(str(trace), "--record", "1", "--tz", "local").splitlines()[0].count(":00:") == 2
    bad = CliRunner().invoke(main, ["show", str(trace), "--tz", "Mars/Olympus"])
    assert bad.exit_code == 2 and "--tz" in bad.output


def test_decode_filters_work_on_show() -> None:
    out = show(str(FIXTURES / "service-call.evtx"), "--level", "error+")
    assert blocks(out) and all("\nLevel        Error" in b or "\nLevel        Critical" in b
                               for b in blocks(out))


def test_a_damaged_record_is_marked() -> None:
    event = Event(record_id=9, timestamp="2024-05-14T08:00:00.0000000Z", event_id=1,
                  extra={"integrity": "chunk checksum mismatch"})
    text = detail.block(event).plain
    assert text.splitlines()[1].startswith("DAMAGED") and "chunk checksum mismatch" in text


def test_zone_parsing() -> None:
    assert detail.parse_zone("+0530").utcoffset(None).total_seconds() == 5.5 * 3600
    assert detail.parse_zone("-2").utcoffset(None).total_seconds() == -7200
    with pytest.raises(detail.ZoneError):
        detail.parse_zone("+25:00")
    assert detail.local_time("2024-05-14T23:30:00.1234567Z", detail.parse_zone("+01:00")) == \
        "2024-05-15 00:30:00.1234567 +01:00"


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
                               max_size=12),
                       st.one_of(st.text(), st.integers(), st.none(), st.booleans(),
                                 st.sampled_from(["<a><b>&x;</b></a>", "<Exception/>", "<",
                                                  "0x80070005", "-1", "<r>\x00</r>"])),
                       max_size=5),
       st.one_of(st.none(), st.text()))
def test_any_payload_renders_without_error(data: dict[str, Any], message: str | None) -> None:
    event = Event(record_id=1, timestamp="2024-05-14T08:00:00.0000000Z", event_id=219,
                  data=data, message=message)
    text = detail.block(event, detail.parse_zone("+01:00")).plain
    assert text.startswith("── record 1")
    for name in data:
        assert name in text


def test_escape_sequences_in_a_trace_never_reach_the_terminal() -> None:
    event = Event(record_id=1, timestamp="2024-05-14T08:00:00.0000000Z", event_id=219,
                  symbol="ServiceException\x1b[2J", message="boom\x1b]0;owned\x07 end",
                  data={"ExceptionToString": "x\x1b[31mred"}, level="Error", level_value=2)
    from wcfevents.output import table

    for text in (detail.block(event).plain,
                 table.encode([event], table.layout(160, color=True)).decode()):
        assert "\x1b]" not in text and "\x1b[2J" not in text and "\x07" not in text
        assert "boom" in text and "end" in text


def test_local_zone_follows_daylight_saving(monkeypatch: pytest.MonkeyPatch) -> None:
    import time as clock

    if not hasattr(clock, "tzset"):
        pytest.skip("no tzset on this platform")
    monkeypatch.setenv("TZ", "America/New_York")
    clock.tzset()
    try:
        local = detail.parse_zone("local")
        assert detail.local_time("2024-01-14T08:00:00.0000000Z", local).endswith("-05:00")
        assert detail.local_time("2024-07-14T08:00:00.0000000Z", local).endswith("-04:00")
    finally:
        monkeypatch.undo()
        clock.tzset()
