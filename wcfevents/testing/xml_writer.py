"""Event exports written the way tracerpt, wevtutil and Get-WinEvent ToXml write them.

Tests and fixtures need XML that looks like what the Windows tools produce (envelope, quoting,
local-time offsets, always-empty elements, rendering blocks in odd orders, UTF-16 with a BOM)
without a Windows machine to produce it. Each tool keeps a different part of a record, so
`exported()` says which raw Event a reader should decode from what `write_xml()` wrote.

Values are written as the tools render them: GUIDs in braces, FILETIMEs as ISO times, hex types
as 0x numbers, booleans as true/false. Control characters in values are written raw, as wevtutil
does; a reader has to drop them, and `exported()` drops them too.
"""

from __future__ import annotations

import codecs
import dataclasses
import itertools
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from wcfevents.catalog import Catalog
from wcfevents.catalog import load as load_catalog
from wcfevents.enrich import enrich, is_wcf
from wcfevents.model import Event, canonical_guid, canonical_time, empty_to_none
from wcfevents.sources.event_xml import USER_DATA_ELEMENT

FLAVOURS = ("tracerpt", "wevtutil", "toxml")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16-le", "utf-16-be")
EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
TRACE_NS = "http://schemas.microsoft.com/win/2004/08/events/trace"
USERDATA_NS = "http://manifests.microsoft.com/win/2004/08/windows/eventlog"
TRACE_HEADER_GUID = "68fdd900-4a3e-11d1-84f4-0000f80464e3"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
PACIFIC = timedelta(hours=-8)

_EXECUTION_EXTRA = ("ProcessorID", "SessionID", "KernelTime", "UserTime")
_TRACERPT_EXECUTION = ("ProcessorID", "KernelTime", "UserTime")
_RENDERING_ORDER = ("Message", "Level", "Task", "Opcode", "Channel", "Provider", "Keywords")
_HEX_TYPES = frozenset({"win:HexInt32", "win:HexInt64", "win:Pointer"})
_TIME_TYPES = frozenset({"win:FILETIME", "win:SYSTEMTIME"})
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_BOMS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}


# -- values ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """Element text: markup escaped, CR kept as a reference (a parser would turn it into LF)."""
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")
    )


def _attr(value: Any, quote: str) -> str:
    text = _text(str(value)).replace("\n", "&#xA;").replace("\t", "&#x9;")
    return text.replace(quote, "&quot;" if quote == '"' else "&apos;")


def _braced(guid: str, flavour: str) -> str:
    return "{" + (guid.upper() if flavour == "toxml" else guid.lower()) + "}"


