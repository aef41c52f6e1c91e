"""Binary XML as Windows writes it into .evtx chunks: names, template definitions, values.

A record's XML is one template instance: the template (the element tree with numbered
substitution slots) is stored once per chunk, inline in the first record that uses it, and every
later record of the same shape points back at it and carries only its typed values. Names are
stored the same way, once per chunk, and referenced by offset afterwards.
"""

from __future__ import annotations

import hashlib
import struct
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wcfevents.model import iso_to_filetime

# Tokens.
EOF = 0x00
OPEN_START = 0x01
CLOSE_START = 0x02
CLOSE_EMPTY = 0x03
END_ELEMENT = 0x04
VALUE = 0x05
ATTRIBUTE = 0x06
TEMPLATE_INSTANCE = 0x0C
NORMAL_SUB = 0x0D
OPTIONAL_SUB = 0x0E
FRAGMENT_HEADER = b"\x0f\x01\x01\x00"
MORE = 0x40  # "more follows" / "has attributes" flag on a token

# Value types.
NULL = 0x00
STRING = 0x01
INT8 = 0x03
UINT8 = 0x04
INT16 = 0x05
UINT16 = 0x06
INT32 = 0x07
UINT32 = 0x08
INT64 = 0x09
UINT64 = 0x0A
REAL64 = 0x0C
BOOL = 0x0D
GUID = 0x0F
FILETIME = 0x11
HEXINT32 = 0x14
HEXINT64 = 0x15

# Manifest inType → the value type Windows stores for it.
MANIFEST_TYPES = {
    "win:UnicodeString": STRING,
    "win:Int8": INT8,
    "win:UInt8": UINT8,
    "win:Int16": INT16,
    "win:UInt16": UINT16,
    "win:Int32": INT32,
    "win:UInt32": UINT32,
    "win:Int64": INT64,
    "win:UInt64": UINT64,
    "win:Double": REAL64,
    "win:Boolean": BOOL,
    "win:GUID": GUID,
    "win:FILETIME": FILETIME,
    "win:HexInt32": HEXINT32,
    "win:HexInt64": HEXINT64,
    "win:Pointer": HEXINT64,
}

_GUID_CACHE: dict[str, bytes] = {}


def guid_bytes(text: str) -> bytes:
    """A GUID in its on-disk (mixed-endian) layout; cached, activity IDs repeat a lot."""
    raw = _GUID_CACHE.get(text)
    if raw is None:
        raw = uuid.UUID(text).bytes_le
        if len(_GUID_CACHE) < 100_000:
            _GUID_CACHE[text] = raw
    return raw


def _filetime(value: Any) -> bytes:
    ticks = value if isinstance(value, int) else iso_to_filetime(value)
    return struct.pack("<Q", ticks)


ENCODERS: dict[int, Callable[[Any], bytes]] = {
    STRING: lambda v: v.encode("utf-16-le"),
    INT8: struct.Struct("<b").pack,
    UINT8: struct.Struct("<B").pack,
    INT16: struct.Struct("<h").pack,
    UINT16: struct.Struct("<H").pack,
    INT32: struct.Struct("<i").pack,
    UINT32: struct.Struct("<I").pack,
    INT64: struct.Struct("<q").pack,
    UINT64: struct.Struct("<Q").pack,
    REAL64: struct.Struct("<d").pack,
    BOOL: lambda v: struct.pack("<I", 1 if v else 0),
    GUID: guid_bytes,
    FILETIME: _filetime,
    HEXINT32: struct.Struct("<I").pack,
    HEXINT64: struct.Struct("<Q").pack,
}


def encode_value(value_type: int, value: Any) -> tuple[int, bytes]:
    """(type actually stored, bytes) for one substitution value; None is stored as NULL."""
    if value is None:
        return NULL, b""
    try:
        return value_type, ENCODERS[value_type](value)
    except (struct.error, TypeError, ValueError, AttributeError) as exc:
        raise TypeError(f"cannot store {value!r} as value type 0x{value_type:02x}: {exc}") from None


def name_hash(name: str) -> int:
    """The 32-bit hash Windows keys its per-chunk name table with (low 16 bits are stored)."""
    h = 0
    for unit in struct.unpack(f"<{len(name)}H", name.encode("utf-16-le")):
        h = (h * 65599 + unit) & 0xFFFFFFFF
    return h


# -- template trees ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text inside a template (attribute value or element content)."""

    text: str


@dataclass(frozen=True, slots=True)
class Sub:
    """A numbered slot filled from the record's values; optional slots vanish when null."""

    index: int
    value_type: int
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Element:
    name: str
    attributes: tuple[tuple[str, Text | Sub], ...] = ()
    content: tuple[Element | Text | Sub, ...] = ()


@dataclass(slots=True)
class NameTable:
    """The names already stored in one chunk, and the chunk header's 64 hash buckets."""

    offsets: dict[str, int] = field(default_factory=dict)
    buckets: list[int] = field(default_factory=lambda: [0] * 64)

    def buckets_update(self, heads: dict[int, int]) -> None:
        for bucket, head in heads.items():
            self.buckets[bucket] = head


