"""Real Windows .evtx files of other providers: decoding real bytes loses nothing.

The samples live in ../shared/samples (not in the repository); these tests skip without them.
The expected record counts are the ones the samples' README gives for the Rust parser.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wcfevents.pipeline import Stats, read

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples"
COMPARED = ("record_id", "timestamp", "provider", "provider_guid", "event_id", "version",
            "level_value", "task_id", "opcode_id", "keywords_mask", "channel", "computer",
            "process_id", "thread_id", "activity_id", "related_activity_id")


def sample_table() -> list[tuple[str, int, int]]:
    readme = SAMPLES / "README.md"
    if not readme.exists():
        return []
    rows = []
    for line in readme.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\|\s*([\w.-]+\.evtx)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|", line)
        if match:
            rows.append((match.group(1), int(match.group(3)), int(match.group(4))))
    return rows


TABLE = sample_table()
needs_samples = pytest.mark.skipif(not TABLE, reason="../shared/samples is not present")


@needs_samples
def test_table_was_read() -> None:
    assert len(TABLE) == 9


@needs_samples
@pytest.mark.parametrize(("name", "records", "chunk_errors"), TABLE, ids=[r[0] for r in TABLE])
def test_rust_engine_reads_every_record(name: str, records: int, chunk_errors: int) -> None:
    stats = Stats()
    damage = []
    events = list(read([str(SAMPLES / name)], stats=stats, on_damage=damage.append))
    # At least what the Rust parser alone finds: records it abandons after a damaged record
    # inside a readable chunk are recovered by resynchronising.
    assert len(events) >= records
    assert len(events) == stats.read == stats.matched
    assert len({e.record_id for e in events}) == len(events)
    # Every chunk the parser could not read is reported; chunks that only fail their checksum
    # are reported too, although their readable records are decoded.
    assert len(damage) >= chunk_errors
    # Complete (exit 0) exactly when nothing was lost: a checksum warning alone loses nothing.
    lost = sum(d.lost or 0 for d in damage)
    assert stats.complete == (lost == 0 and all(d.lost is not None for d in damage))
    for event in events:
        assert event.timestamp and event.timestamp.endswith("Z") and len(event.timestamp) == 28
        assert event.event_id is not None


@needs_samples
@pytest.mark.parametrize(("name", "records", "chunk_errors"), TABLE, ids=[r[0] for r in TABLE])
def test_python_engine_agrees_where_both_read(name: str, records: int, chunk_errors: int) -> None:
    """python-evtx, driven over the same walk of every chunk on disk, reads the same records."""
    rust_damage: list = []
    rust = list(read([str(SAMPLES / name)], on_damage=rust_damage.append))
    python_damage: list = []
    python = list(read([str(SAMPLES / name)], engine="python", on_damage=python_damage.append))
    assert [e.record_id for e in python] == [e.record_id for e in rust]
    for event, other in zip(python, rust, strict=True):
        for key in COMPARED:
            assert getattr(event, key) == getattr(other, key), (event.record_id, key)
    assert [str(d) for d in python_damage] == [str(d) for d in rust_damage]
