"""Self-describing TraceLogging events: the event name and field values by name, where cheap.

A TraceLogging event carries its own schema in an EVENT_SCHEMA_TL extended item: size, tags,
the event name, then each field's name and in-type (with an optional out-type and count). Scalar
fields, strings, binary and arrays are decoded; at the first field that is not (a struct, an
unknown type) decoding stops and the rest of the payload is kept as hex.
"""

from __future__ import annotations

import struct
from typing import Any

from wcfevents.sources.etl.payload import READERS as WIN
from wcfevents.sources.etl.payload import Short, read_ansi, read_guid, read_sid, read_unicode

_SCALARS = {
    3: WIN["win:Int8"], 4: WIN["win:UInt8"], 5: WIN["win:Int16"], 6: WIN["win:UInt16"],
    7: WIN["win:Int32"], 8: WIN["win:UInt32"], 9: WIN["win:Int64"], 10: WIN["win:UInt64"],
    11: WIN["win:Float"], 12: WIN["win:Double"], 13: WIN["win:Boolean"], 15: read_guid,
    17: WIN["win:FILETIME"], 19: read_sid, 20: WIN["win:HexInt32"], 21: WIN["win:HexInt64"],
    1: read_unicode, 2: read_ansi,
}
_U16 = struct.Struct("<H")
OUT_STRING = 2  # an array of UInt8/UInt16 printed as text
STRUCT = 24  # its out-type is the number of member fields that follow


def _counted(data: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 2 > len(data):
        raise Short
    size = _U16.unpack_from(data, pos)[0]
    if pos + 2 + size > len(data):
        raise Short
    return data[pos + 2:pos + 2 + size], pos + 2 + size


def parse_schema(meta: bytes) -> tuple[str, list[tuple[str, int, int, int]]] | None:
    """(event name, [(field name, in-type, out-type, constant count or -1 for a counted
    array, 0 for a scalar)]) or None when the schema is not one this decodes."""
    try:
        pos = 2
        while meta[pos] & 0x80:  # tag bytes chain while their high bit is set
            pos += 1
        pos += 1
        end = meta.index(b"\x00", pos)
        name = meta[pos:end].decode("utf-8", "replace")
        pos = end + 1
        fields = []
        while pos < len(meta):
            end = meta.index(b"\x00", pos)
            field = meta[pos:end].decode("utf-8", "replace")
            pos = end + 1
            in_type = meta[pos]
            pos += 1
            out_type = 0
            if in_type & 0x80:
                out_type = meta[pos]
                pos += 1
                if out_type & 0x80:  # field tags: up to 4 bytes chained by their high bit
                    for _ in range(4):
                        pos += 1
                        if not meta[pos - 1] & 0x80:
                            break
            count_kind = in_type & 0x60
            count = 0
            if count_kind == 0x20:
                count = _U16.unpack_from(meta, pos)[0]
                pos += 2
            elif count_kind == 0x40:
                count = -1
            elif count_kind == 0x60:
                return name, [*fields, (field, 0x60, 0, 0)]
            fields.append((field, in_type & 0x1F, out_type & 0x7F, count))
        return name, fields
    except (IndexError, ValueError, struct.error):
        return None


def decode(meta: bytes, data: bytes, pointer: int) -> tuple[str, dict[str, Any], bytes] | None:
    """(event name, values by field name, undecoded rest) or None without a usable schema."""
    schema = parse_schema(meta)
    if schema is None:
        return None
    name, fields = schema
    values: dict[str, Any] = {}
    pos = 0
    prefixes: list[list[Any]] = []  # open structs: [name, members still to come]
    for field, in_type, out_type, count in fields:
        prefix = ".".join(p[0] for p in prefixes)
        if prefixes:
            prefixes[-1][1] -= 1
            while prefixes and prefixes[-1][1] <= 0 and in_type != STRUCT:
                prefixes.pop()
        if in_type == STRUCT and count == 0:
            prefixes.append([field if not prefix else f"{prefix}.{field}", out_type])
            continue
        field = f"{prefix}.{field}" if prefix else field
        try:
            if count == 0:
                value, pos = _one(data, pos, in_type, pointer)
            else:
                if count < 0:
                    if pos + 2 > len(data):
                        raise Short
                    count = _U16.unpack_from(data, pos)[0]
                    pos += 2
                if out_type == OUT_STRING and in_type in (4, 6):
                    width = 1 if in_type == 4 else 2
                    raw = data[pos:pos + count * width]
                    if len(raw) < count * width:
                        raise Short
                    pos += count * width
                    value = raw.decode("utf-8" if width == 1 else "utf-16-le", "replace")
                else:
                    items = []
                    for _ in range(count):
                        item, pos = _one(data, pos, in_type, pointer)
                        items.append(item)
                    value = items
        except (Short, _Unsupported):
            return name, values, data[pos:]
        values[field] = value
    return name, values, data[pos:]


class _Unsupported(Exception):
    pass


def _one(data: bytes, pos: int, in_type: int, pointer: int) -> tuple[Any, int]:
    read = _SCALARS.get(in_type)
    if read is not None:
        return read(data, pos, pointer)
    if in_type in (14, 25):  # binary, counted binary
        raw, pos = _counted(data, pos)
        return raw.hex(), pos
    if in_type == 22:
        raw, pos = _counted(data, pos)
        return raw.decode("utf-16-le", "replace"), pos
    if in_type == 23:
        raw, pos = _counted(data, pos)
        return raw.decode("utf-8", "replace"), pos
    if in_type == 16:  # pointer-sized integer
        return WIN["win:Pointer"](data, pos, pointer)
    if in_type == 18:  # SYSTEMTIME
        if pos + 16 > len(data):
            raise Short
        y, mo, _, d, h, mi, s, ms = struct.unpack_from("<8H", data, pos)
        return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}.{ms:03d}0000Z", pos + 16
    raise _Unsupported
