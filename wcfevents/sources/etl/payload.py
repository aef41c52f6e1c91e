"""Payload bytes → named values, from the manifest fields and in-types the catalog holds.

Values take the same canonical forms the .evtx readers give after enrichment: integers as ints,
GUIDs lowercase without braces, FILETIMEs as ISO 8601 with 7 digits. A UnicodeString is UTF-16
up to a NUL whose two bytes start at an even offset from the string's start. A payload shorter
than its template keeps the values that are there; bytes beyond the template are kept as hex.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
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
        if len(_GUID_CACHE) < 200_000:
            _GUID_CACHE[raw] = text
    return text


class Short(Exception):
    """The payload ends before this value."""


# A reader: (payload, position, pointer size) → (value, next position).
Read = Callable[[bytes, int, int], tuple[Any, int]]


def read_unicode(data: bytes, pos: int, _: int = 8) -> tuple[str, int]:
    end = data.find(b"\x00\x00", pos)
    while end != -1 and (end - pos) & 1:
        end = data.find(b"\x00\x00", end + 1)
    if end == -1:
        if pos >= len(data):
            raise Short
        stop = len(data) - ((len(data) - pos) & 1)
        return data[pos:stop].decode("utf-16-le", "replace"), len(data)
    return data[pos:end].decode("utf-16-le", "replace"), end + 2


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

Plan = tuple[tuple[str, Read], ...]


def plan(fields: list[tuple[str, str]]) -> Plan:
    """How to read a template: its fields' names and readers (unknown in-types read the rest as
    hex, so nothing after them is misread)."""
    return tuple((name, READERS.get(type_name, read_binary_rest)) for name, type_name in fields)


def decode(template: Plan, data: bytes, pointer: int
           ) -> tuple[dict[str, Any], list[str], bytes]:
    """(values by name, names of the fields the payload ends before, bytes after the last)."""
    values: dict[str, Any] = {}
    pos = 0
    for index, (name, read) in enumerate(template):
        try:
            values[name], pos = read(data, pos, pointer)
        except Short:
            return values, [n for n, _ in template[index:]], b""
    return values, [], data[pos:]
