"""Payload bytes → named values, from the manifest fields and in-types the catalog holds.

Values take the same canonical forms the .evtx readers give after enrichment: integers as ints,
GUIDs lowercase without braces, FILETIMEs as ISO 8601 with 7 digits. A UnicodeString is UTF-16
up to a NUL whose two bytes start at an even offset from the string's start. A payload shorter
than its template keeps the values that are there; bytes beyond the template are kept as hex.
"""

from __future__ import annotations

import codecs
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wcfevents.model import filetime_to_iso

_GUID_CACHE: dict[bytes, str] = {}


def guid_text(raw: bytes) -> str:
    """A GUID's 16 on-disk bytes (mixed-endian) as lowercase text without braces."""
    text = _GUID_CACHE.get(raw)
    if text is None:
        h = raw.hex()
        text = (f"{h[6:8]}{h[4:6]}{h[2:4]}{h[0:2]}-{h[10:12]}{h[8:10]}-{h[14:16]}{h[12:14]}-"
                f"{h[16:20]}-{h[20:32]}")
        if len(_GUID_CACHE) >= 8192:  # providers and activities repeat; payload GUIDs rarely
            _GUID_CACHE.clear()
        _GUID_CACHE[raw] = text
    return text


class Short(Exception):
    """The payload ends before this value."""


# A reader: (payload, position, pointer size) → (value, next position).
Read = Callable[[bytes, int, int], tuple[Any, int]]


_utf16 = codecs.utf_16_le_decode


def read_unicode(data: bytes, pos: int, _: int = 8) -> tuple[str, int]:
    end = data.find(b"\x00\x00", pos)
    while end != -1 and (end - pos) & 1:
        end = data.find(b"\x00\x00", end + 1)
    if end == -1:  # unterminated: the whole code units left are the value, if there are any
        stop = len(data) - ((len(data) - pos) & 1)
        if stop <= pos:
            raise Short
        return _utf16(data[pos:stop], "replace", True)[0], len(data)
    return _utf16(data[pos:end], "replace", True)[0], end + 2


def read_unicode_tail(data: bytes, pos: int, names: tuple[str, ...], values: dict[str, Any]
                      ) -> tuple[list[str], bytes]:
    """The last fields when all are UnicodeStrings: one decode from an even offset, split at
    NUL characters (which are exactly the terminators at even offsets). Returns the names of
    the fields the payload ends before and the bytes after the last terminator."""
    rest = data[pos:]
    if len(rest) & 1:
        rest = rest[:-1]
    parts = _utf16(rest, "replace", True)[0].split("\x00", len(names))
    count = len(names)
    if len(parts) > count:  # every field terminated: the last part is what follows
        for name, text in zip(names, parts, strict=False):
            values[name] = text
        tail = parts[count]
        if not tail and len(rest) == len(data) - pos:
            return [], b""
        used = sum(len(p.encode("utf-16-le")) + 2 for p in parts[:count])
        return [], data[pos + used:]
    # The payload ends inside or before a field: the parts there are, the last unterminated
    # one included (when it has text), then the rest are missing.
    if parts and parts[-1] == "" and len(parts) <= count:
        parts.pop()
    for name, text in zip(names, parts, strict=False):
        values[name] = text
    return list(names[len(parts):]), b""


def read_ansi(data: bytes, pos: int, _: int = 8) -> tuple[str, int]:
    end = data.find(b"\x00", pos)
    if end == -1:
        if pos >= len(data):
            raise Short
        end = len(data)
        return data[pos:end].decode("utf-8", "replace"), end
    return data[pos:end].decode("utf-8", "replace"), end + 1


def _fixed(fmt: str, convert: Callable[[Any], Any] | None = None) -> Read:
    unpack = struct.Struct("<" + fmt).unpack_from
    size = struct.calcsize("<" + fmt)

    def read(data: bytes, pos: int, _: int = 8) -> tuple[Any, int]:
        if pos + size > len(data):
            raise Short
        value = unpack(data, pos)[0]
        return (convert(value) if convert else value), pos + size

    return read


def read_guid(data: bytes, pos: int, _: int = 8) -> tuple[str, int]:
    if pos + 16 > len(data):
        raise Short
    return guid_text(data[pos:pos + 16]), pos + 16


def read_pointer(data: bytes, pos: int, pointer: int = 8) -> tuple[int, int]:
    if pos + pointer > len(data):
        raise Short
    return int.from_bytes(data[pos:pos + pointer], "little"), pos + pointer


def read_sid(data: bytes, pos: int, _: int = 8) -> tuple[str, int]:
    if pos + 8 > len(data):
        raise Short
    count = data[pos + 1]
    end = pos + 8 + 4 * count
    if end > len(data):
        raise Short
    return sid_text(data[pos:end]), end


def sid_text(raw: bytes) -> str:
    """A binary SID as S-1-5-21-…."""
    if len(raw) < 8:
        return raw.hex()
    count = raw[1]
    authority = int.from_bytes(raw[2:8], "big")
    subs = [str(int.from_bytes(raw[8 + 4 * i:12 + 4 * i], "little"))
            for i in range(count) if 12 + 4 * i <= len(raw)]
    return "-".join([f"S-{raw[0]}-{authority}", *subs])


def read_binary_rest(data: bytes, pos: int, _: int = 8) -> tuple[str, int]:
    return data[pos:].hex(), len(data)


READERS: dict[str, Read] = {
    "win:UnicodeString": read_unicode,
    "win:AnsiString": read_ansi,
    "win:Int8": _fixed("b"),
    "win:UInt8": _fixed("B"),
    "win:Int16": _fixed("h"),
    "win:UInt16": _fixed("H"),
    "win:Int32": _fixed("i"),
    "win:UInt32": _fixed("I"),
    "win:HexInt32": _fixed("I"),
    "win:Int64": _fixed("q"),
    "win:UInt64": _fixed("Q"),
    "win:HexInt64": _fixed("Q"),
    "win:Float": _fixed("f"),
    "win:Double": _fixed("d"),
    "win:Boolean": _fixed("I", bool),
    "win:GUID": read_guid,
    "win:FILETIME": _fixed("Q", filetime_to_iso),
    "win:Pointer": read_pointer,
    "win:SID": read_sid,
    "win:Binary": read_binary_rest,
}


@dataclass(frozen=True, slots=True)
class Plan:
    """How to read a template: the fields read one by one, then the trailing UnicodeStrings
    (most of a WCF payload) read at once."""

    head: tuple[tuple[str, Read], ...]
    tail: tuple[str, ...]


def plan(fields: list[tuple[str, str]]) -> Plan:
    """The plan of a template (unknown in-types read the rest as hex, so nothing after them is
    misread)."""
    readers = [(name, READERS.get(type_name, read_binary_rest)) for name, type_name in fields]
    split = len(readers)
    while split and readers[split - 1][1] is read_unicode:
        split -= 1
    return Plan(tuple(readers[:split]), tuple(name for name, _ in readers[split:]))


def decode(template: Plan, data: bytes, pointer: int
           ) -> tuple[dict[str, Any], list[str], bytes]:
    """(values by name, names of the fields the payload ends before, bytes after the last)."""
    values: dict[str, Any] = {}
    pos = 0
    head = template.head
    for index, (name, read) in enumerate(head):
        try:
            values[name], pos = read(data, pos, pointer)
        except Short:
            return values, [n for n, _ in head[index:]] + list(template.tail), b""
    if not template.tail:
        return values, [], data[pos:]
    if pos >= len(data):
        return values, list(template.tail), b""
    missing, rest = read_unicode_tail(data, pos, template.tail, values)
    return values, missing, rest
