"""JSON Lines: one event object a line, the documented keys, for jq, pandas and DuckDB."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO

import orjson

from wcfevents.model import Event


def write(events: Iterable[Event], out: IO[bytes], fields: Sequence[str] | None = None) -> int:
    """Write each event as one line of JSON; `fields` keeps only those keys, in that order."""
    dumps = orjson.dumps
    count = 0
    if fields:
        keys = list(fields)
        for event in events:
            record = event.to_dict()
            out.write(dumps({k: record[k] for k in keys}) + b"\n")
            count += 1
    else:
        for event in events:
            out.write(dumps(event.to_dict()) + b"\n")
            count += 1
    return count
