"""The compiled payload transform does what coerce() and render() do field by field, for every
catalog event and every shape of payload: missing, blank, typed-as-text, reordered and extra."""

from __future__ import annotations

import random
from typing import Any

import orjson

from wcfevents.catalog import load
from wcfevents.enrich import coerce, compile_transform, generic_transform
from wcfevents.render import MISSING, render

SAMPLES: dict[str, list[Any]] = {
    "win:UnicodeString": ["text", "", "  ", None, 7, "%1 literal"],
    "win:Int32": ["12", "0x1f", "", None, 5, "nope", True],
    "win:Int64": ["-3", 9, None, " "],
    "win:UInt8": ["255", 1],
    "win:UInt64": ["0xffffffffffffffff", 3],
    "win:GUID": ["{A1B2C3D4-0000-1111-2222-333344445555}", "", "not-a-guid"],
    "win:FILETIME": ["2026-01-02T03:04:05.1234567Z", "2026-01-02 03:04:05", "", "junk"],
}


def reference(entry: Any, data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The definition: coerce each manifest field, keep the rest as they are, render."""
    ordered = {s.name: coerce(data[s.name], s.type) for s in entry.fields if s.name in data}
    ordered.update((k, v) for k, v in data.items() if k not in ordered)
    values = [ordered.get(s.name, MISSING) for s in entry.fields]
    return ordered, render(entry.message, values)


def test_transform_equals_coerce_and_render_for_every_event() -> None:
    rng = random.Random(14)
    checked = 0
    for entry in load():
        for _ in range(6):
            data: dict[str, Any] = {}
            for spec in entry.fields:
                if rng.random() < 0.8:
                    data[spec.name] = rng.choice(SAMPLES.get(spec.type, ["x", ""]))
            if rng.random() < 0.3:
                data["Extra"] = rng.choice(["kept", "", None])
            items = list(data.items())
            if rng.random() < 0.3:
                rng.shuffle(items)
            data = dict(items)
            got = compile_transform(entry, tuple(data))(dict(data))
            want = reference(entry, data)
            assert got == want, (entry.event_id, data)
            assert generic_transform(entry, dict(data)) == want
            # Same keys in the same order: the JSON output is byte-identical.
            assert orjson.dumps(got[0]) == orjson.dumps(want[0])
            checked += 1
    assert checked == 6 * len(load())
