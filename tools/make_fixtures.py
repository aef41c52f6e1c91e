"""Regenerate every file in fixtures/: the .evtx traces and their golden decoder output.

    python tools/make_fixtures.py [--out fixtures]

Everything is deterministic (fixed seeds, fixed start time), so running this twice gives
identical bytes; tests/test_evtx_writer.py checks that the committed files are current.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from wcfevents.enrich import enrich  # noqa: E402
from wcfevents.model import Event  # noqa: E402
from wcfevents.testing import damage, scenarios  # noqa: E402
from wcfevents.testing.evtx_writer import write_evtx  # noqa: E402


@dataclass(frozen=True)
class Fixture:
    """One fixture: the events it is written from, and the damage done to it afterwards."""

    name: str
    description: str
    events: Callable[[], Iterator[Event]]
    damage: Callable[[Path], set[int]] | None = None  # returns the record IDs it made unreadable

    @property
    def filename(self) -> str:
        return f"{self.name}.evtx"


def _bad_magic(path: Path) -> set[int]:
    """Chunk 1 (the second) loses its "ElfChnk" signature: all its records are gone."""
    lost = {place.record_id for place in damage.records(path) if place.chunk == 1}
    damage.corrupt_chunk_magic(path, 1)
    return lost


def _bad_record_size(path: Path) -> set[int]:
    """A record in the middle of the first chunk gets an impossible size; only it is lost."""
    first_chunk = [place for place in damage.records(path) if place.chunk == 0]
    victim = first_chunk[len(first_chunk) // 2]
    damage.corrupt_record_size(path, victim.record_id)
    return {victim.record_id}


FIXTURES: dict[str, Fixture] = {
    fixture.name: fixture
    for fixture in (
        Fixture("activation-failure",
                "WAS activation: listeners start, sessions arrive, dispatch fails (4001-4035).",
                lambda: scenarios.activation_failure(seed=1, count=3)),
        Fixture("service-call",
                "Client and service sides of calls through inspectors to the operation and back "
                "(201-226); one call faults, one fails.",
                lambda: scenarios.service_call(seed=2, count=3)),
        Fixture("throttling",
                "Throttles at 70 % and then hit (224, 210, 3552, 57398) among service calls.",
                lambda: scenarios.throttling(seed=3, count=2)),
        Fixture("workflow",
                "A workflow instance's life: tracking records (100-119) and runtime (1001-1041).",
                lambda: scenarios.workflow(seed=4, count=1)),
        Fixture("all-events",
                "Every one of the catalog's 481 event IDs at least once, in several chunks.",
                lambda: scenarios.all_events(seed=5, count=1)),
        Fixture("fidelity",
                "Service calls and a workflow with \"\" and whitespace-only payload strings, "
                "FILETIME payloads to the 100 ns tick and UserData payloads.",
                lambda: scenarios.fidelity(seed=8, count=1)),
        Fixture("forwarded",
                "A forwarded-events log: EventRecordID = the file's record number + 5000.",
                lambda: scenarios.forwarded(seed=9, count=59)),
        Fixture("damaged-chunk",
                "Random traffic over several chunks; the second chunk's signature is broken.",
                lambda: scenarios.random_mix(seed=6, count=420), _bad_magic),
        Fixture("damaged-record",
                "Random traffic over three chunks; a record mid-chunk has an impossible size "
                "(CRCs recomputed, so the size is the only fault).",
                lambda: scenarios.random_mix(seed=7, count=200), _bad_record_size),
    )
}


def golden_lines(fixture: Fixture, lost: set[int]) -> Iterator[str]:
    """What a decoder must output for the fixture: one JSON line per intact record."""
    for event in fixture.events():
        if event.record_id in lost:
            continue
        enriched = enrich(event)
        enriched.source = fixture.filename
        yield json.dumps(enriched.to_dict(), ensure_ascii=False, sort_keys=False)


def build(fixture: Fixture, out: Path) -> tuple[Path, Path]:
    """Write one fixture's .evtx (damaged if it asks to be) and its golden .jsonl."""
    out.mkdir(parents=True, exist_ok=True)
    evtx_path = out / fixture.filename
    write_evtx(evtx_path, fixture.events())
    lost = fixture.damage(evtx_path) if fixture.damage else set()
    golden_path = out / f"{fixture.name}.golden.jsonl"
    with golden_path.open("w", encoding="utf-8", newline="\n") as fh:
        for line in golden_lines(fixture, lost):
            fh.write(line + "\n")
    return evtx_path, golden_path


README = """\
# Fixtures

Real .evtx files written by `wcfevents.testing.evtx_writer` from the deterministic scenarios in
`wcfevents.testing.scenarios`, each with `<name>.golden.jsonl`: the records a decoder must output
(`enrich(event).to_dict()`, `source` = the file name), one JSON object per line, intact records
only. Regenerate everything with `python tools/make_fixtures.py`; the tests fail when these files
are not current.

"""


def write_readme(out: Path) -> Path:
    lines = [README]
    for fixture in FIXTURES.values():
        lines.append(f"- `{fixture.filename}`: {fixture.description}\n")
    path = out / "README.md"
    path.write_text("".join(lines), encoding="utf-8", newline="\n")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "fixtures")
    args = parser.parse_args(argv)
    for fixture in FIXTURES.values():
        evtx_path, golden_path = build(fixture, args.out)
        records = sum(1 for _ in golden_path.open(encoding="utf-8"))
        print(f"{evtx_path.name}: {evtx_path.stat().st_size} bytes, {records} golden records")
    write_readme(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
