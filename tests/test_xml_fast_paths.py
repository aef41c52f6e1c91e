"""The XML reader's shortcuts give what the general paths give.

Clean UTF-8 exports are parsed from their own bytes instead of through the feed, and the mapping
caches conversions per distinct text; both must be invisible in the events, the damage reports
and their offsets. Each test reads files written by `testing.xml_writer` (some with bytes the
feed changes put in) both ways and compares.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree

from wcfevents import model
from wcfevents.model import Event, canonical_activity, canonical_guid, canonical_time
from wcfevents.sources import Damage, Input, event_xml
from wcfevents.sources.etw_xml import XmlReader, _Feed, _parse
from wcfevents.sources.xml_ranges import cuts, layout, open_range
from wcfevents.testing.scenarios import generate
from wcfevents.testing.xml_writer import write_xml

EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"


def export(path: Path, flavour: str = "tracerpt", count: int = 40) -> bytes:
    with path.open("wb") as out:
        write_xml(generate("mix", seed=3, count=count), out, flavour)
    return path.read_bytes()


def through_reader(path: Path) -> tuple[list[Event], list[Damage]]:
    """What XmlReader gives (the direct path when the input allows it)."""
    damages: list[Damage] = []
    events = [e for e in XmlReader().events(Input(path.name, path), damages.append) if e]
    return events, damages


def through_feed(path: Path) -> tuple[list[Event], list[Damage]]:
    """What the feed alone gives: the general path every input used to take."""
    damages: list[Damage] = []
    with path.open("rb") as raw:
        events = list(_parse(_Feed(raw, path.name), path.name, damages.append))
    return events, damages


def inserted(data: bytes, payload: bytes, fraction: float = 0.6) -> bytes:
    """`payload` put at the start of a payload value some way into the file."""
    at = data.find(b'<Data Name="', int(len(data) * fraction))
    assert at > 0
    at = data.find(b">", at) + 1
    return data[:at] + payload + data[at:]


@pytest.mark.parametrize("flavour", ["tracerpt", "wevtutil", "toxml"])
def test_clean_exports_read_the_same_both_ways(tmp_path: Path, flavour: str) -> None:
    path = tmp_path / f"{flavour}.xml"
    export(path, flavour)
    events, damages = through_reader(path)
    assert len(events) >= 40 and not damages
    assert (events, damages) == through_feed(path)


@pytest.mark.parametrize("payload", [
    b"a\x01b",  # a control character the feed drops
    b"<![CDATA[x&#1;y]]>",  # a reference the feed drops, literal inside CDATA
    b"<![CDATA[x&#X41;y]]>",  # a reference the feed rewrites
    b"v&#X41;w",
    b"bad\xffutf8",  # replaced by the feed's decoder
    b"nc\xef\xbf\xbe!",  # U+FFFE, dropped by the feed
    b"ok&#x41;&#xD;&#10;",  # valid references: nothing to change
    b"<Broken attr=>",  # damage
])
def test_what_the_feed_changes_reads_as_the_feed_reads_it(tmp_path: Path, payload: bytes) -> None:
    path = tmp_path / "dirty.xml"
    path.write_bytes(inserted(export(path, count=300), payload))
    events, damages = through_reader(path)
    assert (events, damages) == through_feed(path)
    assert len(events) >= 300


def test_damage_offsets_survive_the_second_reading(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    data = export(path, count=200)
    path.write_bytes(data[: len(data) * 2 // 3])
    events, damages = through_reader(path)
    assert damages and damages[0].offset is not None
    assert data[damages[0].offset:].startswith(b"<Event ")
    assert (events, damages) == through_feed(path)


def test_references_cut_by_every_read_boundary(tmp_path: Path) -> None:
    """A reference the feed would change is found wherever the parser's reads cut it."""
    path = tmp_path / "refs.xml"
    data = export(path, count=60)
    for shift in range(0, 40, 3):
        dirty = inserted(data, b"." * shift + b"<![CDATA[&#x1;]]>" + b"&#xD;" * 3000, 0.5)
        path.write_bytes(dirty)
        assert through_reader(path) == through_feed(path)


