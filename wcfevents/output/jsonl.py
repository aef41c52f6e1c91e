"""JSON Lines: one event object a line, the documented keys, for jq, pandas and DuckDB."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO

import orjson

from wcfevents.model import Event, field_value


def write(events: Iterable[Event], out: IO[bytes], fields: Sequence[str] | None = None) -> int:
    """Write each event as one line of JSON; `fields` keeps only those keys, in that order."""
    count = 0
    for event in events:
        out.write(encode((event,), fields))
        count += 1
    return count


def encode(events: Iterable[Event], fields: Sequence[str] | None = None) -> bytes:
    """The JSON Lines of some events as one block of bytes (for worker processes)."""
    dumps = orjson.dumps
    if fields:
        keys = list(fields)
        return b"".join(dumps({k: field_value(r, k) for k in keys}) + b"\n"
                        for r in (e.to_dict() for e in events))
    return b"".join(dumps(e.to_dict()) + b"\n" for e in events)
