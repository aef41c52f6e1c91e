"""Message templates rendered the way Windows' FormatMessage does.

`%N` inserts the Nth payload value, `%N!fmt!` with a printf format, `%%` is a percent sign and
`%n`/`%t`/`%r` are a newline, tab and carriage return. A value the record does not carry keeps its
`%N` in the text, so that something missing stays visible instead of vanishing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_TOKEN = re.compile(r"%(?:(\d{1,2})(?:!([^!]*)!)?|(.)|$)", re.DOTALL)
_ESCAPES = {"%": "%", "n": "\n", "t": "\t", "r": "\r", ".": ".", "!": "!", " ": " ", "b": " "}
MISSING: Any = object()  # a value the record does not carry


def format_value(value: Any, spec: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        value = str(value).lower()
    if not spec or spec in ("s", "S", "ls", "ws"):
        return str(value)
    conversion = spec.replace("I64", "").replace("I32", "").replace("l", "").replace("h", "")
    try:
        if conversion and conversion[-1] in "diuxXo":
            number = int(value) if not isinstance(value, int) else value
            return ("%" + conversion.replace("u", "d")) % number
        return ("%" + conversion) % value
    except (TypeError, ValueError):
        return str(value)


Piece = str | tuple[int, str | None, str]  # literal text, or (value number, format, as written)
_COMPILED: dict[str, list[Piece]] = {}


def compile_template(template: str) -> list[Piece]:
    """A template split once into literal text and value slots; cached, as templates are few."""
    pieces = _COMPILED.get(template)
    if pieces is not None:
        return pieces
    pieces = []
    position = 0
    for match in _TOKEN.finditer(template):
        if match.start() > position:
            pieces.append(template[position:match.start()])
        number, spec, escape = match.groups()
        if number is not None:
            pieces.append((int(number), spec, match.group(0)))
        elif escape is not None:
            pieces.append(_ESCAPES.get(escape, match.group(0)))
        else:
            pieces.append("%")
        position = match.end()
    if position < len(template):
        pieces.append(template[position:])
    if len(_COMPILED) < 4096:
        _COMPILED[template] = pieces
    return pieces


def render(template: str | None, values: Sequence[Any]) -> str | None:
    """Fill a message template with positional payload values (value 1 is `values[0]`)."""
    if template is None:
        return None
    parts: list[str] = []
    count = len(values)
    for piece in compile_template(template):
        if isinstance(piece, str):
            parts.append(piece)
            continue
        index, spec, written = piece
        if index == 0:
            continue
        value = values[index - 1] if index <= count else MISSING
        if value is MISSING:
            parts.append(written)
        elif value is None:
            continue
        elif spec is None and isinstance(value, str):
            parts.append(value)
        else:
            parts.append(format_value(value, spec))
    return "".join(parts)
