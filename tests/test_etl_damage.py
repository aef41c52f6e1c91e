"""One damaged buffer costs at most its own events: packed compressed, unpacked compressed and
uncompressed .etl files written by the ETL writer, one buffer header's BufferSize damaged in
several ways (or its middle bytes), decoded against the undamaged file record by record."""

from __future__ import annotations

import json
import struct
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wcfevents.cli import main
from wcfevents.pipeline import Stats, read
from wcfevents.sources import Damage
from wcfevents.sources.etl import records as rec
from wcfevents.testing import scenarios
from wcfevents.testing.etl_writer import EtlOptions, write_etl

LAYOUTS = {
    "packed": EtlOptions(buffer_size=4096, compressed=True),
    "unpacked-compressed": EtlOptions(buffer_size=4096, compressed=True, packed=False),
    "uncompressed": EtlOptions(buffer_size=4096),
}
SIZE_DAMAGE = ["bigger", "smaller", "huge", "zero", "plus-one", "minus-one", "next-but-one"]


class Trace:
    """A written file, its records, and each data buffer's span and events."""

    def __init__(self, path: Path, offsets: list[int]) -> None:
        self.path = path
        self.data = path.read_bytes()
        self.spans = list(zip(offsets, [*offsets[1:], len(self.data)], strict=True))
        self.records, _, _ = decode(path)
        self._own: dict[int, Counter[str]] = {}

    def own(self, k: int, scratch: Path) -> Counter[str]:
        """The records of data buffer `k`: the file's less those of the file without it."""
        if k not in self._own:
            start, end = self.spans[k]
            path = scratch / f"without-{k}.etl"
            path.write_bytes(self.data[:start] + self.data[end:])
            self._own[k] = Counter(self.records) - Counter(decode(path)[0])
        return self._own[k]


def decode(path: Path) -> tuple[list[str], Stats, list[Any]]:
    stats = Stats()
    reports: list[Any] = []
    records = [json.dumps({**e.to_dict(), "source": None}, sort_keys=True)
               for e in read([str(path)], stats=stats, on_damage=reports.append,
                             on_unreadable=reports.append)]
    return records, stats, reports


@pytest.fixture(scope="module")
def traces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Trace]:
    out = tmp_path_factory.mktemp("damage")
    made = {}
    for name, options in LAYOUTS.items():
        path = out / f"{name}.etl"
        summary = write_etl(path, scenarios.random_mix(seed=7, count=2000), options)
        made[name] = Trace(path, summary.buffer_offsets)
    return made


