"""Real Windows .etl files: every EVENT_HEADER event decodes, with the README's counts.

The samples live in ../shared/samples/etl (not in the repository); these tests skip without
them. The expected figures are the README's (measured there with an independent reader): event
counts, providers, first and last times, records of other kinds and the header's EventsLost.
TraceEvent's baselines beside two of the files give each event's time and payload length.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from wcfevents.cli import main
from wcfevents.model import iso_to_filetime
from wcfevents.pipeline import Stats, read
from wcfevents.sources.etl import read_layout

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples" / "etl"
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z")


@dataclass(frozen=True)
class Sample:
    name: str
    records: int  # every record in the file, of any kind
    events: int  # EVENT_HEADER records
    providers: tuple[tuple[str, int], ...]  # (first 8 hex digits of the GUID, events)
    times: tuple[str, ...]  # first and last event (one when there is one event)
    events_lost: int


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def sample_table() -> list[Sample]:
    readme = SAMPLES / "README.md"
    if not readme.exists():
        return []
    rows = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 8 or not cells[0].endswith(".etl") or cells[1][:1].isdigit() is False:
            continue
        total = _number(re.search(r"\(([\d,]+)\)\s*$", cells[3]).group(1))  # type: ignore[union-attr]
        events = _number(cells[4].split()[0])
        providers = tuple((m.group(1), _number(m.group(2))) for m in re.finditer(
            r"([0-9a-f]{8})-[0-9a-f…-]*(?:\s*\([^)]*\))?\s+([\d,]+)", cells[5]))
        times = tuple(_TIME.findall(cells[6])) if events else ()
        lost = re.search(r"EventsLost (\d+)", cells[7])
        rows.append(Sample(cells[0], total, events, providers, times,
                           int(lost.group(1)) if lost else 0))
    return rows


TABLE = sample_table()
needs_samples = pytest.mark.skipif(not TABLE, reason="../shared/samples/etl is not present")
IDS = [s.name for s in TABLE]


@needs_samples
def test_table_was_read() -> None:
    assert len(TABLE) == 6
    assert sum(s.events for s in TABLE) == 68_234


@needs_samples
@pytest.mark.parametrize("sample", TABLE, ids=IDS)
def test_every_event_decodes_with_the_readme_counts(sample: Sample) -> None:
    stats = Stats()
    reports: list[object] = []
    events = list(read([str(SAMPLES / sample.name)], stats=stats, on_damage=reports.append))
    assert stats.complete and stats.lost == 0 and stats.unknown_loss == 0
    assert len(events) == stats.read == sample.events
    assert stats.skipped == sample.records - sample.events  # other kinds: skipped, not lost
    assert stats.session_lost == sample.events_lost
    assert [str(r) for r in reports if "lost" in str(r)] == (
        [f"{SAMPLES / sample.name}: the trace session lost {sample.events_lost} events (header "
         "EventsLost) before writing them to the file; everything in the file was read"]
        if sample.events_lost else [])
    by_prefix = Counter(e.provider_guid[:8] for e in events if e.provider_guid)
    assert sorted(by_prefix.items()) == sorted(sample.providers)
    times = [e.timestamp for e in events]
    assert times == sorted(times)  # merged into time order
    if sample.times:
        assert (times[0], times[-1]) == (sample.times[0], sample.times[-1])
    for event in events:
        assert event.timestamp and len(event.timestamp) == 28 and event.event_id is not None
        assert "PayloadMissing" not in event.extra


@needs_samples
@pytest.mark.parametrize("sample", TABLE, ids=IDS)
def test_command_exits_0(sample: Sample) -> None:
    result = CliRunner().invoke(main, ["decode", str(SAMPLES / sample.name), "--count"])
    assert result.exit_code == 0
    assert result.stdout.strip() == str(sample.events)
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == (1 if sample.events_lost else 0)


def baseline(name: str) -> list[tuple[float, int, int, str, int]]:
    """TraceEvent's lines: (ms from StartTime, pid, tid, event name, DataLen)."""
    rows = []
    path = SAMPLES / name
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"EVENT ([\d,]+\.\d+): (\S+) PID=(\d+); TID=(\d+);.*?DataLen=(\d+);",
                         line)
        if match:
            rows.append((float(match.group(1).replace(",", "")), int(match.group(3)),
                         int(match.group(4)), match.group(2), int(match.group(5))))
    return rows


@needs_samples
@pytest.mark.parametrize("name", ["gcevents", "net.4.5.2.x64"])
def test_times_and_payload_lengths_agree_with_traceevent(name: str) -> None:
    """Every CLR event of TraceEvent's baseline is one of ours: same process, thread, time to
    the printed microsecond, and payload length."""
    fd = os.open(SAMPLES / f"{name}.etl", os.O_RDONLY)
    try:
        start = read_layout(fd, name).header.start_time
    finally:
        os.close(fd)
    ours: dict[tuple[int, int], list[tuple[float, int]]] = {}
    for event in read([str(SAMPLES / f"{name}.etl")]):
        ms = (iso_to_filetime(event.timestamp or "") - start) / 10_000
        length = len(event.extra.get("Payload", "")) // 2
        ours.setdefault((event.process_id or 0, event.thread_id or 0), []).append((ms, length))
    checked = 0
    for ms, pid, tid, event_name, data_len in baseline(f"{name}.baseline.txt"):
        if not event_name.startswith("Microsoft-Windows-DotNETRuntime"):
            continue
        candidates = ours.get((pid, tid), [])
        assert any(abs(t - ms) < 0.0011 and length == data_len for t, length in candidates), (
            event_name, ms)
        checked += 1
    assert checked > 40
