"""A readable table for a terminal, streamed row by row as plain text with ANSI colours.

Rows are formatted with string operations, not rich renderables: a table of a 200,000-record trace
has to print about as fast as JSON Lines. The layout (columns and their widths) is fixed once from
the terminal width, so rows can be encoded anywhere — in worker processes too — and simply
concatenated. Long messages wrap inside their column at spaces only: a URI or a symbol is never
cut in the middle (a word longer than the column gets a line of its own, whole).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from wcfevents.model import Event, field_value

LEVEL_STYLES = {"Critical": "bold white on red", "Error": "bold red", "Warning": "yellow",
                "Information": "green", "Verbose": "dim", "LogAlways": "cyan"}
# The same palette as ANSI codes, for the fast path.
_ANSI = {"Critical": "\x1b[1;37;41m", "Error": "\x1b[1;31m", "Warning": "\x1b[33m",
         "Information": "\x1b[32m", "Verbose": "\x1b[2m", "LogAlways": "\x1b[36m"}
BOLD, DIM, RED, RESET = "\x1b[1m", "\x1b[2m", "\x1b[1;31m", "\x1b[0m"
SHORT_LEVELS = {"Critical": "Crit", "Information": "Info", "Warning": "Warn",
                "LogAlways": "Always"}
# column → (header, width, right-aligned); the message takes what is left.
COLUMNS: dict[str, tuple[str, int, bool]] = {
    "timestamp": ("Time (UTC)", 27, False),
    "level": ("Level", 11, False),
    "event_id": ("ID", 5, True),
    "symbol": ("Symbol", 30, False),
    "process_id": ("PID", 6, True),
    "thread_id": ("TID", 6, True),
    "activity_id": ("Activity", 8, False),
    "channel": ("Channel", 11, False),
    "provider": ("Provider", 24, False),
    "record_id": ("Record", 7, True),
    "source": ("Source", 20, False),
}
NARROW_BELOW = 150  # below this, the time column shows the clock and dates become separator lines
DEFAULT = ("timestamp", "level", "event_id", "symbol", "message")
WIDE = ("timestamp", "level", "event_id", "symbol", "process_id", "activity_id", "message")
WIDE_FROM = 150
WHOLE_SYMBOLS_FROM = 200  # from here the symbol column fits the longest symbol (56 characters)
LONGEST_SYMBOL = 56
MIN_MESSAGE = 20
TRACE_SUFFIXES = ("evtx", "xml", "etl", "svclog")
DAMAGED = "DAMAGED"


@dataclass(frozen=True)
class Layout:
    """Columns, their widths and whether to colour: decided once, used for every row."""

    names: tuple[str, ...]
    widths: tuple[int, ...]  # the message's is the room left
    narrow: bool
    color: bool

    @property
    def message_start(self) -> int:
        return sum(w + 1 for n, w in zip(self.names, self.widths, strict=True) if n != "message")


def layout(width: int, fields: Sequence[str] | None = None, color: bool = False,
           source: bool = False) -> Layout:
    """The columns for a terminal `width`: the message column gets the room the others leave;
    `source` adds the input each row came from (several inputs)."""
    narrow = width < NARROW_BELOW
    if fields:
        names = list(fields)
    else:
        names = list(WIDE if width >= WIDE_FROM else DEFAULT)
        if source:
            names.insert(names.index("message"), "source")
    sizes = []
    for name in names:
        if name == "message":
            sizes.append(0)
            continue
        size = COLUMNS[name][1] if name in COLUMNS else max(12, len(_header(name)))
        if name == "timestamp" and narrow:
            size = 16
        elif name == "level" and narrow:
            size = 7
        elif name == "symbol":
            size = (LONGEST_SYMBOL if width >= WHOLE_SYMBOLS_FROM else 40 if width >= WIDE_FROM
                    else 30 if width >= 120 else 24 if width >= 100 else 18)
        elif name == "source" and narrow:
            size = 12
        sizes.append(size)
    if "message" in names:
        used = sum(s + 1 for n, s in zip(names, sizes, strict=True) if n != "message")
        sizes[names.index("message")] = max(MIN_MESSAGE, width - used)
    return Layout(tuple(names), tuple(sizes), narrow and "timestamp" in names, color)


def _header(name: str) -> str:
    if name in COLUMNS:
        return COLUMNS[name][0]
    if name == "message":
        return "Message"
    return name.split(".", 1)[1] if name.startswith(("data.", "extra.")) else name


def header(lay: Layout) -> bytes:
    cells = []
    for name, size in zip(lay.names, lay.widths, strict=True):
        text = _header(name)
        right = COLUMNS.get(name, ("", 0, False))[2]
        cells.append(_fit(text, size, right) if name != "message" else text)
    line = " ".join(cells).rstrip()
    if lay.color:
        line = BOLD + line + RESET
    return (line + "\n").encode("utf-8")


def _fit(text: str, size: int, right: bool = False) -> str:
    """Exactly `size` characters: padded, or cut with an ellipsis."""
    if len(text) > size:
        return text[: size - 1] + "…" if size > 1 else text[:size]
    return text.rjust(size) if right else text.ljust(size)


def _fit_left(text: str, size: int) -> str:
    """Like _fit, but a long value keeps its end (file names)."""
    return ("…" + text[-(size - 1):]) if len(text) > size else text.ljust(size)


# Control characters from a trace never reach the terminal raw (an ESC could repaint it): they
# show as the Unicode control pictures (␛). Newlines and tabs are layout, kept and widened.
_CONTROLS = {c: 0x2400 + c for c in range(0x20) if c not in (0x0A, 0x0D)}
_CONTROLS.update({0x09: 0x20, 0x7F: 0x2421})
_CONTROLS.update({c: 0xFFFD for c in range(0x80, 0xA0)})


_CONTROL = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """Text with control characters made harmless and visible."""
    return text.translate(_CONTROLS) if _CONTROL.search(text) else text


def wrap(text: str, size: int) -> list[str]:
    """Lines of at most `size` characters, broken at spaces only; a longer word stays whole."""
    lines: list[str] = []
    for paragraph in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if len(paragraph) <= size:
            lines.append(paragraph)
            continue
        current = ""
        for word in paragraph.split(" "):
            if not current:
                current = word
            elif len(current) + 1 + len(word) <= size:
                current += " " + word
            else:
                lines.append(current)
                current = word
        lines.append(current)
    return lines


class _Cells:
    """Per-layout caches: a trace holds few distinct levels, symbols and days."""

    def __init__(self, lay: Layout) -> None:
        self.lay = lay
        self.levels: dict[str | None, str] = {}
        self.symbols: dict[str | None, str] = {}

    def level(self, event: Event, size: int) -> str:
        key = event.level if event.level is not None else str(event.level_value or "")
        cell = self.levels.get(key)
        if cell is None:
            text = SHORT_LEVELS.get(key, key) if self.lay.narrow else key
            cell = _fit(text, size)
            if self.lay.color and key in _ANSI:
                cell = _ANSI[key] + cell + RESET
            self.levels[key] = cell
        return cell

    def symbol(self, event: Event, size: int) -> str:
        key = event.symbol or event.provider or ""
        cell = self.symbols.get(key)
        if cell is None:
            cell = self.symbols[key] = _fit(visible(key), size)
        return cell


def _cell(event: Event, name: str, size: int, cells: _Cells) -> str:
    if name == "timestamp":
        stamp = event.timestamp or ""
        text = stamp[11:27] if cells.lay.narrow else stamp[:27].replace("T", " ")
        return text.ljust(size)
    if name == "level":
        return cells.level(event, size)
    if name == "symbol":
        return cells.symbol(event, size)
    if name == "event_id":
        return ("" if event.event_id is None else str(event.event_id)).rjust(size)
    if name == "activity_id":
        return (event.activity_id or "")[:size].ljust(size)
    if name == "channel":
        return _fit((event.channel or "").rsplit("/", 1)[-1], size)
    if name == "source":
        text = visible(event.source or "").replace("\\", "/").rsplit("/", 1)[-1]
        stem, dot, suffix = text.rpartition(".")
        return _fit_left(stem if dot and suffix.lower() in TRACE_SUFFIXES else text, size)
    value = field_value(event.to_dict(), name)
    if isinstance(value, (dict, list)):
        import orjson

        value = orjson.dumps(value).decode()
    right = COLUMNS.get(name, ("", 0, False))[2]
    text = "" if value is None else visible(str(value)).replace("\r", " ").replace("\n", " ")
    return _fit(text, size, right)


def _message(event: Event, color: bool) -> tuple[str, str]:
    """The message text and the style it is shown in."""
    damaged = event.extra.get("integrity") if event.extra else None
    if event.message is not None:
        text, style = event.message, ""
    else:
        text = ", ".join(f"{k}={v}" for k, v in event.data.items() if v is not None)
        style = DIM if color else ""
    if damaged:
        text = f"[{DAMAGED}: {damaged}] {text}"
        style = RED if color else ""
    return visible(text), style


class Rows:
    """Formats rows one layout at a time, keeping caches and the current day between rows."""

    def __init__(self, lay: Layout) -> None:
        self.lay = lay
        self.cells = _Cells(lay)
        self.day: str | None = None
        self.fixed = [(n, w) for n, w in zip(lay.names, lay.widths, strict=True)
                      if n != "message"]
        self.has_message = "message" in lay.names
        self.message_size = lay.widths[lay.names.index("message")] if self.has_message else 0
        self.indent = " " * lay.message_start

    def text(self, event: Event) -> str:
        """One event's row (and a day line before it when the day changes, narrow only)."""
        lay = self.lay
        out = ""
        if lay.narrow and event.timestamp and event.timestamp[:10] != self.day:
            self.day = event.timestamp[:10]
            line = f"── {self.day} (UTC) ──"
            out = (DIM + line + RESET if lay.color else line) + "\n"
        prefix = " ".join(_cell(event, n, w, self.cells) for n, w in self.fixed)
        if not self.has_message:
            return out + prefix.rstrip() + "\n"
        text, style = _message(event, lay.color)
        lines = wrap(text, self.message_size)
        end = RESET if style else ""
        out += f"{prefix} {style}{lines[0]}{end}".rstrip() + "\n"
        for line in lines[1:]:
            out += f"{self.indent}{style}{line}{end}".rstrip() + "\n"
        return out


def encode(events: Iterable[Event], lay: Layout) -> bytes:
    """The rows of some events as one block of text (for worker processes too). In a narrow
    layout a block starts with its day, and a new day gets a separator line."""
    rows = Rows(lay)
    return "".join(rows.text(event) for event in events).encode("utf-8")


FLUSH_EVERY = 0.2  # seconds: rows reach a terminal promptly even when matches are rare


def write(events: Iterable[Event], out: IO[bytes], lay: Layout) -> int:
    """A header, then each row as it comes."""
    import time

    out.write(header(lay))
    rows = Rows(lay)
    count = 0
    flushed = time.monotonic()
    for event in events:
        out.write(rows.text(event).encode("utf-8"))
        count += 1
        now = time.monotonic()
        if now - flushed > FLUSH_EVERY:
            out.flush()
            flushed = now
    return count


def cell_text(event: Event, name: str) -> Any:
    """A column's value for one event as the table shows it (tests and other views)."""
    lay = layout(200, [name])
    return _cell(event, name, lay.widths[0], _Cells(lay)).strip()
