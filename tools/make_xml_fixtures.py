"""Regenerate the XML fixtures: the scenario traces as tracerpt, wevtutil and ToXml export them.

    python tools/make_xml_fixtures.py [--out fixtures]

Each `<scenario>.<flavour>.xml` is written by `wcfevents.testing.xml_writer` from the same
deterministic events as `<scenario>.evtx` (see tools/make_fixtures.py), and comes with
`<scenario>.<flavour>.golden.jsonl`: one `enrich(event).to_dict()` per record the XML reader must
decode (tracerpt's EventTrace header and other providers' records included), `source` = the file
name. Running this twice gives identical bytes; tests/test_xml_source.py checks the committed
files are current.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "tools"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import make_fixtures  # noqa: E402

from wcfevents.enrich import enrich  # noqa: E402
from wcfevents.model import Event  # noqa: E402
from wcfevents.testing.xml_writer import expected_events, write_xml_file  # noqa: E402

# Kernel process events (classic MOF, no provider name) as a kernel session mixes them in.
_PROCESS_CLASS = "3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c"


def with_neighbours(events: Iterator[Event], every: int = 9) -> Iterator[Event]:
    """The events with another provider's record after every `every`-th one, at the same time."""
    for index, event in enumerate(events, 1):
        yield event
        if index % every == 0:
            yield Event(
                timestamp=event.timestamp,
                provider_guid=_PROCESS_CLASS,
                event_id=0,
                version=4,
                level_value=0,
                task_id=0,
                opcode_id=11,
                keywords_mask=0,
                process_id=event.process_id,
                thread_id=event.thread_id,
                data={
                    "UniqueProcessKey": f"0x{0xFFFF800012340000 + index * 0x80:X}",
                    "ProcessId": str(event.process_id),
                    "ParentId": "644",
                    "SessionId": "0",
                    "ExitStatus": "259",
                    "ImageFileName": "w3wp.exe",
                },
            )


@dataclass(frozen=True)
class XmlFixture:
    """One XML fixture: a scenario of make_fixtures written as one tool writes it."""

    scenario: str
    flavour: str
    description: str
    encoding: str = "utf-8"
    rendering: bool | None = None  # None: as the tool does by default
    neighbours: bool = False

    @property
    def name(self) -> str:
        return f"{self.scenario}.{self.flavour}"

    @property
    def filename(self) -> str:
        return f"{self.name}.xml"

    @property
    def golden_name(self) -> str:
        return f"{self.name}.golden.jsonl"

    def events(self) -> Iterator[Event]:
        events = make_fixtures.FIXTURES[self.scenario].events()
        return with_neighbours(events) if self.neighbours else events


XML_FIXTURES: dict[str, XmlFixture] = {
    fixture.name: fixture
    for fixture in (
        XmlFixture("service-call", "tracerpt",
                   "`tracerpt -of XML` of a kernel-mode session: EventTrace header first, local "
                   "times (-08:00), rendering blocks, kernel process records mixed in (UTF-8).",
                   neighbours=True),
        XmlFixture("service-call", "wevtutil",
                   "`wevtutil qe /f:xml`: events run together, no root, no rendering (UTF-8)."),
        XmlFixture("workflow", "wevtutil",
                   "`wevtutil qe /f:RenderedXml`: with rendering blocks (UTF-8 with BOM).",
                   encoding="utf-8-sig", rendering=True),
        XmlFixture("activation-failure", "toxml",
                   "`Get-WinEvent | % { $_.ToXml() } | Out-File`: one event per line, "
                   "UTF-16 LE with BOM as Windows PowerShell writes it.",
                   encoding="utf-16-le"),
        XmlFixture("throttling", "tracerpt",
                   "`tracerpt -of XML` saved as UTF-16 BE with BOM, no other providers.",
                   encoding="utf-16-be"),
    )
}


def golden_lines(fixture: XmlFixture) -> Iterator[str]:
    """What the XML reader plus enrichment must output for the fixture, one JSON line each."""
    records = expected_events(fixture.events(), fixture.flavour, rendering=fixture.rendering,
                              source=fixture.filename)
    for record in records:
        yield json.dumps(enrich(record).to_dict(), ensure_ascii=False, sort_keys=False)


def build(fixture: XmlFixture, out: Path) -> tuple[Path, Path]:
    """Write one fixture's XML file and its golden .jsonl."""
    out.mkdir(parents=True, exist_ok=True)
    xml_path = out / fixture.filename
    write_xml_file(xml_path, fixture.events(), fixture.flavour, encoding=fixture.encoding,
                   rendering=fixture.rendering)
    golden_path = out / fixture.golden_name
    with golden_path.open("w", encoding="utf-8", newline="\n") as handle:
        for line in golden_lines(fixture):
            handle.write(line + "\n")
    return xml_path, golden_path


def main(argv: list[str] | None = None) -> int:
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "fixtures")
    args = parser.parse_args(argv)
    for fixture in XML_FIXTURES.values():
        xml_path, golden_path = build(fixture, args.out)
        records = sum(1 for _ in golden_path.open(encoding="utf-8"))
        print(f"{xml_path.name}: {xml_path.stat().st_size} bytes, {records} golden records")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
