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


def _format(value: Any, spec: str | None) -> str:
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


def render(template: str | None, values: Sequence[Any]) -> str | None:
    """Fill a message template with positional payload values (value 1 is `values[0]`)."""
    if template is None:
        return None

    def replace(match: re.Match[str]) -> str:
        number, spec, escape = match.groups()
        if number is not None:
            index = int(number)
            if index == 0:
                return ""
            value = values[index - 1] if index <= len(values) else MISSING
            if value is MISSING:
                return match.group(0)
            return _format(value, spec)
        if escape is not None:
            return _ESCAPES.get(escape, match.group(0))
        return "%"

    text = _TOKEN.sub(replace, template)
    return text
