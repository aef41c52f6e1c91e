"""The JSON codec and record type of the hot path, against the candidates, in one run.

    python benchmarks/bench_codecs.py [--quick]

Per record of a generated .evtx: parsing the Rust parser's JSON text (orjson, which the reader
uses, against msgspec and the standard library), writing the output record (orjson against
msgspec and the standard library) and building the record (the Event dataclass with slots, which
the readers use, against a msgspec Struct). Each figure is µs of CPU a record, best of a few
rounds, and each ratio is the candidate's time over the one in use: above 1 means the candidate
is slower.
A dependency earns its place only by a ratio well below 1. msgspec is not a dependency of
wcfevents; its rows say so when it is not installed.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _best(func: Callable[[Any], Any], items: list[Any], rounds: int) -> float:
    """Best CPU seconds of `func` over every item; results are dropped as they come, as the
    pipeline drops them (a list holding them all measures the allocator, not the codec)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for item in items:
            func(item)
        best = min(best, time.process_time() - started)
    return best


def _inputs(records: int) -> tuple[list[str], list[dict[str, Any]], list[tuple[Any, ...]]]:
    """The parser's JSON texts, the output records and the Event field values of a generated
    trace of `records` records."""
    import tempfile
    import warnings

    import evtx

    from wcfevents.model import Event
    from wcfevents.pipeline import read
    from wcfevents.testing.evtx_writer import write_evtx
    from wcfevents.testing.scenarios import generate

    path = Path(tempfile.gettempdir()) / "wcfevents-bench" / f"codecs-{records}.evtx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        write_evtx(partial, generate("mix", seed=0, count=records))
        partial.replace(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        texts = [raw["data"] for raw in evtx.PyEvtxParser(str(path)).records_json()]
    events = list(read([str(path)]))
    names = [f.name for f in Event.__dataclass_fields__.values()]
    values = [tuple(getattr(e, n) for n in names) for e in events]
    return texts, [e.to_dict() for e in events], values


def measure(quick: bool) -> list[dict[str, Any]]:
    import orjson

    from wcfevents.model import Event

    records, rounds = (5_000, 3) if quick else (50_000, 5)
    texts, outputs, values = _inputs(records)
    per = 1e6 / len(texts)

    def timed(func: Callable[[Any], Any], items: list[Any]) -> float:
        return _best(func, items, rounds) * per

    loads = timed(orjson.loads, texts)
    dumps = timed(orjson.dumps, outputs)
    build = timed(lambda v: Event(*v), values)
    std_loads = timed(json.loads, texts)
    std_dumps = timed(lambda o: json.dumps(o, ensure_ascii=False).encode(), outputs)
    note = f"{len(texts):,} records of the generated mix, best of {rounds}"
    rows: list[dict[str, Any]] = [
        {"name": "parse the parser's JSON: orjson.loads (in use)", "value": round(loads, 2),
         "unit": "µs/record", "note": note},
        {"name": "write a record: orjson.dumps (in use)", "value": round(dumps, 2),
         "unit": "µs/record", "note": note},
        {"name": "build an Event (dataclass, slots; in use)", "value": round(build, 2),
         "unit": "µs/record", "note": note},
        {"name": "json.loads / orjson.loads", "ratio": round(std_loads / loads, 2), "note": ""},
        {"name": "json.dumps / orjson.dumps", "ratio": round(std_dumps / dumps, 2), "note": ""},
    ]
    try:
        import msgspec
    except ImportError:
        return [*rows, {"name": "msgspec", "value": None, "note": "not installed: skipped"}]

    decoder, encoder = msgspec.json.Decoder(), msgspec.json.Encoder()
    names = tuple(Event.__dataclass_fields__)
    Struct = msgspec.defstruct("EventStruct", [(n, Any) for n in names])
    m_loads = timed(decoder.decode, texts)
    m_dumps = timed(encoder.encode, outputs)
    m_build = timed(lambda v: Struct(*v), values)
    return [
        *rows,
        {"name": "msgspec decode / orjson.loads", "ratio": round(m_loads / loads, 2),
         "note": f"msgspec {msgspec.__version__}"},
        {"name": "msgspec encode / orjson.dumps", "ratio": round(m_dumps / dumps, 2),
         "note": ""},
        {"name": "msgspec Struct / Event dataclass", "ratio": round(m_build / build, 2),
         "note": "building a record"},
    ]


if __name__ == "__main__":
    for row in measure("--quick" in sys.argv[1:]):
        print(row)
