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

from wcfevents.model import (
    Event,
    canonical_activity,
    canonical_guid,
    canonical_time,
    parse_int,
    parse_mask,
)

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


def _put_int(extra: dict[str, Any], key: str, value: str | None) -> None:
    """extra[key] = the attribute's number, when it has one that is a number."""
    if value is not None:
        number = _int(value)
        if number is not None:
            extra[key] = number


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
    names = _LOCAL_NAMES
    for child in elem:
        tag = child.tag
        name = names.get(tag)  # no call for the names seen before
        if name is None:
            if not isinstance(tag, str):
                continue
            name = _local(tag)
        if name == "Data":
            key = child.get("Name")
            value = child.text
            if value is None:
                value = ""
            elif value[:1] == TYPED or value == ABSENT or CONTROL in value:
                value = _value(value)
            if not key:
                # Unnamed values (classic events): the Rust parser prints a NULL one as "", so
                # both engines do.
                for item in value if isinstance(value, list) else [value]:
                    unnamed += 1
                    data[str(unnamed)] = "" if item is None else item
                continue
            data[key] = value
        elif name == "Binary":
            binary = _text(child.text)
            if binary is not None:
                data[name] = binary.strip()
        else:
            data[name] = _nested(child)
    return data


def _rendering(elem: Any) -> dict[str, Any]:
    rendering: dict[str, Any] = {}
    names = _LOCAL_NAMES
    for child in elem:
        tag = child.tag
        name = names.get(tag)
        if name is None:
            if not isinstance(tag, str):
                continue
            name = _local(tag)
        if name == "Keywords":
            keywords = []
            for keyword in child:
                if isinstance(keyword.tag, str):
                    text = keyword.text
                    if text and text != ABSENT and not text.isspace():
                        keywords.append(text)
            if keywords:
                rendering[name] = keywords
        else:
            text = child.text
            if text and text != ABSENT and not text.isspace():
                rendering[name] = text
    culture = _text(elem.get("Culture"))
    if culture is not None:
        rendering["Culture"] = culture
    return rendering


# What a System child is, by local name; the if-chain below tests them in the order the tools
# write them.
(_PROVIDER, _EVENT_ID, _VERSION, _LEVEL, _TASK, _OPCODE, _KEYWORDS, _TIME_CREATED,
 _EVENT_RECORD_ID, _CORRELATION, _EXECUTION, _CHANNEL, _COMPUTER, _SECURITY, _OTHER,
 _SKIP) = range(16)
_SYSTEM_NAMES = {
    "Provider": _PROVIDER, "EventID": _EVENT_ID, "Version": _VERSION, "Level": _LEVEL,
    "Task": _TASK, "Opcode": _OPCODE, "Keywords": _KEYWORDS, "TimeCreated": _TIME_CREATED,
    "EventRecordID": _EVENT_RECORD_ID, "Correlation": _CORRELATION, "Execution": _EXECUTION,
    "Channel": _CHANNEL, "Computer": _COMPUTER, "Security": _SECURITY,
}
_SYSTEM_KINDS: dict[Any, int] = {}  # tag (qualified, as lxml gives it) -> kind
# What an Event child is, by local name.
(_PART_SYSTEM, _PART_EVENT_DATA, _PART_USER_DATA, _PART_BINARY, _PART_RENDERING,
 _PART_PROCESSING_ERROR, _PART_EXTENDED, _PART_OTHER, _PART_SKIP) = range(9)
_PART_NAMES = {
    "System": _PART_SYSTEM, "EventData": _PART_EVENT_DATA, "UserData": _PART_USER_DATA,
    "BinaryEventData": _PART_BINARY, "RenderingInfo": _PART_RENDERING,
    "ProcessingErrorData": _PART_PROCESSING_ERROR, "ExtendedTracingInfo": _PART_EXTENDED,
}
_PART_KINDS: dict[Any, int] = {}


def _kind(tag: Any, names: dict[str, int], kinds: dict[Any, int], other: int, skip: int) -> int:
    """The kind of a child element by its local name, cached by tag (comments and PIs: skip)."""
    kind = names.get(_local(tag), other) if isinstance(tag, str) else skip
    if len(kinds) < 4096:
        kinds[tag] = kind
    return kind


def _system(elem: Any, event: Event, extra: dict[str, Any]) -> None:
    """The System block's values into the event's fields, the rest into `extra`."""
    kinds = _SYSTEM_KINDS
    for child in elem:
        tag = child.tag
        kind = kinds.get(tag)
        if kind is None:
            kind = _kind(tag, _SYSTEM_NAMES, kinds, _OTHER, _SKIP)
        if kind <= _OPCODE:
            if kind == _PROVIDER:
                event.provider, event.provider_guid, source_name = _provider(
                    child.get("Name"), child.get("Guid"), child.get("EventSourceName"))
                if source_name is not None:
                    extra["EventSourceName"] = source_name
                continue
            text = child.text
            try:
                number = int(text)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                number = _int(text)
            if kind == _EVENT_ID:
                event.event_id = number
                _put_int(extra, "qualifiers", child.get("Qualifiers"))
            elif kind == _VERSION:
                event.version = number
            elif kind == _LEVEL:
                event.level_value = number
            elif kind == _TASK:
                event.task_id = number
            else:
                event.opcode_id = number
        elif kind == _KEYWORDS:
            event.keywords_mask = parse_mask(child.text)
        elif kind == _TIME_CREATED:
            event.timestamp = _time(child.get("SystemTime"))
            _put_int(extra, "RawTime", child.get("RawTime"))
        elif kind == _CORRELATION:
            event.activity_id = canonical_activity(child.get("ActivityID"))
            event.related_activity_id = canonical_activity(child.get("RelatedActivityID"))
        elif kind == _EXECUTION:
            items = tuple(child.items())
            execution = _EXECUTIONS.get(items)
            if execution is None:
                execution = _execution(items)
            process_id, thread_id, others = execution
            if process_id is not _UNSET:
                event.process_id = process_id  # type: ignore[assignment]
            if thread_id is not _UNSET:
                event.thread_id = thread_id  # type: ignore[assignment]
            for key, value in others:
                extra[key] = value
        elif kind == _CHANNEL:
            event.channel = _text(child.text)
        elif kind == _COMPUTER:
            event.computer = _text(child.text)
        elif kind == _EVENT_RECORD_ID:
            event.record_id = _int(child.text)
        elif kind == _SECURITY:
            user = _text(child.get("UserID"))
            if user is not None:
                extra["UserID"] = user
        elif kind == _OTHER:
            value = _nested(child, _text)
            if value is None and len(child.attrib):
                value = dict(child.attrib)
            if value is not None:
                extra[_local(tag)] = value


