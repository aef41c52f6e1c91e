"""One parsed `<E2ETraceEvent>` fragment → the Event record every reader yields.

The mapping is the one the README documents: the System header gives the record's keys, a
TraceRecord gives message, ExtendedData leaves and the Exception block, a MessageLogTraceRecord
gives the addressing facts and the body as written. WCF escapes exception texts (and the values
of its EventLog record) once more before the XML writer escapes them again; that extra level is
undone there and nowhere else.
"""

from __future__ import annotations

import re
from typing import Any

from wcfevents.catalog.tracecodes import is_wcf_trace_source
from wcfevents.model import Event, canonical_activity, canonical_time, empty_to_none, parse_int

PROVIDER_NAME = "Microsoft-Windows-Application Server-Applications"
EVENT_LOG_CODE = 0x20002  # TraceCode.EventLog: WCF's copy of what it wrote to the event log
# SubType → level on the ETW scale; the activity types are Information with an opcode.
SUBTYPE_LEVELS = {"Critical": 1, "Error": 2, "Warning": 3, "Information": 4, "Verbose": 5}
ACTIVITY_TYPES = ("Start", "Stop", "Suspend", "Resume", "Transfer")
# System.Diagnostics levels (1/2/4/8/16) → ETW, for a record without a SubType.
DIAGNOSTICS_LEVELS = {1: 1, 2: 2, 4: 3, 8: 4, 16: 5}
EXCEPTION_PARTS = ("ExceptionType", "Message", "StackTrace", "ExceptionString")
ADDRESSING = ("Action", "To", "MessageID", "RelatesTo")
# InnerException levels kept: .NET chains are a few deep, and JSON encoders stop near 255 levels
# (the outer ExceptionString holds the whole chain as text anyway).
MAX_INNER = 32
_ESCAPES = re.compile(r"&(lt|gt|amp);")
_ESCAPED = {"lt": "<", "gt": ">", "amp": "&"}
_BODY_START = re.compile(rb"<MessageLogTraceRecord\b[^>]*>")
_BODY_END = b"</MessageLogTraceRecord>"
_LEADING_PARTS = re.compile(
    rb"\s*(?:<(Addressing|HttpRequest|HttpResponse)\s*/>|<(Addressing|HttpRequest|HttpResponse)>"
    rb".*?</\2>)", re.S)


def local(tag: Any) -> str | None:
    """An element's name without its namespace; None for comments and processing instructions."""
    name = _LOCAL.get(tag)
    if name is None:
        if not isinstance(tag, str):
            return None
        name = tag.rpartition("}")[2]
        if len(_LOCAL) < 4096:  # few distinct tags; message bodies could hold any number
            _LOCAL[tag] = name
    return name


_LOCAL: dict[Any, str] = {}


def unescape_once(text: str | None) -> str | None:
    """Undo WCF's own XmlEncode (`<`, `>`, `&` only), the level it adds before the writer's."""
    if not text or "&" not in text:
        return text
    return _ESCAPES.sub(lambda m: _ESCAPED[m.group(1)], text)


def symbol_of_identifier(identifier: str | None) -> str | None:
    """`…/System.ServiceModel.Diagnostics.ActivityBoundary.aspx` → `ActivityBoundary`."""
    if not identifier:
        return None
    text = identifier.strip().removesuffix(".aspx")
    cut = max(text.rfind("/"), text.rfind("."))
    return text[cut + 1:] or None


def leaves(container: Any, data: dict[str, Any], unescape: re.Pattern[str] | None = None) -> None:
    """Every element of `container` without element children, by local name; an empty one is ''.

    `unescape` names the leaves whose text WCF escaped twice."""
    lists: set[str] = set()
    for element in container.iterdescendants():
        name = local(element.tag)
        if name is None or any(isinstance(c.tag, str) for c in element):
            continue
        value = element.text or ""
        if unescape is not None and unescape.fullmatch(name):
            value = unescape_once(value) or ""
        if name not in data:
            data[name] = value
        elif name in lists:
            data[name].append(value)
        else:
            data[name] = [data[name], value]
            lists.add(name)


def exception(block: Any, depth: int = 0) -> dict[str, Any]:
    """A TraceRecord's Exception block: the four texts, and NativeErrorCode and InnerException
    (the same shape, MAX_INNER levels at most) where present; texts as the exception had
    them."""
    found: dict[str, Any] = {}
    inner = None
    for child in block:
        name = local(child.tag)
        if name in EXCEPTION_PARTS or name == "NativeErrorCode":
            found.setdefault(name, unescape_once(child.text or ""))
        elif name == "InnerException" and inner is None and depth < MAX_INNER:
            inner = exception(child, depth + 1)
    result: dict[str, Any] = {name: found.get(name) for name in EXCEPTION_PARTS}
    if "NativeErrorCode" in found:
        result["NativeErrorCode"] = found["NativeErrorCode"]
    if inner is not None:
        result["InnerException"] = inner
    return result


_EVENT_LOG_VALUES = re.compile(r"Value\d+")


def trace_record(record: Any, event: Event, code_is_event_log: bool) -> None:
    """Message, data, channel and extra from a TraceRecord."""
    channel = record.get("Channel")
    if channel:
        event.channel = f"{PROVIDER_NAME}/{channel}"
    data = event.data
    block = None
    for child in record:
        name = local(child.tag)
        if name == "TraceIdentifier":
            event.extra["TraceIdentifier"] = empty_to_none(child.text)
        elif name == "Description":
            event.message = child.text or ""
        elif name == "AppDomain":
            event.extra["AppDomain"] = child.text or ""
        elif name == "ExtendedData":
            leaves(child, data, _EVENT_LOG_VALUES if code_is_event_log else None)
        elif name == "Exception" and block is None:
            block = child
    if block is not None:
        data["Exception"] = exception(block)


