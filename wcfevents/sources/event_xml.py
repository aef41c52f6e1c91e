"""An `<Event>` element of the Windows event schema mapped to an Event.

Exported XML (tracerpt, wevtutil, ToXml) holds these elements, and the python-evtx engine renders
each record as one, so both go through the same mapping. Values stay text except where the schema
fixes a type (IDs, masks, GUIDs, times); payload values take their manifest types in enrichment.
Everything the System block carries beyond the Event fields goes to `extra`.

Payload values are kept as recorded: an empty element is "", whitespace stays; only an absent
value (a NULL substitution, which the python-evtx engine renders as ABSENT) is None. A UserData
payload is its wrapper element's children, like EventData, with the wrapper's name in
`extra.UserDataElement`.
"""

from __future__ import annotations

from typing import Any

from wcfevents.model import Event, canonical_activity, canonical_guid, canonical_time, parse_int

_LOCAL_NAMES: dict[str, str] = {}
# What the python-evtx engine writes for a NULL substitution, so that absent and "" stay apart
# (a Unicode noncharacter: no writer of event XML puts it in a value).
ABSENT = "\ufdd0"
USER_DATA_ELEMENT = "UserDataElement"  # extra key: the UserData wrapper element's name
# The python-evtx engine's marks for what XML text cannot say (noncharacters, as ABSENT):
# a typed value (TYPED + i/f/b/a + text), an array's separator, a control character.
TYPED = "\ufdd1"
ARRAY_SEPARATOR = "\ufdd2"
CONTROL = "\ufdd3"


def _local(tag: str) -> str:
    """An element's name without its namespace (cached: a trace uses a few dozen names)."""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = tag.rpartition("}")[2]
        if len(_LOCAL_NAMES) < 4096:
            _LOCAL_NAMES[tag] = name
    return name


def _text(value: str | None) -> str | None:
    """A System field's text with absent or blank as None (empty_to_none, inlined for speed)."""
    return value if value and value != ABSENT and not value.isspace() else None


def _value(value: str | None) -> Any:
    """A payload value as recorded: an element without text is "", only ABSENT is None."""
    if value is None:
        return ""
    if value == ABSENT:
        return None
    if value[:1] == TYPED or CONTROL in value:
        return _marked(value)
    return value


def _unescape(text: str) -> str:
    if CONTROL not in text:
        return text
    parts = text.split(CONTROL)
    return parts[0] + "".join(chr(ord(p[0]) - 0xE000) + p[1:] for p in parts[1:] if p)


def _marked(value: str) -> Any:
    """A value the python-evtx engine marked with its type (see evtx_python._typed)."""
    if value[:1] != TYPED:
        return _unescape(value)
    kind, body = value[1:2], value[2:]
    try:
        if kind == "i":
            return int(body)
        if kind == "f":
            return float(body)
        if kind == "b":
            return body == "True"
    except ValueError:
        return body
    if kind == "a":
        return [_unescape(item) for item in body.split(ARRAY_SEPARATOR)]
    return body


