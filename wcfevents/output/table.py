"""A readable table for a terminal, printed row by row so it streams like the other formats.

Each row is its own rich grid with the same fixed column widths, so long messages wrap inside their
column and nothing has to be held back to size the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from wcfevents.model import Event

LEVEL_STYLES = {"Critical": "bold white on red", "Error": "bold red", "Warning": "yellow",
                "Information": "green", "Verbose": "dim", "LogAlways": "cyan"}
# column → (header, width or None for the rest, justify)
COLUMNS: dict[str, tuple[str, int | None, str]] = {
    "timestamp": ("Time (UTC)", 27, "left"),
    "level": ("Level", 11, "left"),
    "event_id": ("ID", 5, "right"),
    "symbol": ("Symbol", 30, "left"),
    "process_id": ("PID", 6, "right"),
    "thread_id": ("TID", 6, "right"),
    "activity_id": ("Activity", 8, "left"),
    "channel": ("Channel", 11, "left"),
    "provider": ("Provider", 24, "left"),
    "record_id": ("Record", 7, "right"),
    "message": ("Message", None, "left"),
}
NARROW_BELOW = 120  # below this, the time column shows the clock and dates become separator lines
DEFAULT = ("timestamp", "level", "event_id", "symbol", "message")
WIDE = ("timestamp", "level", "event_id", "symbol", "process_id", "activity_id", "message")
WIDE_FROM = 150


def columns_for(width: int, fields: Sequence[str] | None) -> list[str]:
    if fields:
        return list(fields)
    return list(WIDE if width >= WIDE_FROM else DEFAULT)


def cell(event: Event, name: str, narrow: bool = False) -> Any:
    from rich.text import Text

    if name == "timestamp":
        value = (event.timestamp or "").replace("T", " ").rstrip("Z")
        return value[11:] if narrow else value
    if name == "level":
        return Text(event.level or str(event.level_value or ""),
                    style=LEVEL_STYLES.get(event.level or "", ""))
    if name == "symbol":
        return event.symbol or (event.provider or "")
    if name == "activity_id":
        return (event.activity_id or "")[:8]
    if name == "channel":
        return (event.channel or "").rsplit("/", 1)[-1]
    if name == "message":
        if event.message is not None:
            return Text(event.message)
        shown = ", ".join(f"{k}={v}" for k, v in event.data.items() if v is not None)
        return Text(shown, style="dim")
    value = event.to_dict().get(name)
    if isinstance(value, (dict, list)):
        import orjson

        return orjson.dumps(value).decode()
    return "" if value is None else str(value)


def _size(name: str, narrow: bool) -> int | None:
    size = COLUMNS.get(name, (name, 16, "left"))[1]
    if narrow and name == "timestamp":
        return 16
    if narrow and name == "symbol":
        return 22
    return size


def _grid(names: list[str], width: int) -> Any:
    from rich.table import Table

    narrow = width < NARROW_BELOW
    grid = Table.grid(padding=(0, 1))
    fixed = sum((_size(n, narrow) or 0) + 1 for n in names)
    for name in names:
        _header, _default, justify = COLUMNS.get(name, (name, 16, "left"))
        size = _size(name, narrow)
        if size is None:
            size = max(20, width - fixed)
        grid.add_column(width=size, justify=justify, no_wrap=name != "message",  # type: ignore[arg-type]
                        overflow="fold" if name == "message" else "ellipsis")
    return grid


def write(events: Iterable[Event], console: Any, fields: Sequence[str] | None = None) -> int:
    """Print a header, then one row per event as it arrives."""
    names = columns_for(console.width, fields)
    narrow = console.width < NARROW_BELOW and "timestamp" in names
    header = _grid(names, console.width)
    header.add_row(*[f"[bold]{COLUMNS.get(n, (n,))[0]}[/]" for n in names])
    console.print(header)
    count = 0
    day = None
    for event in events:
        if narrow and event.timestamp and event.timestamp[:10] != day:
            day = event.timestamp[:10]
            console.print(f"[dim]── {day} (UTC) ──[/]")
        row = _grid(names, console.width)
        row.add_row(*[cell(event, n, narrow) for n in names])
        console.print(row)
        count += 1
    return count
