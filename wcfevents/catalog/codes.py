"""HRESULT and Win32 error codes explained: `0x80070005` → E_ACCESSDENIED, "Access is denied."

The table (codes.json, package data) holds the common codes WCF and WAS traces carry, with the
message texts Windows documents for them; its `sources` key lists the pages they come from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

# An HRESULT written in text: 0x8 followed by seven hex digits (failure bit set).
HRESULT_IN_TEXT = re.compile(r"\b0[xX]([89a-fA-F][0-9a-fA-F]{7})\b")
FACILITY_WIN32 = 0x8007_0000


@dataclass(frozen=True, slots=True)
class Code:
    """One explained code."""

    code: str  # as people write it: 0x80070005, or the Win32 number in decimal
    name: str
    text: str

    def __str__(self) -> str:
        return f"{self.code} {self.name}: {self.text}"


@cache
def _table() -> dict[str, Any]:
    import orjson

    return orjson.loads((Path(__file__).parent / "codes.json").read_bytes())


def explain_hresult(value: int) -> Code | None:
    """An HRESULT (signed or unsigned 32-bit) from the table, or a Win32 code wrapped in one."""
    value &= 0xFFFF_FFFF
    text = f"0x{value:08X}"
    known = _table()["hresult"].get(text)
    if known:
        return Code(text, known["name"], known["text"])
    if value & 0xFFFF_0000 == FACILITY_WIN32:
        inner = _table()["win32"].get(str(value & 0xFFFF))
        if inner:
            return Code(text, f"HRESULT_FROM_WIN32({inner['name']})", inner["text"])
    return None


def explain_win32(value: int) -> Code | None:
    known = _table()["win32"].get(str(value))
    return Code(str(value), known["name"], known["text"]) if known else None


def explain(value: Any) -> Code | None:
    """A payload value that holds a code: an HRESULT (0x8…, or negative as Int32 fields carry it)
    or a Win32 error number. None when it is not a code the table knows."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text, 16) if text[:2].lower() == "0x" else int(text)
        except ValueError:
            return None
    elif isinstance(value, int):
        number = value
    else:
        return None
    if number < 0 or number >= 0x8000_0000:
        return explain_hresult(number)
    return explain_win32(number)


def in_text(text: str) -> list[Code]:
    """Every known HRESULT written in a text (an exception's `(0x80070005)`), once each."""
    found: dict[str, Code] = {}
    for match in HRESULT_IN_TEXT.finditer(text):
        code = explain_hresult(int(match.group(1), 16))
        if code is not None:
            found.setdefault(code.code, code)
    return list(found.values())


def sources() -> list[str]:
    """Where the texts come from (public Microsoft documentation)."""
    return list(_table()["sources"])