def _int(value: str | None) -> int | None:
    """parse_int with a fast path for the plain decimal text most values are."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return parse_int(value)


def _number_or_text(value: str) -> int | str:
    number = _int(value)
    return value if number is None else number


ATTRIBUTES = "#attributes"  # a payload element's own attributes (the Rust parser's JSON form)
TEXT = "#text"  # beside ATTRIBUTES: the element's text


def _nested(elem: Any, leaf: Any = _value) -> Any:
    """An element as text (leaf) or a dict of its children by local name (lists when repeated);
    a payload element with attributes of its own keeps them under ATTRIBUTES."""
    children = [child for child in elem if isinstance(child.tag, str)]
    if leaf is _value and len(elem.attrib):
        node: dict[str, Any] = {ATTRIBUTES: {_local(k): _value(v) for k, v in elem.items()}}
        if children:
            node.update(_children(children, leaf))
        elif elem.text is not None:
            node[TEXT] = _value(elem.text)
        return node
    if not children:
        return leaf(elem.text)
    return _children(children, leaf)


def _children(children: list[Any], leaf: Any = _value) -> dict[str, Any]:
    """Child elements by local name, in order (a list when a name repeats)."""
    result: dict[str, Any] = {}
    for child in children:
        key, value = _local(child.tag), _nested(child, leaf)
        if key not in result:
            result[key] = value
        elif isinstance(result[key], list):
            result[key].append(value)
        else:
            result[key] = [result[key], value]
    return result


def _event_data(elem: Any) -> dict[str, Any]:
    """Data values by Name in order; unnamed ones (classic events) as "1", "2", …"""
    data: dict[str, Any] = {}
    unnamed = 0
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = _LOCAL_NAMES.get(tag) or _local(tag)  # no call for the names seen before
        if name == "Data":
            key = child.get("Name")
            if not key:
                # Unnamed values (classic events): the Rust parser prints a NULL one as "", so
                # both engines do.
                value = _value(child.text)
                for item in value if isinstance(value, list) else [value]:
                    unnamed += 1
                    data[str(unnamed)] = "" if item is None else item
                continue
            data[key] = _value(child.text)
        elif name == "Binary":
            binary = _text(child.text)
            if binary is not None:
                data[name] = binary.strip()
        else:
            data[name] = _nested(child)
    return data


def _rendering(elem: Any) -> dict[str, Any]:
    rendering: dict[str, Any] = {}
    for child in elem:
        if not isinstance(child.tag, str):
            continue
        name = _LOCAL_NAMES.get(child.tag) or _local(child.tag)
        if name == "Keywords":
            keywords = [k.text for k in child if isinstance(k.tag, str) and _text(k.text)]
            if keywords:
                rendering[name] = keywords
        else:
            text = _text(child.text)
            if text is not None:
                rendering[name] = text
    culture = _text(elem.get("Culture"))
    if culture is not None:
        rendering["Culture"] = culture
    return rendering


def _system(elem: Any, event: Event, extra: dict[str, Any]) -> None:
    for child in elem:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        name = _LOCAL_NAMES.get(tag) or _local(tag)  # no call for the names seen before
        if name == "Provider":
            event.provider = _text(child.get("Name"))
            event.provider_guid = canonical_guid(child.get("Guid"))
            source_name = _text(child.get("EventSourceName"))
            if source_name is not None:
                extra["EventSourceName"] = source_name
        elif name == "EventID":
            event.event_id = _int(child.text)
            qualifiers = _int(child.get("Qualifiers"))
            if qualifiers is not None:
                extra["qualifiers"] = qualifiers
        elif name == "Version":
            event.version = _int(child.text)
        elif name == "Level":
            event.level_value = _int(child.text)
        elif name == "Task":
            event.task_id = _int(child.text)
        elif name == "Opcode":
            event.opcode_id = _int(child.text)
        elif name == "Keywords":
            event.keywords_mask = parse_int(child.text)
        elif name == "TimeCreated":
            event.timestamp = canonical_time(child.get("SystemTime"))
            raw_time = _int(child.get("RawTime"))
            if raw_time is not None:
                extra["RawTime"] = raw_time
        elif name == "EventRecordID":
            event.record_id = _int(child.text)
        elif name == "Correlation":
            event.activity_id = canonical_activity(child.get("ActivityID"))
            event.related_activity_id = canonical_activity(child.get("RelatedActivityID"))
        elif name == "Execution":
            for key, value in child.items():
                if key == "ProcessID":
                    event.process_id = _int(value)
                elif key == "ThreadID":
                    event.thread_id = _int(value)
                else:
                    extra[key] = _number_or_text(value)
        elif name == "Channel":
            event.channel = _text(child.text)
        elif name == "Computer":
            event.computer = _text(child.text)
        elif name == "Security":
            user = _text(child.get("UserID"))
            if user is not None:
                extra["UserID"] = user
        else:
            value = _nested(child, _text)
            if value is None and len(child.attrib):
                value = dict(child.attrib)
            if value is not None:
                extra[name] = value


def event_from_element(elem: Any, source: str) -> Event:
    """One `<Event>` element as a raw Event: values as the tool wrote them, absent as None."""
    event = Event(source=source)
    extra: dict[str, Any] = {}
    system = False
    for part in elem:
        tag = part.tag
        if not isinstance(tag, str):
            continue
        name = _LOCAL_NAMES.get(tag) or _local(tag)  # no call for the names seen before
        if name == "System":
            _system(part, event, extra)
            system = True
        elif name == "EventData":
            event.data = _event_data(part)
        elif name == "UserData":
            wrappers = [child for child in part if isinstance(child.tag, str)]
            if len(wrappers) == 1:
                extra[USER_DATA_ELEMENT] = _local(wrappers[0].tag)
                event.data = _children([c for c in wrappers[0] if isinstance(c.tag, str)])
            else:
                event.data = _children(wrappers)
        elif name == "BinaryEventData":
            event.data = {"BinaryEventData": _text(part.text)}
        elif name == "RenderingInfo":
            extra["rendering"] = _rendering(part)
        elif name == "ProcessingErrorData":
            extra["processing_error"] = _nested(part, _text)
        elif name == "ExtendedTracingInfo":
            extra["extended_tracing"] = _nested(part, _text)
        else:
            extra[name] = _nested(part, _text)
    if not system:
        raise ValueError("no <System> element")
    event.extra = extra
    return event
