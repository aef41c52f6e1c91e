"""Fuzzing: mutated fixture traces never crash the decoder, and the two .evtx engines agree on
every record both of them read.

A bounded number of cases runs in the normal suite. A long run:

    WCFEVENTS_FUZZ=long python -m pytest tests/test_fuzz.py -q   # 20,000 cases per test
    WCFEVENTS_FUZZ=3000 python -m pytest tests/test_fuzz.py -q   # any number of cases

Any crash found becomes a regression test with its minimised input in fixtures/fuzz/.
"""

from __future__ import annotations

import json
import os
import random
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wcfevents.pipeline import Stats, read

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SMALL = ["activation-failure.evtx", "service-call.evtx", "throttling.evtx", "workflow.evtx"]
REGRESSIONS = sorted(p for p in (FIXTURES / "fuzz").glob("*") if p.suffix in (".evtx", ".xml"))

settings.register_profile("suite", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
_WANTED = os.environ.get("WCFEVENTS_FUZZ", "")
settings.register_profile(
    "long", max_examples=int(_WANTED) if _WANTED.isdigit() else 20_000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("long" if _WANTED else "suite")


def mutate(data: bytes, kind: str, seed: int) -> bytes:
    """One kind of damage real files show: flipped bits, a cut, chunks out of place, splices."""
    rng = random.Random(seed)
    buf = bytearray(data)
    if kind == "flip":
        for _ in range(rng.randint(1, 12)):
            position = rng.randrange(len(buf))
            buf[position] ^= 1 << rng.randrange(8)
    elif kind == "truncate":
        del buf[rng.randrange(len(buf)):]
    elif kind == "swap" and len(buf) >= 4096 + 2 * 65536:
        chunks = (len(buf) - 4096) // 65536
        a, b = rng.sample(range(chunks), 2)
        first = slice(4096 + a * 65536, 4096 + (a + 1) * 65536)
        second = slice(4096 + b * 65536, 4096 + (b + 1) * 65536)
        buf[first], buf[second] = buf[second], buf[first]
    elif kind == "splice":
        other = (FIXTURES / rng.choice(SMALL)).read_bytes()
        start = rng.randrange(len(buf))
        length = rng.randrange(1, 4096)
        source = rng.randrange(max(1, len(other) - length))
        buf[start:start + length] = other[source:source + length]
    elif kind == "zero":
        start = rng.randrange(len(buf))
        buf[start:start + rng.randrange(1, 2048)] = bytes(rng.randrange(1, 2048))
    return bytes(buf)


def decode(path: Path, engine: str) -> tuple[dict[int, list[dict[str, Any]]], Stats]:
    """Records by ID; a spliced file can hold two records with one ID, so each ID has a list."""
    stats = Stats()
    events = read([str(path)], engine=engine, stats=stats, on_damage=lambda d: None,
                  on_unreadable=lambda e: None)
    records: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        record = event.to_dict()
        records.setdefault(record["record_id"], []).append(record)
    assert stats.read == stats.matched + stats.filtered == sum(map(len, records.values()))
    return records, stats


def golden_rows(name: str) -> dict[int, dict[str, Any]]:
    rows = {}
    golden = FIXTURES / name.replace(".evtx", ".golden.jsonl")
    for line in golden.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        rows[row["record_id"]] = row
    return rows


def intact_chunk_ids(original: bytes, mutated: bytes) -> set[int]:
    """Record numbers of the chunks whose bytes the mutation left exactly as written."""
    ids: set[int] = set()
    for start in range(4096, len(original), 65536):
        chunk = original[start:start + 65536]
        if mutated[start:start + 65536] == chunk and mutated[:4096] == original[:4096]:
            first, last = struct.unpack_from("<QQ", chunk, 24)
            ids.update(range(first, last + 1))
    return ids


@given(name=st.sampled_from(SMALL),
       kind=st.sampled_from(["flip", "truncate", "swap", "splice", "zero"]),
       seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_mutated_evtx_never_crashes_and_engines_agree(tmp_path_factory: Any, name: str,
                                                      kind: str, seed: int) -> None:
    """No record twice, never more than on disk, the intact chunks' records exactly as
    written, and both engines the same records."""
    path = tmp_path_factory.mktemp("fuzz") / name
    original = (FIXTURES / name).read_bytes()
    mutated = mutate(original, kind, seed)
    path.write_bytes(mutated)
    rust, rust_stats = decode(path, "rust")
    python, python_stats = decode(path, "python")
    golden = golden_rows(name)
    for records, stats in ((rust, rust_stats), (python, python_stats)):
        numbers = [r["extra"].get("file_record_number", r["record_id"])
                   for rows in records.values() for r in rows]
        assert len(numbers) == len(set(numbers)), (kind, seed)
        assert stats.read <= len(golden), (kind, seed)
        for record_id in intact_chunk_ids(original, mutated) & records.keys():
            row = dict(records[record_id][0], source=golden[record_id]["source"])
            assert row == golden[record_id], (kind, seed, record_id)
    # The same records, by the file's own numbers; the same values wherever the chunk vouches
    # for them (in a chunk marked extra.integrity the two parsers may read damaged values apart).
    assert file_numbers(rust).keys() == file_numbers(python).keys(), (kind, seed)
    verified = {n: r for n, r in file_numbers(rust).items() if "integrity" not in r["extra"]}
    for number, row in verified.items():
        assert row == file_numbers(python)[number], (kind, seed, number)


def file_numbers(records: dict[int, list[dict[str, Any]]]) -> dict[int, dict[str, Any]]:
    return {r["extra"].get("file_record_number", r["record_id"]): r
            for rows in records.values() for r in rows}


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_fuzz_regressions(path: Path) -> None:
    """Each once crashed or hung: now a clean run in bounded time, the damage reported."""
    engines = ("rust", "python") if path.suffix == ".evtx" else ("auto",)
    for engine in engines:
        result = subprocess.run([sys.executable, "-m", "wcfevents", "decode", "--count",
                                 "--engine", engine, str(path)],
                                capture_output=True, text=True, timeout=60)
        assert "Traceback" not in result.stderr
        assert int(result.stdout) >= 0
        assert "warning" in result.stderr
        # Exit 1 exactly when the accounting line says records were lost.
        last = result.stderr.splitlines()[-1]
        lost = "lost" in last and (" 0 lost" not in last or "unknown size" in last)
        assert result.returncode == (1 if lost else 0), result.stderr


XML = ["service-call.wevtutil.xml", "service-call.tracerpt.xml", "activation-failure.toxml.xml"]


def mutate_xml(data: bytes, kind: str, seed: int) -> bytes:
    """Damage an export the way copies and tools do: cuts, stray bytes, markup out of place."""
    rng = random.Random(seed)
    position = rng.randrange(len(data))
    if kind == "truncate":
        return data[:position]
    if kind == "bytes":
        return data[:position] + bytes(rng.randrange(256) for _ in range(8)) + data[position:]
    if kind == "markup":
        junk = rng.choice([b"<", b">", b"&", b"</Event>", b"<Event>", b"]]>", b"<!--",
                           b"<?xml version='1.0'?>", b"&#x1;", b"&bogus;", b"\x00"])
        return data[:position] + junk + data[position:]
    if kind == "drop":
        return data[:position] + data[position + rng.randrange(1, 400):]
    return data


@given(name=st.sampled_from(XML),
       kind=st.sampled_from(["truncate", "bytes", "markup", "drop"]),
       seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_mutated_xml_never_crashes(tmp_path_factory: Any, name: str, kind: str,
                                   seed: int) -> None:
    path = tmp_path_factory.mktemp("fuzz") / name
    mutated = mutate_xml((FIXTURES / name).read_bytes(), kind, seed)
    path.write_bytes(mutated)
    _records, stats = decode(path, "auto")
    text = mutated.decode("utf-16" if mutated[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8",
                          errors="replace")
    assert stats.read <= text.count("<Event")