_ZONED_SECONDS: dict[str, str] = {}  # "YYYY-MM-DDTHH:MM:SS.0±HH:MM" -> its canonical_time


def _time(value: str | None) -> str | None:
    """canonical_time, with a shortcut for the form tracerpt and wevtutil write
    (`2024-05-14T00:00:00.000595700-08:00`): a trace's times share few distinct seconds, so the
    seconds and offset are converted once and the fraction is appended."""
    if (value is not None and len(value) > 26 and value[19] == "." and value[-3] == ":"
            and value[-6] in "+-" and value[20:-6].isdecimal()):
        key = value[:19] + ".0" + value[-6:]
        whole = _ZONED_SECONDS.get(key)
        if whole is None:
            whole = canonical_time(key)
            if len(_ZONED_SECONDS) >= 4096:
                _ZONED_SECONDS.clear()
            _ZONED_SECONDS[key] = whole  # type: ignore[assignment]
        if whole is not None and len(whole) == 28 and whole.endswith(".0000000Z"):
            return whole[:20] + (value[20:-6] + "0000000")[:7] + "Z"
    return canonical_time(value)


_UNSET = object()  # an Execution without ProcessID or ThreadID leaves the field as it was
_EXECUTIONS: dict[tuple[tuple[str, str], ...], tuple[Any, Any, tuple[tuple[str, Any], ...]]] = {}


def _execution(items: tuple[tuple[str, str], ...]) -> tuple[Any, Any, tuple[tuple[str, Any], ...]]:
    """An Execution element's attributes as (process ID, thread ID, the others for `extra`),
    cached: a trace has few distinct processes, threads and processors."""
    process_id: Any = _UNSET
    thread_id: Any = _UNSET
    others: list[tuple[str, Any]] = []
    for key, value in items:
        if key == "ProcessID":
            process_id = _int(value)
        elif key == "ThreadID":
            thread_id = _int(value)
        else:
            others.append((key, _number_or_text(value)))
    result = (process_id, thread_id, tuple(others))
    if len(_EXECUTIONS) >= 4096:
        _EXECUTIONS.clear()
    _EXECUTIONS[items] = result
    return result


_PROVIDERS: dict[tuple[str | None, str | None, str | None], tuple[Any, Any, Any]] = {}


def _provider(name: str | None, guid: str | None,
              source_name: str | None) -> tuple[str | None, str | None, str | None]:
    """A Provider element's name, canonical GUID and EventSourceName, cached per distinct one."""
    key = (name, guid, source_name)
    result = _PROVIDERS.get(key)
    if result is None:
        result = (_text(name), canonical_guid(guid), _text(source_name))
        if len(_PROVIDERS) >= 1024:
            _PROVIDERS.clear()
        _PROVIDERS[key] = result
    return result


def event_from_element(elem: Any, source: str) -> Event:
    """One `<Event>` element as a raw Event: values as the tool wrote them, absent as None."""
    event = Event(source=source)
    extra: dict[str, Any] = {}
    system = False
    kinds = _PART_KINDS
    for part in elem:
        tag = part.tag
        kind = kinds.get(tag)
        if kind is None:
            kind = _kind(tag, _PART_NAMES, kinds, _PART_OTHER, _PART_SKIP)
        if kind == _PART_SYSTEM:
            _system(part, event, extra)
            system = True
        elif kind == _PART_EVENT_DATA:
            event.data = _event_data(part)
        elif kind == _PART_RENDERING:
            extra["rendering"] = _rendering(part)
        elif kind == _PART_USER_DATA:
            wrappers = [child for child in part if isinstance(child.tag, str)]
            if len(wrappers) == 1:
                extra[USER_DATA_ELEMENT] = _local(wrappers[0].tag)
                event.data = _children([c for c in wrappers[0] if isinstance(c.tag, str)])
            else:
                event.data = _children(wrappers)
        elif kind == _PART_BINARY:
            event.data = {"BinaryEventData": _text(part.text)}
        elif kind == _PART_PROCESSING_ERROR:
            extra["processing_error"] = _nested(part, _text)
        elif kind == _PART_EXTENDED:
            extra["extended_tracing"] = _nested(part, _text)
        elif kind == _PART_OTHER:
            extra[_local(tag)] = _nested(part, _text)
    if not system:
        raise ValueError("no <System> element")
    event.extra = extra
    return event