def _time(timestamp: str, flavour: str, offset: timedelta | None = None) -> str:
    """A canonical UTC time as the tool writes it: tracerpt in local time with its offset and
    nine digits, wevtutil with seven, ToXml with nine (older Windows builds)."""
    canonical = canonical_time(timestamp) or timestamp
    if not canonical.endswith("Z") or len(canonical) != 28:
        return canonical
    whole = datetime.strptime(canonical[:19], "%Y-%m-%dT%H:%M:%S")
    digits = canonical[20:27]
    if offset is not None:
        local = whole + offset
        minutes = int(offset.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        hours, rest = divmod(abs(minutes), 60)
        return f"{local:%Y-%m-%dT%H:%M:%S}.{digits}00{sign}{hours:02d}:{rest:02d}"
    if flavour == "wevtutil":
        return f"{canonical[:19]}.{digits}Z"
    return f"{canonical[:19]}.{digits}00Z"


def value_text(value: Any, type_name: str | None, flavour: str) -> Any:
    """A payload value as the tool renders it (text), given its manifest type if known."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {k: value_text(v, None, flavour) for k, v in value.items()}
    if isinstance(value, list):
        return [value_text(v, None, flavour) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"0x{value:X}" if type_name in _HEX_TYPES else str(value)
    text = str(value)
    if type_name == "win:GUID" and _GUID.match(text):
        return _braced(text, flavour)
    if type_name in _TIME_TYPES and canonical_time(text) == text:
        return _time(text, "toxml" if flavour == "tracerpt" else flavour)
    return text


def _decoded(value: Any) -> Any:
    """What a reader gets back from written text: no invalid XML characters, empty as None."""
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if value is None:
        return None
    return empty_to_none(_INVALID_XML.sub("", str(value)))


def _decoded_value(value: Any) -> Any:
    """A payload value read back: as written, but XML cannot say absent (an empty element is
    "") nor carry control characters (the one documented exception)."""
    if isinstance(value, dict):
        return {k: _decoded_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decoded_value(v) for v in value]
    return "" if value is None else _INVALID_XML.sub("", str(value))


def _field_types(event: Event, catalog: Catalog) -> dict[str, str]:
    if event.event_id is None or not is_wcf(event, catalog):
        return {}
    entry = catalog.by_id(event.event_id)
    return {} if entry is None else {f.name: f.type for f in entry.fields}


def _rendering(event: Event, catalog: Catalog, culture: str) -> dict[str, Any]:
    """RenderingInfo as Windows fills it: given in extra, or from the catalog for WCF events."""
    given = event.extra.get("rendering")
    if given is not None:
        return dict(given)
    if not is_wcf(event, catalog):
        return {}
    copy = dataclasses.replace(
        event, data=dict(event.data), extra=dict(event.extra), keywords=list(event.keywords)
    )
    enrich(copy, catalog)
    values = {
        "Message": copy.message,
        "Level": copy.level,
        "Task": copy.task,
        "Opcode": copy.opcode,
        "Channel": copy.channel,
        "Provider": copy.provider,
        "Keywords": list(copy.keywords) or None,
    }
    rendering = {k: v for k, v in values.items() if v}
    rendering["Culture"] = culture
    return rendering


# -- what a reader decodes ---------------------------------------------------------------------


def _default_rendering(flavour: str) -> bool:
    return flavour == "tracerpt"


def exported(
    event: Event,
    flavour: str,
    *,
    rendering: bool | None = None,
    source: str | None = None,
    catalog: Catalog | None = None,
    culture: str = "en-US",
) -> Event:
    """The raw Event a reader should decode from `event` written in `flavour`.

    tracerpt keeps no record number, channel, computer or user, and adds processor and CPU times;
    wevtutil and ToXml keep the whole System block; only tracerpt and `wevtutil /f:RenderedXml`
    carry a RenderingInfo block.
    """
    catalog = catalog or load_catalog()
    rendering = _default_rendering(flavour) if rendering is None else rendering
    rendering = rendering and flavour != "toxml"
    types = _field_types(event, catalog)
    extra: dict[str, Any] = {}
    if flavour == "tracerpt":
        for key in _TRACERPT_EXECUTION:
            extra[key] = event.extra.get(key, 0)
        kept: tuple[str, ...] = ("EventSourceName", "qualifiers")
    else:
        kept = ("EventSourceName", "qualifiers", *_EXECUTION_EXTRA, "UserID")
    for key in (*kept, USER_DATA_ELEMENT):
        if event.extra.get(key) is not None:
            extra[key] = event.extra[key]
    for key in ("processing_error", "extended_tracing"):
        if event.extra.get(key) is not None:
            extra[key] = _decoded(event.extra[key])
    if rendering:
        rendered = _decoded(_rendering(event, catalog, culture))
        if rendered:
            extra["rendering"] = {k: v for k, v in rendered.items() if v is not None}
    data = {k: _decoded_value(value_text(v, types.get(k), flavour))
            for k, v in event.data.items()}
    keep_system = flavour != "tracerpt"
    return Event(
        record_id=event.record_id if keep_system else None,
        timestamp=canonical_time(event.timestamp),
        provider=event.provider,
        provider_guid=canonical_guid(event.provider_guid),
        event_id=event.event_id,
        version=event.version,
        level_value=event.level_value,
        task_id=event.task_id,
        opcode_id=event.opcode_id,
        keywords_mask=event.keywords_mask,
        channel=_decoded(event.channel) if keep_system else None,
        computer=_decoded(event.computer) if keep_system else None,
        process_id=event.process_id,
        thread_id=event.thread_id,
        activity_id=None if event.activity_id == ZERO_GUID else event.activity_id,
        related_activity_id=(
            None if event.related_activity_id == ZERO_GUID else event.related_activity_id
        ),
        data=data,
        extra=extra,
        source=source,
    )


def header_event(
    timestamp: str | None,
    *,
    logger: str = "WcfTrace",
    log_file: str = r"C:\Traces\wcf.etl",
    processors: int = 2,
) -> Event:
    """The kernel logger's EventTrace header that tracerpt writes before any event."""
    when = timestamp or "2026-01-01T00:00:00.0000000Z"
    data = {
        "BufferSize": "64",
        "Version": "83951626",
        "ProviderVersion": "19041",
        "NumberOfProcessors": str(processors),
        "EndTime": _time(when, "toxml"),
        "TimerResolution": "156250",
        "MaxFileSize": "0",
        "LogFileMode": "0x10001",
        "BuffersWritten": "1",
        "StartBuffers": "1",
        "PointerSize": "8",
        "EventsLost": "0",
        "CPUSpeed": "2592",
        "LoggerName": logger,
        "LogFileName": log_file,
        "TimeZoneInformation": "@tzres.dll,-212",
        "BootTime": _time(when, "toxml"),
        "PerfFreq": "10000000",
        "StartTime": _time(when, "toxml"),
        "ReservedFlags": "1",
        "BuffersLost": "0",
        "SessionNameString": logger,
        "LogFileNameString": log_file,
    }
    return Event(
        timestamp=canonical_time(when),
        provider_guid=TRACE_HEADER_GUID,
        event_id=0,
        version=2,
        level_value=0,
        task_id=0,
        opcode_id=0,
        keywords_mask=0,
        process_id=4294967295,
        thread_id=4294967295,
        data=data,
        extra={
            "ProcessorID": 0,
            "KernelTime": 0,
            "UserTime": 0,
            "rendering": {"Opcode": "Header", "Provider": "MSNT_SystemTrace",
                          "EventName": "EventTrace", "Culture": "en-US"},
            "extended_tracing": {"EventGuid": "{" + TRACE_HEADER_GUID + "}"},
        },
    )


# -- writing -----------------------------------------------------------------------------------


class _Style:
    """Quoting, indentation and line ends of one tool."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self.pretty = flavour == "tracerpt"
        self.quote = '"' if self.pretty else "'"
        self.close = " />" if self.pretty else "/>"

    def attrs(self, pairs: Iterable[tuple[str, Any]]) -> str:
        q = self.quote
        return "".join(f" {k}={q}{_attr(v, q)}{q}" for k, v in pairs if v is not None)

    def line(self, depth: int, markup: str) -> str:
        return ("\t" * depth + markup + "\r\n") if self.pretty else markup

    def leaf(self, depth: int, name: str, text: Any, attrs: str = "") -> str:
        if text is None or text == "":
            return self.line(depth, f"<{name}{attrs}{self.close}")
        return self.line(depth, f"<{name}{attrs}>{_text(str(text))}</{name}>")


def _nested(style: _Style, depth: int, name: str, value: Any, attrs: str = "") -> str:
    if isinstance(value, list):
        return "".join(_nested(style, depth, name, item) for item in value)
    if not isinstance(value, dict):
        return style.leaf(depth, name, value, attrs)
    inner = "".join(_nested(style, depth + 1, k, v) for k, v in value.items())
    return style.line(depth, f"<{name}{attrs}>") + inner + style.line(depth, f"</{name}>")


def _system(style: _Style, event: Event, offset: timedelta) -> str:
    tracerpt = style.flavour == "tracerpt"
    extra = event.extra
    guid = canonical_guid(event.provider_guid)
    lines = [style.line(1, "<System>")]
    provider = style.attrs(
        [("Name", event.provider), ("Guid", _braced(guid, style.flavour) if guid else None),
         ("EventSourceName", extra.get("EventSourceName"))]
    )
    lines.append(style.line(2, f"<Provider{provider}{style.close}"))
    if event.event_id is not None:
        qualifiers = style.attrs([("Qualifiers", extra.get("qualifiers"))])
        lines.append(style.leaf(2, "EventID", event.event_id, qualifiers))
    for name, value in (("Version", event.version), ("Level", event.level_value),
                        ("Task", event.task_id), ("Opcode", event.opcode_id)):
        if value is not None:
            lines.append(style.leaf(2, name, value))
    if event.keywords_mask is not None:
        mask = f"0x{event.keywords_mask:X}" if tracerpt else f"0x{event.keywords_mask:x}"
        lines.append(style.leaf(2, "Keywords", mask))
    if event.timestamp is not None:
        when = style.attrs(
            [("SystemTime", _time(event.timestamp, style.flavour, offset if tracerpt else None))]
        )
        lines.append(style.line(2, f"<TimeCreated{when}{style.close}"))
    if event.record_id is not None and not tracerpt:
        lines.append(style.leaf(2, "EventRecordID", event.record_id))
    activity = event.activity_id or (ZERO_GUID if tracerpt else None)
    correlation = style.attrs(
        [("ActivityID", _braced(activity, style.flavour) if activity else None),
         ("RelatedActivityID", _braced(event.related_activity_id, style.flavour)
          if event.related_activity_id else None)]
    )
    lines.append(style.line(2, f"<Correlation{correlation}{style.close}"))
    if tracerpt:
        more = [(k, extra.get(k, 0)) for k in _TRACERPT_EXECUTION]
    else:
        more = [(k, extra.get(k)) for k in _EXECUTION_EXTRA]
    execution = style.attrs(
        [("ProcessID", event.process_id), ("ThreadID", event.thread_id), *more]
    )
    lines.append(style.line(2, f"<Execution{execution}{style.close}"))
    lines.append(style.leaf(2, "Channel", None if tracerpt else event.channel))
    lines.append(style.leaf(2, "Computer", None if tracerpt else event.computer))
    if not tracerpt:
        user = style.attrs([("UserID", extra.get("UserID"))])
        lines.append(style.line(2, f"<Security{user}{style.close}"))
    lines.append(style.line(1, "</System>"))
    return "".join(lines)


def _payload(style: _Style, event: Event, types: dict[str, str]) -> str:
    data = {k: value_text(v, types.get(k), style.flavour) for k, v in event.data.items()}
    if not data:
        return ""
    if list(data) == ["BinaryEventData"]:
        return style.leaf(1, "BinaryEventData", data["BinaryEventData"])
    wrapper = event.extra.get(USER_DATA_ELEMENT)
    if wrapper is not None:
        q = style.quote
        inner = _nested(style, 2, wrapper, data, f" xmlns={q}{USERDATA_NS}{q}")
        return style.line(1, "<UserData>") + inner + style.line(1, "</UserData>")
    if any(isinstance(v, dict) for v in data.values()):
        q = style.quote
        inner = "".join(
            _nested(style, 2, k, v, f" xmlns={q}{USERDATA_NS}{q}") for k, v in data.items()
        )
        return style.line(1, "<UserData>") + inner + style.line(1, "</UserData>")
    unnamed = list(data) == [str(i) for i in range(1, len(data) + 1)]
    lines = [style.line(1, "<EventData>")]
    for key, value in data.items():
        if key == "Binary":
            lines.append(style.leaf(2, "Binary", value))
        else:
            name = "" if unnamed else style.attrs([("Name", key)])
            lines.append(style.leaf(2, "Data", value, name))
    lines.append(style.line(1, "</EventData>"))
    return "".join(lines)


def _rendering_block(style: _Style, rendering: dict[str, Any], turn: int) -> str:
    names = [k for k in rendering if k != "Culture"]
    known = [k for k in _RENDERING_ORDER if k in names] + [k for k in names
                                                          if k not in _RENDERING_ORDER]
    if style.flavour == "tracerpt":
        # tracerpt's order follows no rule; rotate it so readers cannot lean on one.
        turn %= max(len(known), 1)
        known = known[turn:] + known[:turn]
    culture = style.attrs([("Culture", rendering.get("Culture", "en-US"))])
    lines = [style.line(1, f"<RenderingInfo{culture}>")]
    for name in known:
        value = rendering[name]
        if name == "Keywords":
            lines.append(style.line(2, "<Keywords>"))
            lines.extend(style.leaf(3, "Keyword", k) for k in value)
            lines.append(style.line(2, "</Keywords>"))
        elif name == "EventName":
            ns = style.attrs([("xmlns", TRACE_NS)])
            lines.append(style.leaf(2, name, value, ns))
        else:
            lines.append(style.leaf(2, name, value))
    lines.append(style.line(1, "</RenderingInfo>"))
    return "".join(lines)


def event_xml(
    event: Event,
    flavour: str,
    *,
    rendering: bool | None = None,
    utc_offset: timedelta = PACIFIC,
    catalog: Catalog | None = None,
    culture: str = "en-US",
    turn: int = 0,
) -> str:
    """One `<Event>` element as `flavour` writes it (without the separator after it)."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; valid: {', '.join(FLAVOURS)}")
    catalog = catalog or load_catalog()
    rendering = _default_rendering(flavour) if rendering is None else rendering
    style = _Style(flavour)
    q = style.quote
    parts = [style.line(0, f"<Event xmlns={q}{EVENT_NS}{q}>"), _system(style, event, utc_offset)]
    parts.append(_payload(style, event, _field_types(event, catalog)))
    if event.extra.get("processing_error") is not None:
        parts.append(_nested(style, 1, "ProcessingErrorData", event.extra["processing_error"]))
    if rendering and flavour != "toxml":
        rendered = _rendering(event, catalog, culture)
        if rendered:
            parts.append(_rendering_block(style, rendered, turn))
    if event.extra.get("extended_tracing") is not None:
        ns = style.attrs([("xmlns", TRACE_NS)])
        parts.append(_nested(style, 1, "ExtendedTracingInfo", event.extra["extended_tracing"], ns))
    parts.append(style.line(0, "</Event>"))
    return "".join(parts)