def message_log(record: Any, fragment: bytes, event: Event) -> None:
    """Source, Type and the addressing facts as data; the body as written as extra.Envelope."""
    data = event.data
    for key in ("Source", "Type"):
        value = record.get(key)
        if value is not None:
            data[key] = value
    found: dict[str, str] = {}
    for child in record:
        name = local(child.tag)
        if name == "Addressing":
            for part in child:
                part_name = local(part.tag)
                if part_name in ADDRESSING and part_name not in found:
                    found[part_name] = (part.text or "").strip()
        elif name == "Envelope":
            for section in child:
                if local(section.tag) != "Header":
                    continue
                for header in section:
                    header_name = local(header.tag)
                    namespace = header.tag.partition("}")[0] if isinstance(header.tag, str) else ""
                    if (header_name in ADDRESSING and "addressing" in namespace
                            and header_name not in found):
                        found[header_name] = "".join(header.itertext()).strip()
    for key in ADDRESSING:
        if key in found:
            data[key] = found[key]
    body = message_body(fragment)
    if body is not None:
        event.extra["Envelope"] = body


def message_body(fragment: bytes) -> str | None:
    """The logged message exactly as the file has it (SOAP envelope or any other body)."""
    opened = _BODY_START.search(fragment)
    if opened is None:
        return None
    end = fragment.rfind(_BODY_END)
    if end < opened.end():
        end = len(fragment)  # a record cut inside its body: what there is
    pos = opened.end()
    while True:
        skipped = _LEADING_PARTS.match(fragment, pos, end)
        if skipped is None:
            break
        pos = skipped.end()
    body = fragment[pos:end].strip()
    return body.decode("utf-8", "replace") if body else None


def header(system: Any, event: Event) -> str | None:
    """The System element's keys; returns the SubType name."""
    subtype = None
    raw_level = None
    for child in system:
        name = local(child.tag)
        if name == "EventID":
            event.event_id = parse_int(child.text)
        elif name == "SubType":
            subtype = child.get("Name")
        elif name == "Level":
            raw_level = parse_int(child.text)
        elif name == "TimeCreated":
            event.timestamp = canonical_time(child.get("SystemTime"))
        elif name == "Source":
            event.provider = empty_to_none(child.get("Name"))
        elif name == "Correlation":
            event.activity_id = canonical_activity(child.get("ActivityID"))
            event.related_activity_id = canonical_activity(child.get("RelatedActivityID"))
        elif name == "Execution":
            event.extra["ProcessName"] = child.get("ProcessName")
            event.process_id = parse_int(child.get("ProcessID"))
            event.thread_id = parse_int(child.get("ThreadID"))
        elif name == "Computer":
            event.computer = empty_to_none(child.text)
    event.level_value = level_of(subtype, raw_level)
    if subtype in ACTIVITY_TYPES:
        event.opcode = subtype
    return subtype


def level_of(subtype: str | None, raw_level: int | None) -> int | None:
    if subtype in SUBTYPE_LEVELS:
        return SUBTYPE_LEVELS[subtype]
    if subtype in ACTIVITY_TYPES:
        return 4
    return DIAGNOSTICS_LEVELS.get(raw_level) if raw_level is not None else None


def to_event(root: Any, fragment: bytes, source: str) -> Event | None:
    """The Event of one parsed fragment (`fragment`: its bytes, for the message body); None when
    it has no System header to say what it is."""
    event = Event(source=source)
    subtype = None
    application = None
    system = False
    for child in root:
        name = local(child.tag)
        if name == "System" and not system:
            subtype = header(child, event)
            system = True
        elif name == "ApplicationData" and application is None:
            application = child
    if not system:
        return None
    extra = event.extra
    extra.setdefault("ProcessName", None)
    process_name = extra.pop("ProcessName")
    if application is not None:
        application_data(application, fragment, event)
    identifier = extra.get("TraceIdentifier")
    event.symbol = symbol_of_identifier(identifier)
    # Documented order: TraceIdentifier, AppDomain, ProcessName, SubType, Envelope.
    ordered: dict[str, Any] = {}
    for key in ("TraceIdentifier", "AppDomain"):
        if key in extra:
            ordered[key] = extra[key]
    ordered["ProcessName"] = process_name
    ordered["SubType"] = subtype
    if "Envelope" in extra:
        ordered["Envelope"] = extra["Envelope"]
    event.extra = ordered
    return event


def application_data(application: Any, fragment: bytes, event: Event) -> None:
    """TraceRecord, MessageLogTraceRecord, or plain text as the message (TraceSource.TraceData
    writes one DataItem per object: their texts one a line)."""
    items = list(application.iter("{*}DataItem"))
    for item in items:
        for record in item:
            name = local(record.tag)
            if name == "TraceRecord":
                event_log = (event.event_id == EVENT_LOG_CODE
                             and is_wcf_trace_source(event.provider))
                trace_record(record, event, event_log)
                return
            if name == "MessageLogTraceRecord":
                message_log(record, fragment, event)
                return
    parts = items or [application]
    text = "\n".join(t for t in ("".join(p.itertext()).strip() for p in parts) if t)
    event.message = text or None
