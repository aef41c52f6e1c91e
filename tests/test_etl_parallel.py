"""Large .etl files across worker processes give exactly the one-process output: the same bytes
in the same (time) order, the same accounting and the same damage reports, each once."""

from __future__ import annotations

import os
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from wcfevents import parallel_etl
from wcfevents.api import make_filters
from wcfevents.output import jsonl
from wcfevents.parallel import encoded
from wcfevents.pipeline import Stats
from wcfevents.sources import Input
from wcfevents.sources.etl import read_layout

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(autouse=True)
def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel_etl, "WINDOW_BYTES", 16384)  # many windows in a small file
    monkeypatch.setattr(parallel_etl, "MIN_BYTES", 0)


def run(path: Path, workers: int, **selection: Any) -> tuple[bytes, Stats, list[str]]:
    stats = Stats()
    damage: list[Any] = []
    output = b"".join(encoded([str(path)], make_filters(**selection),
                              partial(jsonl.encode, fields=None), stats=stats,
                              on_damage=damage.append, workers=workers))
    return output, stats, [str(d) for d in damage]


def damaged_copy(tmp_path: Path, damage: str) -> Path:
    """all-events.etl with its fourth data buffer damaged: one record given an impossible size,
    its BufferSize zeroed, halved, doubled or one byte more, or its whole header zeroed."""
    data = bytearray((FIXTURES / "all-events.etl").read_bytes())
    fd = os.open(FIXTURES / "all-events.etl", os.O_RDONLY)
    try:
        victim = read_layout(fd, "all-events.etl").buffers[4]
    finally:
        os.close(fd)
    if damage == "record":
        first = victim.offset + 0x48
        second = first + ((int.from_bytes(data[first:first + 2], "little") + 7) & ~7)
        data[second:second + 2] = (0xFFF8).to_bytes(2, "little")
    elif damage == "header":
        data[victim.offset:victim.offset + 0x48] = bytes(0x48)
    else:
        size = {"size-zero": 0, "size-half": victim.size // 2, "size-double": victim.size * 2,
                "size-plus-one": victim.size + 1}[damage]
        data[victim.offset:victim.offset + 4] = size.to_bytes(4, "little")
    path = tmp_path / "all-events.etl"
    path.write_bytes(bytes(data))
    return path


DAMAGE = ["record", "header", "size-zero", "size-half", "size-double", "size-plus-one"]


@pytest.mark.parametrize("selection", [{}, {"levels": ["warning+"]}, {"ids": ["4001-4035"]},
                                       {"keywords": ["ServiceModel"]}])
@pytest.mark.parametrize("damage", [None, *DAMAGE])
def test_time_windows_across_workers_equal_one_process(tmp_path: Path, selection: dict,
                                                       damage: str | None) -> None:
    path = damaged_copy(tmp_path, damage) if damage else FIXTURES / "all-events.etl"
    planned = parallel_etl.plan(Input(str(path), path), "auto", 2)
    assert planned is not None and len(planned[1]) > 5
    parallel, parallel_stats, parallel_damage = run(path, 2, **selection)
    serial, serial_stats, serial_damage = run(path, 1, **selection)
    assert parallel == serial
    assert parallel_damage == serial_damage
    assert bool(serial_damage) == bool(damage)
    for key in ("read", "matched", "filtered", "lost", "damaged", "unknown_loss", "inputs",
                "skipped", "session_lost"):
        assert getattr(parallel_stats, key) == getattr(serial_stats, key), key
    if damage and damage.startswith("size"):
        # A damaged BufferSize costs nothing: the buffer is read up to the next header.
        clean = FIXTURES / "all-events.etl"
        assert serial.replace(str(path).encode(), b"") == run(clean, 1, **selection)[0].replace(
            str(clean).encode(), b"")
        assert serial_stats.complete and serial_stats.damaged == 1


def test_every_buffer_owned_once_and_every_window_sees_its_buffers() -> None:
    path = FIXTURES / "all-events.etl"
    planned = parallel_etl.plan(Input(str(path), path), "auto", 2)
    assert planned is not None
    layout, parts = planned
    owners = [index for _, _, owned in parts for index in owned]
    assert sorted(owners) == [b.index for b in layout.buffers]
    windows = [window for _, window, _ in parts]
    assert all(a[1] == b[0] for a, b in pairwise(windows))


def test_session_loss_reported_once_in_parallel() -> None:
    _, stats, damage = run(FIXTURES / "workflow.etl", 2)
    assert stats.session_lost == 5 and len(damage) == 1


def test_compressed_files_stay_in_one_process() -> None:
    path = FIXTURES / "service-call.etl"
    assert parallel_etl.plan(Input(str(path), path), "auto", 2) is None
