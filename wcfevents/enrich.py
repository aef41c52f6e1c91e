"""Enrichment: what the catalog adds to a decoded record.

Readers give the record as it was written; here the event ID becomes a symbol and a message, the
keyword mask becomes names, the payload values take the types the manifest declares, and a record
with no channel gets the one its keyword bits (or the catalog) say.
"""

from __future__ import annotations

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
from wcfevents.render import MISSING, render

_INTEGER_TYPES = frozenset(
    {"win:Int8", "win:UInt8", "win:Int16", "win:UInt16", "win:Int32", "win:UInt32",
     "win:Int64", "win:UInt64", "win:HexInt32", "win:HexInt64", "win:Pointer"}
)


def coerce(value: Any, type_name: str) -> Any:
    """A payload value in the canonical form of its manifest type; unchanged if it won't fit.

    Text is kept as recorded: "" and whitespace stay what they are (None means absent).
    """
    if value is None or type_name == "win:UnicodeString" or (type(value) is not str and (
            type_name not in _TYPED)):
        return value
    if isinstance(value, str) and (not value or value.isspace()):
        return value
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


_TYPED = _INTEGER_TYPES | {"win:GUID", "win:FILETIME", "win:SYSTEMTIME", "win:Boolean"}


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


def enrich(event: Event, catalog: Catalog | None = None) -> Event:
    """Fill symbol, level, task, opcode, keywords, channel and message in place; returns event."""
    catalog = catalog or load_catalog()
    if not is_wcf(event, catalog):
        event.level = level_name(event.level_value)
        if event.provider_guid is None and is_wcf_trace_source(event.provider):
            name_trace_event(event, catalog)
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
    data = event.data
    ordered: dict[str, Any] = {}
    for spec in entry.fields:
        if spec.name in data:
            ordered[spec.name] = coerce(data[spec.name], spec.type)
    if len(ordered) != len(data):
        ordered.update((k, v) for k, v in data.items() if k not in ordered)
    event.data = ordered
    values = [ordered.get(spec.name, MISSING) for spec in entry.fields]
    event.message = render(entry.message, values)
    return event
