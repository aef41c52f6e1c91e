"""Enrichment: what the catalog adds to a decoded record.

Readers give the record as it was written; here the event ID becomes a symbol and a message, the
keyword mask becomes names, the payload values take the types the manifest declares, and a record
with no channel gets the one its keyword bits (or the catalog) say.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from wcfevents.catalog import (
    PROVIDER_GUID,
    PROVIDER_KEYWORD_BITS,
    Catalog,
    CatalogEvent,
    level_name,
)
from wcfevents.catalog import load as load_catalog
from wcfevents.model import Event, canonical_guid, canonical_time, empty_to_none, parse_int
from wcfevents.render import compile_template, format_value

_INTEGER_TYPES = frozenset(
    {"win:Int8", "win:UInt8", "win:Int16", "win:UInt16", "win:Int32", "win:UInt32",
     "win:Int64", "win:UInt64", "win:HexInt32", "win:HexInt64", "win:Pointer"}
)


def coerce(value: Any, type_name: str) -> Any:
    """A payload value in the canonical form of its manifest type; unchanged if it won't fit."""
    if type_name == "win:UnicodeString":  # most values: only empty text changes
        return None if value == "" or (isinstance(value, str) and value.isspace()) else value
    value = empty_to_none(value)
    if value is None:
        return None
    if type_name in _INTEGER_TYPES:
        number = parse_int(value)
        return value if number is None else number
    if type_name == "win:GUID":
        return canonical_guid(value)
    if type_name in ("win:FILETIME", "win:SYSTEMTIME"):
        return canonical_time(value)
    if type_name == "win:Boolean":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        return {"true": True, "1": True, "false": False, "0": False}.get(text, value)
    return value


def is_wcf(event: Event, catalog: Catalog) -> bool:
    if event.provider_guid is not None:
        return event.provider_guid == PROVIDER_GUID
    return event.provider == catalog.provider_name


# What enrichment derives from a record's fixed header fields, per distinct header: a trace
# holds few distinct (ID, level, task, opcode, mask, channel) combinations and millions of records.
_Header = tuple[str | None, str | None, str | None, list[str], str | None, CatalogEvent | None]
_HEADERS: dict[tuple[Any, ...], _Header] = {}


def _header(event: Event, catalog: Catalog) -> _Header:
    key = (id(catalog), event.event_id, event.level_value, event.task_id, event.opcode_id,
           event.keywords_mask, event.channel)
    known = _HEADERS.get(key)
    if known is not None:
        return known
    entry = catalog.by_id(event.event_id) if event.event_id is not None else None
    task = catalog.task_name(event.task_id)
    opcode = catalog.opcode_name(event.opcode_id, task)
    mask = event.keywords_mask
    keywords: list[str] = []
    if mask is not None and mask & PROVIDER_KEYWORD_BITS:
        keywords = catalog.keyword_names(mask)
    elif entry is not None:
        keywords = list(entry.keywords)
    channel = event.channel
    if not channel:
        channel = (catalog.channel_from_mask(mask) if mask else None) or (
            entry.channel if entry else None)
    level = level_name(event.level_value)
    if level is None and entry is not None:
        level = entry.level
    known = (level, task, opcode, keywords, channel, entry)
    if len(_HEADERS) < 65536:
        _HEADERS[key] = known
    return known


# What enrichment does to a record's payload, per distinct (event ID, payload keys): the values
# in manifest order with their manifest types, then the keys the manifest does not name, and the
# message. A trace holds few such shapes, so each is compiled once into one Python function that
# does exactly that shape's work: no per-record lookups of types, field order or template pieces.
Transform = Callable[[dict[str, Any]], tuple[dict[str, Any], str | None]]
_TRANSFORMS: dict[tuple[Any, ...], Transform] = {}


def compile_transform(entry: CatalogEvent, keys: tuple[str, ...]) -> Transform:
    """The payload transform for records of `entry` whose data has exactly `keys`, in order.

    Equivalent to coercing each manifest field with coerce(), appending the other keys as they
    are, and rendering the message with render(); the generated code holds only indexes, and
    every name and literal comes in through tuples (data keys come from untrusted files).
    """
    present = set(keys)
    names = tuple(spec.name for spec in entry.fields)
    # coerce() stays the one definition of the types: each field gets it bound to its type.
    converters = tuple(partial(coerce, type_name=spec.type) for spec in entry.fields)
    lines = ["def transform(data):"]
    pairs = []
    for i, spec in enumerate(entry.fields):
        if spec.name not in present:
            continue
        v = f"v{names.index(spec.name)}"  # a repeated name: the last type wins, as in a dict
        lines.append(f"    {v} = C[{i}](data[N[{i}]])")
        if v == f"v{i}":
            pairs.append(f"N[{i}]: {v}")
    lines.append("    out = {" + ", ".join(pairs) + "}")
    others = tuple(key for key in keys if key not in names)
    for j in range(len(others)):
        lines.append(f"    out[X[{j}]] = data[X[{j}]]")
    literals: list[Any] = []
    if entry.message is None:
        lines.append("    return out, None")
    else:
        parts = []
        for piece in compile_template(entry.message):
            if isinstance(piece, str):
                literals.append(piece)
                parts.append(f"L[{len(literals) - 1}]")
                continue
            index, spec, written = piece
            if index == 0:
                continue
            field = index - 1
            if field >= len(names) or names[field] not in present:
                literals.append(written)  # a value the record does not carry stays visible
                parts.append(f"L[{len(literals) - 1}]")
                continue
            first = names.index(names[field])  # a repeated name reads the first one's value
            literals.append(spec)
            spec_ref = f"L[{len(literals) - 1}]"
            if spec is None:
                parts.append(f"(v{first} if type(v{first}) is str else F(v{first}, None))")
            else:
                parts.append(f"F(v{first}, {spec_ref})")
        lines.append("    return out, ''.join((" + "".join(p + ", " for p in parts) + "))")
    scope = {"N": names, "C": converters, "X": others, "L": tuple(literals), "F": format_value,
             "str": str, "type": type}
    exec(compile("\n".join(lines), f"<transform {entry.event_id}>", "exec"), scope)
    return scope["transform"]  # type: ignore[no-any-return]


def transform_for(entry: CatalogEvent, data: dict[str, Any]) -> Transform:
    keys = tuple(data)
    key = (id(entry), keys)
    found = _TRANSFORMS.get(key)
    if found is None:
        found = compile_transform(entry, keys)
        if len(_TRANSFORMS) < 65536:
            _TRANSFORMS[key] = found
    return found


def enrich(event: Event, catalog: Catalog | None = None) -> Event:
    """Fill symbol, level, task, opcode, keywords, channel and message in place; returns event."""
    catalog = catalog or load_catalog()
    if not is_wcf(event, catalog):
        event.level = level_name(event.level_value)
        return event
    if event.provider is None:
        event.provider = catalog.provider_name
    if event.provider_guid is None:
        event.provider_guid = catalog.provider_guid
    level, task, opcode, keywords, channel, entry = _header(event, catalog)
    event.level, event.task, event.opcode, event.channel = level, task, opcode, channel
    event.keywords = list(keywords)
    if entry is None:
        return event
    event.symbol = entry.symbol
    event.data, event.message = transform_for(entry, event.data)(event.data)
    return event