def test_prefixed_events_and_nested_events(tmp_path: Path) -> None:
    path = tmp_path / "odd.xml"
    data = export(path, count=30)
    path.write_bytes(data.replace(b"<Event xmlns=", b"<e:Event xmlns:e=")
                     .replace(b"</Event>", b"</e:Event>"))
    assert through_reader(path) == through_feed(path)
    at = data.find(b"<EventData>", len(data) // 2)
    path.write_bytes(data[:at] + b"<Event><System><EventID>1</EventID></System></Event>"
                     + data[at:])
    events, damages = through_reader(path)
    assert damages and (events, damages) == through_feed(path)


def test_a_range_of_an_export_reads_again_from_its_start(tmp_path: Path) -> None:
    """Worker ranges are seekable streams, so they can take the direct path too."""
    path = tmp_path / "big.xml"
    export(path, count=400)
    lay = layout(path)
    assert lay is not None
    start, end = list(cuts(path, lay, range_bytes=64 << 10))[1]
    with open_range(path, lay, start, end, False) as stream:
        first = stream.read()
        stream.seek(0)
        assert stream.read() == first
        assert first.startswith(lay.prolog) and first.endswith(lay.closing)
    with open_range(path, lay, start, end, False) as stream:
        damages: list[Damage] = []
        events = list(XmlReader(lay.flavour).events(Input("part", None, stream), damages.append))
    with open_range(path, lay, start, end, False) as stream:
        reference = list(_parse(_Feed(stream, "part"), "part", damages.append))
    assert events == reference and not damages


# -- the mapping's caches ---------------------------------------------------------------------

TIMES = [
    "2024-05-14T00:00:00.000595700-08:00", "2024-05-14T00:00:00.5+02:00",
    "2024-05-14 00:00:00.123456789-08:00", "2024-02-30T00:00:00.1234567+01:00",
    "2024-05-14T00:00:00.000595700-0800", " 2024-05-14T00:00:00.5+02:00",
    "2024-05-14T00:00:00.5+02:00 ", "x024-05-14T00:00:00.5+02:00", "2024-05-14T00:00:00.+02:00",
    "2024-05-14T00:00:00.5+2:000", "2024-05-14T00:00:00.5Z", "2024-05-14T00:00:00Z",
    "2024-05-14T23:59:59.9999999-01:30", "", "yesterday", "2024-05-14T00:00:00.1234567 UTC",
]


@pytest.mark.parametrize("text", TIMES)
def test_zoned_time_shortcut_is_canonical_time(text: str) -> None:
    assert event_xml._time(text) == canonical_time(text)
    assert event_xml._time(text) == canonical_time(text)  # from the cache


def system_event(provider: str, execution: str, keywords: str, correlation: str) -> str:
    return (f'<Event xmlns="{EVENT_NS}"><System>{provider}<EventID>7</EventID>'
            f"<Keywords>{keywords}</Keywords>{correlation}{execution}</System></Event>")


PROVIDERS = ['<Provider Name="P" Guid="{C651F5F6-1C0D-492E-8AE1-B4EFD7C9D503}"/>',
             '<Provider Guid="c651f5f6-1c0d-492e-8ae1-b4efd7c9d503" EventSourceName="s"/>',
             '<Provider Name="" Guid=" {c651f5f6-1c0d-492e-8ae1-b4efd7c9d503} "/>',
             '<Provider Name="  " Guid="not-a-guid"/>', "<Provider/>", ""]
EXECUTIONS = ['<Execution ProcessID="1" ThreadID="2" ProcessorID="0" KernelTime="x"/>',
              '<Execution ThreadID="0x10" SessionID=""/>', '<Execution ProcessID=" 7 "/>',
              "<Execution/>", ""]
KEYWORDS = ["0x8000000000000000", "0X1F", "12", " 0x4 ", "", "zz"]
CORRELATIONS = ['<Correlation ActivityID="{EB1167B3-67A9-4378-BC65-C1E582E2E662}" '
                'RelatedActivityID="{00000000-0000-0000-0000-000000000000}"/>',
                '<Correlation ActivityID=""/>', "<Correlation/>"]


def test_cached_conversions_match_the_general_ones() -> None:
    """Each element mapped cold (caches emptied) and warm gives the same Event, and the fields
    are what the model's canonical forms make of the attribute text."""
    for index, provider in enumerate(PROVIDERS):
        for execution in EXECUTIONS:
            keywords = KEYWORDS[index % len(KEYWORDS)]
            correlation = CORRELATIONS[index % len(CORRELATIONS)]
            elem = etree.fromstring(system_event(provider, execution, keywords, correlation))
            for cache in (event_xml._PROVIDERS, event_xml._EXECUTIONS, model._MASKS):
                cache.clear()
            cold = event_xml.event_from_element(elem, "s")
            warm = event_xml.event_from_element(elem, "s")
            assert cold == warm and cold.extra == warm.extra
            system = elem[0]
            given = system.find(f"{{{EVENT_NS}}}Provider")
            if given is not None:
                assert warm.provider_guid == canonical_guid(given.get("Guid"))
                name = given.get("Name")
                assert warm.provider == (name if name and name.strip() else None)
            activity = system.find(f"{{{EVENT_NS}}}Correlation")
            if activity is not None:
                assert warm.activity_id == canonical_activity(activity.get("ActivityID"))
            run = system.find(f"{{{EVENT_NS}}}Execution")
            attributes = dict(run.attrib) if run is not None else {}
            for key in ("ProcessorID", "KernelTime", "SessionID"):
                if key in attributes:
                    assert key in warm.extra
            others = [k for k in warm.extra if k != "EventSourceName"]
            assert others == [k for k in attributes if k not in ("ProcessID", "ThreadID")]


def test_reader_accepts_an_in_memory_stream(tmp_path: Path) -> None:
    """A stream that cannot seek (stdin) goes through the feed, as before."""
    data = export(tmp_path / "x.xml", "wevtutil")

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    events = list(XmlReader().events(Input("x.xml", None, io.BufferedReader(Pipe())), print))
    assert events == through_reader(tmp_path / "x.xml")[0]
