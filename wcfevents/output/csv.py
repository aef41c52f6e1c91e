"""CSV: a header row, then one row per event; lists joined by `;`, objects as JSON text."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import IO, Any

import orjson

from wcfevents.model import EVENT_KEYS, Event, field_value


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


def header(fields: Sequence[str] | None = None) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(list(fields or EVENT_KEYS))
    return buffer.getvalue().encode("utf-8")


def encode(events: Iterable[Event], fields: Sequence[str] | None = None) -> bytes:
    """Rows (no header) for some events as one block of bytes (for worker processes)."""
    columns = list(fields or EVENT_KEYS)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for event in events:
        record = event.to_dict()
        writer.writerow([cell(field_value(record, c)) for c in columns])
    return buffer.getvalue().encode("utf-8")


def write(events: Iterable[Event], out: IO[str], fields: Sequence[str] | None = None) -> int:
    """A header row, then a row per event."""
    out.write(header(fields).decode("utf-8"))
    count = 0
    for event in events:
        out.write(encode((event,), fields).decode("utf-8"))
        count += 1
    return count
