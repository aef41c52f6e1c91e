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


# -- XML exports in byte ranges ---------------------------------------------------------------

from wcfevents.testing.scenarios import generate  # noqa: E402
from wcfevents.testing.xml_writer import write_xml_file  # noqa: E402

RANGE = 4096  # bytes a range: a small file still splits into many


def xml_file(tmp_path: Path, flavour: str, encoding: str, count: int = 120) -> Path:
    path = tmp_path / f"mix.{flavour}.{encoding}.xml"
    write_xml_file(path, generate("mix", seed=3, count=count), flavour, encoding=encoding)
    return path


def run_xml(path: Path, encode: Any, workers: int, **selection: Any) -> tuple[bytes, Stats, list]:
    stats = Stats()
    damage: list[Any] = []
    output = b"".join(encoded([str(path)], make_filters(**selection), encode, stats=stats,
                              on_damage=damage.append, workers=workers, range_bytes=RANGE))
    return output, stats, [(d.offset, d.lost, d.detail) for d in damage]


def same(path: Path, **selection: Any) -> bytes:
    encode = partial(jsonl.encode, fields=None)
    parallel, parallel_stats, parallel_damage = run_xml(path, encode, 2, **selection)
    serial, serial_stats, serial_damage = run_xml(path, encode, 1, **selection)
    assert parallel == serial
    assert parallel_damage == serial_damage
    for key in ("read", "matched", "filtered", "lost", "damaged", "unknown_loss", "inputs",
                "unreadable"):
        assert getattr(parallel_stats, key) == getattr(serial_stats, key), key
    return parallel


