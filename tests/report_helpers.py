"""Traces for the report tests: the fixtures' stories with hostile text in every field a trace
can carry (written by our own writers, so the bytes are what a real file would hold)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from wcfevents.catalog import load as load_catalog
from wcfevents.model import Event
from wcfevents.testing.evtx_writer import write_evtx
from wcfevents.testing.scenarios import throttling
from wcfevents.testing.xml_writer import write_xml_file

# Each payload sets window.__pwned (or opens a dialog) if it ever runs.
HOSTILE = (
    '</script><script>window.__pwned="script"</script>'
    '<img src=x onerror="window.__pwned=\'img\'">'
    '<a href="javascript:window.__pwned=\'link\'">click</a>'
    '<svg onload="window.__pwned=\'svg\'"></svg>'
    "<!-- \u2028\u2029 ' \" & {{7*7}} ${alert(1)} javascript:alert(2)"
)
HOSTILE_COMPUTER = '<script>alert("computer")</script>WEB01" onmouseover="window.__pwned=1'


def hostile_events(xml: bool = False) -> Iterator[Event]:
    """The throttling story with every text value, the computer name and (in XML, where they are
    text) an ActivityID and a provider name replaced by markup and script."""
    catalog = load_catalog()
    for index, event in enumerate(throttling()):
        entry = catalog.by_id(event.event_id)
        types = {f.name: f.type for f in entry.fields} if entry else {}
        data = {name: (HOSTILE if types.get(name) == "win:UnicodeString" else value)
                for name, value in event.data.items()}
        changed = dataclasses.replace(event, computer=HOSTILE_COMPUTER, data=data)
        if xml and index == 5:
            changed = dataclasses.replace(changed, activity_id=HOSTILE)
        yield changed
        if xml and index == 7:
            yield dataclasses.replace(changed, provider=HOSTILE, provider_guid=None,
                                      event_id=4031, level_value=2)


def write_hostile(directory: Path) -> tuple[Path, Path]:
    """The hostile trace as .evtx and as tracerpt XML."""
    evtx = directory / "hostile.evtx"
    write_evtx(evtx, hostile_events())
    xml = directory / "hostile.xml"
    write_xml_file(xml, hostile_events(xml=True), "tracerpt")
    return evtx, xml
