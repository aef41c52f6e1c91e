"""Decoding a file in chunk windows across worker processes gives exactly the one-process output:
the same bytes in the same order, the same accounting and the same damage reports."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest

from wcfevents.api import make_filters
from wcfevents.output import csv as csv_output
from wcfevents.output import discard, jsonl
from wcfevents.parallel import encoded
from wcfevents.pipeline import Stats, read

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def run(name: str, encode: Any, workers: int, **selection: Any) -> tuple[bytes, Stats, list]:
    stats = Stats()
    damage: list[Any] = []
    output = b"".join(encoded([str(FIXTURES / name)], make_filters(**selection), encode,
                              stats=stats, on_damage=damage.append, workers=workers,
                              window_chunks=1))
    return output, stats, [str(d) for d in damage]


@pytest.mark.parametrize("name", ["all-events.evtx", "damaged-chunk.evtx", "damaged-record.evtx"])
@pytest.mark.parametrize("selection", [{}, {"levels": ["warning+"]}, {"ids": ["4001-4035"]},
                                       {"keywords": ["ServiceModel"], "grep": ["a"]}])
def test_windows_across_workers_equal_one_process(name: str, selection: dict) -> None:
    encode = partial(jsonl.encode, fields=None)
    parallel, parallel_stats, parallel_damage = run(name, encode, 2, **selection)
    serial, serial_stats, serial_damage = run(name, encode, 1, **selection)
    assert parallel == serial
    assert parallel_damage == serial_damage
    for key in ("read", "matched", "filtered", "lost", "damaged", "unknown_loss", "inputs"):
        assert getattr(parallel_stats, key) == getattr(serial_stats, key), key
    direct = b"".join(jsonl.encode([e]) for e in read([str(FIXTURES / name)],
                                                      make_filters(**selection),
                                                      on_damage=lambda d: None))
    assert parallel == direct


def test_csv_and_count_in_parallel() -> None:
    rows, _, _ = run("all-events.evtx", partial(csv_output.encode, fields=["event_id"]), 2)
    assert rows.decode().splitlines() == [
        str(e.event_id) for e in read([str(FIXTURES / "all-events.evtx")])]
    nothing, stats, _ = run("all-events.evtx", discard, 2, levels=["error"])
    assert nothing == b"" and stats.matched == sum(
        1 for e in read([str(FIXTURES / "all-events.evtx")]) if e.level_value == 2)
