"""Fuzzing the .etl reader: mutated fixtures never crash it, never hang, and account for what
they read.

Like tests/test_fuzz.py for .evtx: a bounded number of cases in the normal suite, more with
WCFEVENTS_FUZZ=long (20,000 a test) or WCFEVENTS_FUZZ=N. The reader is driven directly, so any
exception other than InputError (a whole file refused) is a failure, not hidden as "unreadable".
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wcfevents.sources import Damage, Input, InputError, Notice
from wcfevents.sources.etl import EtlReader, read_layout

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
# Plain 64-bit, compressed back-to-back buffers, 32-bit header with a cycle clock.
NAMES = ["activation-failure.etl", "service-call.etl", "throttling.etl"]

# This test's own settings (not a global profile, which would change other fuzz tests).
_WANTED = os.environ.get("WCFEVENTS_FUZZ", "")
EXAMPLES = (int(_WANTED) if _WANTED.isdigit() else 20_000) if _WANTED else 30


def buffer_spans(path: Path) -> list[tuple[int, int]]:
    fd = os.open(path, os.O_RDONLY)
    try:
        return [(b.offset, b.end) for b in read_layout(fd, path.name).buffers[1:]]
    finally:
        os.close(fd)


def mutate(path: Path, kind: str, seed: int) -> bytes:
    rng = random.Random(seed)
    buf = bytearray(path.read_bytes())
    if kind == "flip":
        for _ in range(rng.randint(1, 12)):
            position = rng.randrange(len(buf))
            buf[position] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del buf[rng.randrange(1, len(buf)):]
    elif kind == "swap":  # two data buffers change places (sizes may differ: byte spans)
        spans = buffer_spans(path)
        a, b = sorted(rng.sample(range(len(spans)), 2))
        (a0, a1), (b0, b1) = spans[a], spans[b]
        buf = buf[:a0] + buf[b0:b1] + buf[a1:b0] + buf[a0:a1] + buf[b1:]
    elif kind == "zero":
        start = rng.randrange(len(buf))
        buf[start:start + rng.randrange(1, 2048)] = bytes(rng.randrange(1, 2048))
    return bytes(buf)


def decode(path: Path) -> tuple[list[dict[str, Any]], list[Damage], list[Notice], float]:
    """Events (without their source), damage, notices, seconds; InputError passes through."""
    damage: list[Damage] = []
    notices: list[Notice] = []

    def report(item: Damage | Notice) -> None:
        (notices if isinstance(item, Notice) else damage).append(item)

    started = time.perf_counter()
    records = []
    for event in EtlReader().events(Input(path.name, path), report):
        assert event is not None
        record = event.to_dict()
        del record["source"]
        records.append(record)
    return records, damage, notices, time.perf_counter() - started


def key(record: dict[str, Any]) -> str:
    return repr(sorted(record.items(), key=lambda item: item[0]))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(NAMES), kind=st.sampled_from(["flip", "truncate", "swap", "zero"]),
       seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_mutated_etl_never_crashes_and_accounts(tmp_path_factory: Any, name: str, kind: str,
                                                 seed: int) -> None:
    original, _, _, _ = decode(FIXTURES / name)
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_bytes(mutate(FIXTURES / name, kind, seed))
    try:
        records, damage, notices, seconds = decode(path)
    except InputError:
        return  # the whole file refused with one clear message (e.g. its header is gone)
    assert seconds < 20, (kind, seed)
    for item in damage:
        assert item.source == name and item.detail
    if kind == "swap":
        # Buffers out of place lose nothing: the same records, maybe in another order.
        assert Counter(map(key, records)) == Counter(map(key, original)), seed
        assert not damage
    if kind == "truncate":
        assert damage  # a file cut short always says so
        known = Counter(map(key, original))
        assert not Counter(map(key, records)) - known, seed  # only records that were there
    assert sum(n.skipped for n in notices) >= 0


def test_flipped_buffer_size_resynchronises(tmp_path: Path) -> None:
    """A data buffer whose size is impossible is read up to the next buffer header: nothing
    lost, one warning naming its offset."""
    data = bytearray((FIXTURES / "all-events.etl").read_bytes())
    spans = buffer_spans(FIXTURES / "all-events.etl")
    start = spans[3][0]
    data[start:start + 4] = (3).to_bytes(4, "little")
    path = tmp_path / "all-events.etl"
    path.write_bytes(bytes(data))
    records, damage, _, _ = decode(path)
    original, _, _, _ = decode(FIXTURES / "all-events.etl")
    assert len(damage) == 1 and damage[0].offset == start and damage[0].lost == 0
    assert "impossible buffer size 3" in damage[0].detail
    assert records == original
