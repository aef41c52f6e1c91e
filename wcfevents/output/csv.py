"""CSV: a header row, then one row per event; lists joined by `;`, objects as JSON text."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from typing import IO, Any

import orjson

from wcfevents.model import EVENT_KEYS, Event


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write(events: Iterable[Event], out: IO[str], fields: Sequence[str] | None = None) -> int:
    columns = list(fields or EVENT_KEYS)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for event in events:
        record = event.to_dict()
        writer.writerow([cell(record[c]) for c in columns])
        count += 1
    return count