@pytest.mark.parametrize("flavour", ["tracerpt", "wevtutil", "toxml"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be"])
def test_xml_ranges_across_workers_equal_one_process(tmp_path: Path, flavour: str,
                                                     encoding: str) -> None:
    from wcfevents.sources.xml_ranges import cuts, layout

    path = xml_file(tmp_path, flavour, encoding)
    lay = layout(path)
    assert lay is not None and lay.flavour == flavour
    assert len(list(cuts(path, lay, RANGE))) > 10  # really split
    output = same(path)
    assert output.count(b"\n") == 120 + (flavour == "tracerpt")
    same(path, levels=["warning+"])
    rows = partial(csv_output.encode, fields=None)
    assert run_xml(path, rows, 2)[0] == run_xml(path, rows, 1)[0]


def damaged_variants(data: bytes) -> dict[str, bytes]:
    begins = [i for i in range(len(data)) if data.startswith(b"<Event ", i)]
    middle = begins[len(begins) // 2]
    return {
        "truncated": data[: (begins[-3] + begins[-2]) // 2],
        "mangled": data[:middle] + data[middle:].replace(b"</EventID>", b"</EventId>", 1),
        "junk": data[:middle] + b"<<garbage & more\r\n" + data[middle:],
        "comment": data[:middle] + b"<!-- <Event > -->" + data[middle:],
        # Every cut lands inside a comment: no part parses, the file is read in one process.
        "comments": data.replace(b"<Event ", b"<!-- <Event > --><Event "),
        "two dumps": data + data,
    }


@pytest.mark.parametrize("flavour", ["tracerpt", "wevtutil", "toxml"])
def test_damaged_xml_across_workers_equal_one_process(tmp_path: Path, flavour: str) -> None:
    data = xml_file(tmp_path, flavour, "utf-8").read_bytes()
    for label, damaged in damaged_variants(data).items():
        path = tmp_path / f"{label.replace(' ', '-')}.xml"
        path.write_bytes(damaged)
        same(path)


# -- summary and activities from partial tables -----------------------------------------------

from wcfevents.analysis import activities as act  # noqa: E402
from wcfevents.analysis import summary as summ  # noqa: E402
from wcfevents.parallel import BATCH_EVENTS, partials  # noqa: E402


def tables(path: Path, workers: int, batch: int | None) -> tuple[dict, list, int, Stats]:
    def parts(consume: Any, payload: bool = True) -> list:
        return list(partials([str(path)], make_filters(), consume, stats=stats,
                             workers=workers, window_chunks=1, range_bytes=RANGE, batch=batch,
                             payload=payload))
    stats = Stats()
    # summary reads the payload of hinted records only, so it skips the rest: the same counts.
    summary = summ.merged(parts(summ.summarize, payload=summ.needs_payload))
    tracker = act.merged(parts(act.track_part))
    records = {"read": stats.read // 2, "matched": stats.matched // 2}
    ranked = [a.to_dict() for a in tracker.ranked()]
    order = [a.activity_id for a in tracker.activities.values()]
    return summary.to_dict(records), [ranked, order], tracker.without_activity, stats


@pytest.mark.parametrize("name", ["all-events.evtx", "damaged-chunk.evtx", "tracerpt.xml",
                                  "toxml-utf16.xml"])
def test_summary_and_activities_merge_exactly(tmp_path: Path, name: str) -> None:
    if name.endswith(".evtx"):
        path = FIXTURES / name
    else:
        flavour, encoding = {"tracerpt.xml": ("tracerpt", "utf-8"),
                             "toxml-utf16.xml": ("toxml", "utf-16-le")}[name]
        path = xml_file(tmp_path, flavour, encoding, count=400)
    events = list(read([str(path)], on_damage=lambda d: None))
    one = summ.summarize(events)
    tracker = act.track(events)
    records = {"read": len(events), "matched": len(events)}
    assert tracker.activities and any(a.children for a in tracker.activities.values())
    expected = (one.to_dict(records),
                [[a.to_dict() for a in tracker.ranked()], list(tracker.activities)],
                tracker.without_activity)
    for workers, batch in ((2, None), (2, 7), (1, BATCH_EVENTS), (1, 3)):
        summary, activity_tables, without, _ = tables(path, workers, batch)
        assert (summary, activity_tables, without) == expected, (workers, batch)


def test_focused_tracker_does_not_merge() -> None:
    with pytest.raises(ValueError):
        act.ActivityTracker("x").merge(act.ActivityTracker())


def test_activity_links_merge_exactly_at_every_split() -> None:
    """Links decided by earlier ones (first parent wins, no cycles, transfers back) and
    activities first seen as a link's end: merged at every split point, the one-pass table."""
    from wcfevents.model import Event

    def ev(n: int, activity: str, related: str | None = None, event_id: int = 1,
           opcode: int | None = None, level: int = 4, name: str | None = None) -> Event:
        guid = "{:0>8}-0000-0000-0000-000000000000"
        return Event(record_id=n, timestamp=f"2024-01-01T00:00:{n:02d}.0000000Z",
                     activity_id=guid.format(activity) if activity else None,
                     related_activity_id=guid.format(related) if related else None,
                     event_id=event_id, opcode_id=opcode, level_value=level,
                     level="Error" if level == 2 else "Information", symbol=f"S{event_id}",
                     opcode="Start" if name else None, message=f"m{n}",
                     data={"ActivityName": name} if name else {"Uri": f"u{n}"} if n % 3 else {})

    T = act.TRANSFER_EMITTED
    events = [
        ev(1, "1"), ev(2, "1", "2", T), ev(3, "2", level=2), ev(4, "3", "2", T),  # 2 has a parent
        ev(5, "2", "1", T),  # back to where it came from: no cycle
        ev(6, "4", "5", T), ev(7, "5", "4", T), ev(8, "6", "7", opcode=1),  # 7 first seen as a
        ev(9, "7", level=2), ev(10, "", None), ev(11, "8", "6", T),  # parent (Start)
        ev(12, "5", "8", T), ev(13, "9", "1", opcode=1), ev(14, "1", level=2),
        ev(15, "3", name="first"), ev(16, "4", level=2), ev(17, "3", name="second"),
    ]
    whole = act.track(events)
    expected = ([a.to_dict() for a in whole.ranked()], list(whole.activities),
                whole.without_activity)
    for cut in range(len(events) + 1):
        for second in range(cut, len(events) + 1):
            pieces = [events[:cut], events[cut:second], events[second:]]
            total = act.merged(act.track_part(piece) for piece in pieces)
            got = ([a.to_dict() for a in total.ranked()], list(total.activities),
                   total.without_activity)
            assert got == expected, (cut, second)
