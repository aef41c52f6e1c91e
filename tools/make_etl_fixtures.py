"""Regenerate the .etl fixtures: the scenario traces as an ETW session writes them.

    python tools/make_etl_fixtures.py [--out fixtures]

Each `<scenario>.etl` is written by `wcfevents.testing.etl_writer` from the same deterministic
events as `<scenario>.evtx` (see tools/make_fixtures.py), each with a different layout so that
every path of the reader runs on committed bytes. Their decoded records equal the .evtx
golden files apart from what .etl lacks (tests/test_etl.py). Running this twice gives identical
bytes; the tests check the committed files are current.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "tools"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import make_fixtures  # noqa: E402

from wcfevents.testing.etl_writer import (  # noqa: E402
    CLOCK_CYCLES,
    CLOCK_SYSTEM,
    EtlOptions,
    EtlSummary,
    write_etl,
)
from wcfevents.testing.scenarios import CLIENT  # noqa: E402


@dataclass(frozen=True)
class EtlFixture:
    scenario: str
    description: str
    options: EtlOptions

    @property
    def filename(self) -> str:
        return f"{self.scenario}.etl"


ETL_FIXTURES: dict[str, EtlFixture] = {
    fixture.scenario: fixture
    for fixture in (
        EtlFixture("activation-failure",
                   "64-bit, QPC clock, 8 KiB buffers on 4 processors (file order is not time "
                   "order).", EtlOptions(buffer_size=8192)),
        EtlFixture("service-call",
                   "Relogged: XPRESS-compressed buffers back to back after a 1 KiB header "
                   "buffer; the client's records have 32-bit headers (WOW64); a kernel SYSTEM "
                   "record after every 7th event.",
                   EtlOptions(buffer_size=4096, compressed=True,
                              wow64_pids=frozenset({CLIENT.process_id}), kernel_every=7)),
        EtlFixture("throttling",
                   "32-bit log-file header and records, CPU-cycle clock (3 GHz), 2 processors.",
                   EtlOptions(buffer_size=8192, pointer_size=4, clock=CLOCK_CYCLES,
                              processors=2)),
        EtlFixture("workflow",
                   "System-time clock; the session lost 5 events (header EventsLost) and "
                   "flagged its second buffer.",
                   EtlOptions(buffer_size=8192, clock=CLOCK_SYSTEM, events_lost=5,
                              lost_flag_buffers=frozenset({1}))),
        EtlFixture("all-events",
                   "Every one of the catalog's 481 event IDs, 16 KiB buffers on 8 processors.",
                   EtlOptions(buffer_size=16384, processors=8)),
    )
}


def build(fixture: EtlFixture, out: Path) -> tuple[Path, EtlSummary]:
    out.mkdir(parents=True, exist_ok=True)
    path = out / fixture.filename
    events = make_fixtures.FIXTURES[fixture.scenario].events()
    return path, write_etl(path, events, fixture.options)


def write_readme(out: Path) -> Path:
    """fixtures/ETL.md: what each .etl fixture is (fixtures/README.md is make_fixtures.py's)."""
    lines = ["# .etl fixtures\n\nThe scenarios of the .evtx fixtures written as an ETW session "
             "writes them, by `wcfevents.testing.etl_writer` (`python tools/make_etl_fixtures.py`)."
             " They decode to the .evtx goldens apart from `record_id` and `computer` (null) and "
             "`extra`'s ProcessorID, KernelTime and UserTime (tests/test_etl.py).\n\n"]
    for fixture in ETL_FIXTURES.values():
        lines.append(f"- `{fixture.filename}`: {fixture.description}\n")
    path = out / "ETL.md"
    path.write_text("".join(lines), encoding="utf-8", newline="\n")
    return path


def main(argv: list[str] | None = None) -> int:
    doc = __doc__ or ""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "fixtures")
    args = parser.parse_args(argv)
    for fixture in ETL_FIXTURES.values():
        path, summary = build(fixture, args.out)
        print(f"{path.name}: {path.stat().st_size} bytes, {summary.events} events in "
              f"{summary.buffers} buffers")
    write_readme(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