# A template tree compiled to a flat program, laid out again for each chunk that stores it
# (only name references depend on where it lands). Ops: literal bytes; a name reference;
# open/close of a sized region whose 4-byte size is patched once its end is known.
_BYTES, _NAME, _OPEN, _CLOSE = range(4)
Program = tuple[tuple[int, Any], ...]


def _value_bytes(item: Text | Sub) -> bytes:
    if isinstance(item, Sub):
        token = OPTIONAL_SUB if item.optional else NORMAL_SUB
        return struct.pack("<BHB", token, item.index, item.value_type)
    encoded = item.text.encode("utf-16-le")
    return struct.pack("<BBH", VALUE, STRING, len(encoded) // 2) + encoded


def _compile(node: Element, ops: list[tuple[int, Any]]) -> None:
    token = OPEN_START | MORE if node.attributes else OPEN_START
    # Element size counts everything after the 7-byte start (token, dependency id, size).
    ops.append((_OPEN, struct.pack("<BH", token, 0xFFFF)))
    ops.append((_NAME, node.name))
    if node.attributes:
        ops.append((_OPEN, b""))  # attribute list size
        last = len(node.attributes) - 1
        for i, (name, value) in enumerate(node.attributes):
            ops.append((_BYTES, bytes([ATTRIBUTE | MORE if i < last else ATTRIBUTE])))
            ops.append((_NAME, name))
            ops.append((_BYTES, _value_bytes(value)))
        ops.append((_CLOSE, None))
    if node.content:
        ops.append((_BYTES, bytes([CLOSE_START])))
        for child in node.content:
            if isinstance(child, Element):
                _compile(child, ops)
            else:
                ops.append((_BYTES, _value_bytes(child)))
        ops.append((_BYTES, bytes([END_ELEMENT])))
    else:
        ops.append((_BYTES, bytes([CLOSE_EMPTY])))
    ops.append((_CLOSE, None))


def compile_tree(root: Element) -> Program:
    """The flat program of a template's fragment: header, element tree, end of stream."""
    ops: list[tuple[int, Any]] = [(_BYTES, FRAGMENT_HEADER)]
    _compile(root, ops)
    ops.append((_BYTES, bytes([EOF])))
    merged: list[tuple[int, Any]] = []
    for op, arg in ops:
        if op == _BYTES and merged and merged[-1][0] == _BYTES:
            merged[-1] = (_BYTES, merged[-1][1] + arg)
        else:
            merged.append((op, arg))
    return tuple(merged)


class Layout:
    """Names a template stores while being laid out in a chunk, kept aside until `commit`.

    A record that turns out not to fit in the chunk so leaves the chunk's name table untouched.
    """

    def __init__(self, names: NameTable) -> None:
        self.names = names
        self.added: dict[str, int] = {}
        self.heads: dict[int, int] = {}

    def _new_name(self, name: str, offset: int) -> bytes:
        h = name_hash(name)
        bucket = h % 64
        previous = self.heads.get(bucket, self.names.buckets[bucket])
        self.heads[bucket] = offset
        self.added[name] = offset
        encoded = name.encode("utf-16-le")
        return struct.pack("<IHH", previous, h & 0xFFFF, len(encoded) // 2) + encoded + b"\0\0"

    def run(self, program: Program, pos: int) -> bytearray:
        """The program's bytes when they start at chunk offset `pos`."""
        buf = bytearray()
        stack: list[int] = []
        known = self.names.offsets
        for op, arg in program:
            if op == _BYTES:
                buf += arg
            elif op == _NAME:
                offset = known.get(arg)
                if offset is None:
                    offset = self.added.get(arg)
                if offset is not None:
                    buf += _U32.pack(offset)
                else:
                    offset = pos + len(buf) + 4
                    buf += _U32.pack(offset)
                    buf += self._new_name(arg, offset)
            elif op == _OPEN:
                buf += arg
                stack.append(len(buf))
                buf += b"\0\0\0\0"
            else:
                start = stack.pop()
                _U32.pack_into(buf, start, len(buf) - start - 4)
        return buf

    def commit(self) -> None:
        self.names.offsets.update(self.added)
        self.names.buckets_update(self.heads)


_U32 = struct.Struct("<I")


@dataclass(frozen=True, slots=True)
class Template:
    """One event shape: its element tree, its GUID, slot value types and compiled program."""

    root: Element
    guid: bytes
    slot_types: tuple[int, ...]
    program: Program = ()

    @classmethod
    def build(cls, root: Element, guid: bytes, slot_types: tuple[int, ...]) -> Template:
        return cls(root, guid, slot_types, compile_tree(root))

    @property
    def template_id(self) -> int:
        return int.from_bytes(self.guid[:4], "little")


def template_guid(key: Sequence[Any]) -> bytes:
    """A stable GUID per shape, so the same trace always produces the same bytes."""
    return hashlib.md5(repr(tuple(key)).encode("utf-8")).digest()


def render_definition(
    template: Template, pos: int, names: NameTable, next_offset: int
) -> tuple[bytes, Layout]:
    """A template definition laid out at chunk offset `pos` (names uncommitted in the Layout)."""
    layout = Layout(names)
    data = layout.run(template.program, pos + 24)
    head = struct.pack("<I", next_offset) + template.guid + struct.pack("<I", len(data))
    return head + bytes(data), layout