def _with_header(events: Iterable[Event]) -> Iterator[Event]:
    iterator = iter(events)
    first = next(iterator, None)
    yield header_event(first.timestamp if first is not None else None)
    if first is not None:
        yield from itertools.chain([first], iterator)


def write_xml(
    events: Iterable[Event],
    out: BinaryIO,
    flavour: str = "tracerpt",
    *,
    encoding: str = "utf-8",
    rendering: bool | None = None,
    header: bool = True,
    utc_offset: timedelta = PACIFIC,
    catalog: Catalog | None = None,
) -> int:
    """Write events to a binary stream as `flavour` does, one at a time; the count written.

    tracerpt gets its declaration, `<Events>` root and (with `header`) the EventTrace header
    first; wevtutil runs events together; ToXml puts each on its own line. UTF-16 gets a BOM.
    """
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; valid: {', '.join(FLAVOURS)}")
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; valid: {', '.join(ENCODINGS)}")
    catalog = catalog or load_catalog()
    encoder = codecs.getincrementalencoder(encoding)()
    out.write(_BOMS.get(encoding, b""))

    def put(text: str) -> None:
        out.write(encoder.encode(text))

    if flavour == "tracerpt":
        declared = "UTF-16" if encoding.startswith("utf-16") else "UTF-8"
        put(f'<?xml version="1.0" encoding="{declared}"?>\r\n<Events>\r\n')
        if header:
            events = _with_header(events)
    separator = {"tracerpt": "", "wevtutil": "", "toxml": "\r\n"}[flavour]
    count = 0
    for count, event in enumerate(events, 1):
        put(event_xml(event, flavour, rendering=rendering, utc_offset=utc_offset,
                      catalog=catalog, turn=count) + separator)
    put("</Events>\r\n" if flavour == "tracerpt" else "\r\n" if flavour == "wevtutil" else "")
    out.write(encoder.encode("", final=True))
    return count


def write_xml_file(path: Path | str, events: Iterable[Event], flavour: str = "tracerpt",
                   **options: Any) -> int:
    """write_xml to a file (created or replaced)."""
    with Path(path).open("wb") as handle:
        return write_xml(events, handle, flavour, **options)


def expected_events(
    events: Iterable[Event],
    flavour: str,
    *,
    rendering: bool | None = None,
    header: bool = True,
    source: str | None = None,
    catalog: Catalog | None = None,
) -> list[Event]:
    """Every raw Event a reader should decode from `write_xml(events, ..., flavour)`."""
    items = list(events)
    if flavour == "tracerpt" and header:
        items.insert(0, header_event(items[0].timestamp if items else None))
    return [
        exported(e, flavour, rendering=rendering, source=source, catalog=catalog) for e in items
    ]
