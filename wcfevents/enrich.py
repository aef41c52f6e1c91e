"""Enrichment: what the catalog adds to a decoded record.

Readers give the record as it was written; here the event ID becomes a symbol and a message, the
keyword mask becomes names, the payload values take the types the manifest declares, and a record
with no channel gets the one its keyword bits (or the catalog) say.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wcfevents.catalog import (
    PROVIDER_GUID,
    PROVIDER_KEYWORD_BITS,
    Catalog,
    CatalogEvent,
    level_name,
)
from wcfevents.catalog import load as load_catalog
from wcfevents.catalog.tracecodes import TRACE_CODE_BASE, is_wcf_trace_source
from wcfevents.catalog.tracecodes import load as load_tracecodes
from wcfevents.model import Event, canonical_guid, canonical_time, parse_int
from wcfevents.render import MISSING, compile_template, format_value, render

_INTEGER_TYPES = frozenset(
    {"win:Int8", "win:UInt8", "win:Int16", "win:UInt16", "win:Int32", "win:UInt32",
     "win:Int64", "win:UInt64", "win:HexInt32", "win:HexInt64", "win:Pointer"}
)


def _same(value: Any) -> Any:
    """Text, and types without a canonical form: kept as recorded ("" and blanks too)."""
    return value


def _blank(value: Any) -> bool:
    return isinstance(value, str) and (not value or value.isspace())


def _integer(value: Any) -> Any:
    if value is None or _blank(value):
        return value
    number = parse_int(value)
    return value if number is None else number


def _guid(value: Any) -> Any:
    return value if value is None or _blank(value) else canonical_guid(value)


def _time(value: Any) -> Any:
    return value if value is None or _blank(value) else canonical_time(value)


def _boolean(value: Any) -> Any:
    if value is None or _blank(value) or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return {"true": True, "1": True, "false": False, "0": False}.get(text, value)


# Each manifest type's canonical form, as a function of the value alone; None means absent and
# stays None, text is kept as recorded ("" and whitespace stay what they are).
COERCERS: dict[str, Callable[[Any], Any]] = {
    "win:UnicodeString": _same,
    **dict.fromkeys(_INTEGER_TYPES, _integer),
    "win:GUID": _guid,
    "win:FILETIME": _time,
    "win:SYSTEMTIME": _time,
    "win:Boolean": _boolean,
}


def coerce(value: Any, type_name: str) -> Any:
    """A payload value in the canonical form of its manifest type; unchanged if it won't fit.

    Text is kept as recorded: "" and whitespace stay what they are (None means absent).
    """
    return COERCERS.get(type_name, _same)(value)


def is_wcf(event: Event, catalog: Catalog) -> bool:
    if event.provider_guid is not None:
        return event.provider_guid == PROVIDER_GUID
    return event.provider == catalog.provider_name


# What enrichment derives from a record's fixed header fields, per distinct header: a trace
# holds few distinct (ID, level, task, opcode, mask, channel) combinations and millions of records.
_Header = tuple[str | None, str | None, str | None, list[str], str | None, CatalogEvent | None]


def derive_header(event: Event, catalog: Catalog) -> _Header:
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
    return (level, task, opcode, keywords, channel, entry)


class _Shape:
    """A distinct (header, payload keys): the header facts and the payload's transform."""

    __slots__ = ("entry", "header", "seen", "transform")

    def __init__(self, header: _Header) -> None:
        self.header = header
        self.entry = header[5]
        self.seen = 0
        self.transform: Transform | None = None

    def apply(self, data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        transform = self.transform
        if transform is not None:
            return transform(data)
        entry = self.entry
        assert entry is not None
        self.seen += 1
        if self.seen >= COMPILE_AFTER:
            self.transform = compile_transform(entry, tuple(data))
        return generic_transform(entry, data)


_SHAPES: dict[tuple[Any, ...], _Shape] = {}


# What enrichment does to a record's payload, per distinct (event ID, payload keys): the values
# in manifest order with their manifest types, then the keys the manifest does not name, and the
# message. A trace holds few such shapes and millions of records, so a shape seen often is
# compiled into one generated Python function doing exactly its work: no per-record lookups of
# field order, types or template pieces. Compiling costs about as much as a few hundred records,
# so a shape is first handled by the generic transform and compiled on its COMPILE_AFTER-th sight.
Transform = Callable[[dict[str, Any]], tuple[dict[str, Any], str | None]]
COMPILE_AFTER = 64


def generic_transform(entry: CatalogEvent, data: dict[str, Any]) -> tuple[dict[str, Any],
                                                                        str | None]:
    """The definition: coerce each manifest field, keep the other keys as they are, render."""
    ordered: dict[str, Any] = {}
    for spec in entry.fields:
        if spec.name in data:
            ordered[spec.name] = coerce(data[spec.name], spec.type)
    if len(ordered) != len(data):
        ordered.update((k, v) for k, v in data.items() if k not in ordered)
    values = [ordered.get(spec.name, MISSING) for spec in entry.fields]
    return ordered, render(entry.message, values)


def compile_transform(entry: CatalogEvent, keys: tuple[str, ...]) -> Transform:
    """generic_transform for records of `entry` whose data has exactly `keys`, in that order, as
    generated code; it holds only indexes: every name and literal comes in through tuples (data
    keys come from untrusted files)."""
    present = set(keys)
    names = tuple(spec.name for spec in entry.fields)
    converters = tuple(COERCERS.get(spec.type, _same) for spec in entry.fields)
    lines = ["def transform(data):"]
    pairs = []
    for i, spec in enumerate(entry.fields):
        if spec.name not in present:
            continue
        v = f"v{names.index(spec.name)}"  # a repeated name: first place, last type (a dict)
        if converters[i] is _same:  # most fields: text as recorded, no call at all
            lines.append(f"    {v} = data[N[{i}]]")
        else:
            lines.append(f"    {v} = C[{i}](data[N[{i}]])")
        if v == f"v{i}":
            pairs.append(f"N[{i}]: {v}")
    lines.append("    out = {" + ", ".join(pairs) + "}")
    others = tuple(key for key in keys if key not in names)
    lines += [f"    out[X[{j}]] = data[X[{j}]]" for j in range(len(others))]
    literals: list[Any] = []

    def literal(value: Any) -> str:
        literals.append(value)
        return f"L[{len(literals) - 1}]"

    if entry.message is None:
        lines.append("    return out, None")
    else:
        parts = []
        for piece in compile_template(entry.message):
            if isinstance(piece, str):
                parts.append(literal(piece))
                continue
            index, spec, written = piece
            if index == 0:
                continue
            if index > len(names) or names[index - 1] not in present:
                parts.append(literal(written))  # a value the record does not carry stays visible
                continue
            v = f"v{names.index(names[index - 1])}"
            if spec is None:
                parts.append(f"({v} if type({v}) is str else F({v}, None))")
            else:
                parts.append(f"F({v}, {literal(spec)})")
        lines.append("    return out, ''.join((" + "".join(p + ", " for p in parts) + "))")
    scope = {"N": names, "C": converters, "X": others, "L": tuple(literals), "F": format_value,
             "str": str, "type": type}
    exec(compile("\n".join(lines), f"<transform {entry.event_id}>", "exec"), scope)
    return scope["transform"]  # type: ignore[no-any-return]


def name_trace_event(event: Event, catalog: Catalog) -> None:
    """A WCF/WF trace source's record (.svclog) takes the catalog's name of its EventID: an ETW
    event ID that .NET mirrored to the trace source, or a legacy trace code (≥ 0x10000)."""
    event_id = event.event_id
    if not event_id:
        return
    if event_id < TRACE_CODE_BASE:
        entry = catalog.by_id(event_id)
        if entry is not None:
            event.symbol = entry.symbol
        return
    code = load_tracecodes().by_code(event_id)
    if code is not None:
        event.symbol = code.name


def enrich(event: Event, catalog: Catalog | None = None, payload: bool = True) -> Event:
    """Fill symbol, level, task, opcode, keywords, channel and message in place; returns event.

    Without `payload` the data keep the reader's values and there is no message: for callers
    that read the header facts only (`summary`), which saves the payload's work."""
    if catalog is None:
        catalog = load_catalog()
    if not is_wcf(event, catalog):
        event.level = level_name(event.level_value)
        if event.provider_guid is None and is_wcf_trace_source(event.provider):
            name_trace_event(event, catalog)
        return event
    if event.provider is None:
        event.provider = catalog.provider_name
    if event.provider_guid is None:
        event.provider_guid = catalog.provider_guid
    data = event.data
    key = (id(catalog), event.event_id, event.level_value, event.task_id, event.opcode_id,
           event.keywords_mask, event.channel, *data)
    shape = _SHAPES.get(key)
    if shape is None:
        shape = _Shape(derive_header(event, catalog))
        if len(_SHAPES) < 65536:
            _SHAPES[key] = shape
    event.level, event.task, event.opcode, keywords, event.channel, entry = shape.header
    event.keywords = list(keywords)
    if entry is not None:
        event.symbol = entry.symbol
        if payload:
            transform = shape.transform  # compiled once the shape is common (see _Shape)
            event.data, event.message = (transform(data) if transform is not None
                                         else shape.apply(data))
    return event