def damaged(trace: Trace, k: int, kind: str) -> bytes:
    data = bytearray(trace.data)
    start, end = trace.spans[k]
    size = end - start
    if kind == "middle":  # the record header in the middle of the buffer, or its XPRESS data
        if trace.path.name.startswith("uncompressed"):
            used = struct.unpack_from("<I", data, start + 4)[0]
            positions = [p for p, _, _ in rec.walk(bytes(data[start:start + used]))]
            where = start + positions[len(positions) // 2]
        else:
            where = start + 0x48 + 200
        data[where:where + 64] = b"\xff" * 64
        return bytes(data)
    value = {"bigger": size + 1000, "smaller": size // 2, "huge": 0xFFFFFFF0, "zero": 0,
             "plus-one": size + 1, "minus-one": size - 1,
             "next-but-one": trace.spans[k + 1][1] - start}[kind]
    struct.pack_into("<I", data, start, value)
    return bytes(data)


def others_in_order(records: list[str], own: Counter[str]) -> list[str]:
    left = Counter(own)
    kept = []
    for record in records:
        if left[record]:
            left[record] -= 1
        else:
            kept.append(record)
    return kept


@pytest.mark.parametrize("kind", [*SIZE_DAMAGE, "middle"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_one_damaged_buffer_costs_at_most_its_own_events(
        traces: dict[str, Trace], tmp_path: Path, layout: str, kind: str) -> None:
    trace = traces[layout]
    k = len(trace.spans) // 2
    start = trace.spans[k][0]
    path = tmp_path / f"{layout}-{kind}.etl"
    path.write_bytes(damaged(trace, k, kind))
    records, stats, reports = decode(path)
    # A packed buffer whose size ends exactly at the buffer after next holds the one between:
    # only its XPRESS data ending early tells, when it is decoded; that buffer is the one lost.
    absorbed = kind == "next-but-one" and layout == "packed"
    own = trace.own(k + 1 if absorbed else k, tmp_path)
    assert own  # the buffer held events
    # Every event of every other buffer, exactly as from the undamaged file, in its order.
    assert others_in_order(records, own) == others_in_order(trace.records, own)
    assert not Counter(records) - Counter(trace.records)
    assert stats.read == stats.matched + stats.filtered == len(records)
    result = CliRunner().invoke(main, ["decode", str(path), "--count"], catch_exceptions=False)
    lines = [line for line in result.stderr.splitlines() if str(path) in line]
    assert result.stdout.strip() == str(len(records)) and "Traceback" not in result.stderr
    if absorbed:
        between = trace.spans[k + 1][0]
        assert [r.offset for r in reports if r.offset == between] == [between]
        assert Counter(records) == Counter(trace.records) - own
        assert stats.unknown_loss and result.exit_code == 1
    elif kind == "middle":
        # The buffer's own records from the damage on are lost, and said to be.
        assert len(records) < len(trace.records)
        assert [r.offset for r in reports] == [start] and reports[0].lost is None
        assert stats.unknown_loss == 1 and result.exit_code == 1
        assert len(lines) == 1 and f"at offset {start}:" in lines[0]
    else:
        # Only the size was damaged: the buffer is read up to the next header, nothing lost.
        assert records == trace.records
        assert [(r.offset, r.lost) for r in reports] == [(start, 0)]
        assert stats.complete and result.exit_code == 0
        assert len(lines) == 1 and f"at offset {start}: buffer {k + 1}:" in lines[0]


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_destroyed_header_costs_its_buffer_only(traces: dict[str, Trace], tmp_path: Path,
                                                  layout: str) -> None:
    """A header zeroed whole: its buffer is skipped as damage, the buffers around it are read."""
    trace = traces[layout]
    k = len(trace.spans) // 3
    start = trace.spans[k][0]
    data = bytearray(trace.data)
    data[start:start + 0x48] = bytes(0x48)
    path = tmp_path / "zeroed.etl"
    path.write_bytes(bytes(data))
    records, stats, reports = decode(path)
    assert Counter(records) == Counter(trace.records) - trace.own(k, tmp_path)
    assert reports[0].offset == start and reports[0].lost is None and not stats.complete


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(layout=st.sampled_from(list(LAYOUTS)), which=st.sampled_from([0, 1, -2, -1]),
       at=st.integers(0, 0x47), flip=st.integers(1, 255))
def test_a_flipped_header_byte_costs_at_most_its_buffer(traces: dict[str, Trace],
                                                         tmp_path_factory: Any, layout: str,
                                                         which: int, at: int,
                                                         flip: int) -> None:
    trace = traces[layout]
    k = which % len(trace.spans)
    start = trace.spans[k][0]
    data = bytearray(trace.data)
    data[start + at] ^= flip
    path = tmp_path_factory.mktemp("flip") / "flipped.etl"
    path.write_bytes(bytes(data))
    records, stats, reports = decode(path)
    own = trace.own(k, tmp_path_factory.mktemp("own"))
    # Every other buffer's events are there (in time order, though a buffer moved to another
    # processor may interleave differently at equal times); nothing foreign but this buffer's.
    assert not Counter(trace.records) - own - Counter(records)
    assert sum((Counter(records) - Counter(trace.records)).values()) <= sum(own.values())
    assert stats.read == len(records)
    for report in reports:
        assert report.source == str(path)
        if isinstance(report, Damage):
            assert report.offset is not None
    if len(records) < len(trace.records):
        assert stats.damaged and not stats.complete  # events missing are never silent
