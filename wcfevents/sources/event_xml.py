"""An `<Event>` element of the Windows event schema mapped to an Event.

The python-evtx engine renders each record as this XML; exported XML (tracerpt, wevtutil, ToXml)
holds the same elements. Values stay text here except where the schema fixes a type (IDs, masks,
GUIDs, times); payload values take their manifest types in enrichment.
"""

from __future__ import annotations

from typing import Any

from wcfevents.model import (
    Event,
    canonical_activity,
    canonical_guid,
    canonical_time,
    empty_to_none,
    parse_int,
)

NS = "{http://schemas.microsoft.com/win/2004/08/events/event}"
_EXECUTION_EXTRA = ("ProcessorID", "SessionID", "KernelTime", "UserTime")


def local(tag: Any) -> str:
    """Element name without its namespace."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


def _child(parent: Any, name: str) -> Any:
    if parent is None:
        return None
    for element in parent:
        if local(element.tag) == name:
            return element
    return None


def _text(parent: Any, name: str) -> str | None:
    element = _child(parent, name)
    return None if element is None else empty_to_none(element.text)


def element_value(element: Any) -> Any:
    """An element as a value: its text, or a dict of its children when it has any."""
    children = [c for c in element if isinstance(c.tag, str)]
    if not children:
        return empty_to_none(element.text)
    value: dict[str, Any] = {}
    for child in children:
        value[local(child.tag)] = element_value(child)
    return value


def payload(root: Any) -> dict[str, Any]:
    """EventData as name → text in order (unnamed values "1", "2", …); UserData as nested dicts."""
    event_data = _child(root, "EventData")
    if event_data is not None:
        data: dict[str, Any] = {}
        unnamed = 0
        for element in event_data:
            tag = local(element.tag)
            if tag == "Data":
                name = element.get("Name")
                if not name:
                    unnamed += 1
                    name = str(unnamed)
                data[name] = empty_to_none(element.text)
            elif tag == "Binary":
                if empty_to_none(element.text) is not None:
                    data["Binary"] = element.text.strip()
            elif tag:
                data[tag] = element_value(element)
        return data
    user_data = _child(root, "UserData")
    if user_data is not None:
        return {local(c.tag): element_value(c) for c in user_data if isinstance(c.tag, str)}
    binary = _child(root, "BinaryEventData")
    if binary is not None:
        return {"BinaryEventData": empty_to_none(binary.text)}
    return {}


def event_from_element(root: Any, source: str) -> Event:
    """The Event an `<Event>` element describes; extra keeps what the System block adds."""
    system = _child(root, "System")
    provider = _child(system, "Provider")
    correlation = _child(system, "Correlation")
    execution = _child(system, "Execution")
    event_id = _child(system, "EventID")
    created = _child(system, "TimeCreated")
    security = _child(system, "Security")
    extra: dict[str, Any] = {}
    if event_id is not None and empty_to_none(event_id.get("Qualifiers")) is not None:
        extra["qualifiers"] = parse_int(event_id.get("Qualifiers"))
    if execution is not None:
        for key in _EXECUTION_EXTRA:
            if empty_to_none(execution.get(key)) is not None:
                extra[key] = parse_int(execution.get(key))
    if security is not None and empty_to_none(security.get("UserID")) is not None:
        extra["UserID"] = security.get("UserID")
    return Event(
        record_id=parse_int(_text(system, "EventRecordID")),
        timestamp=canonical_time(created.get("SystemTime")) if created is not None else None,
        provider=empty_to_none(provider.get("Name")) if provider is not None else None,
        provider_guid=canonical_guid(provider.get("Guid")) if provider is not None else None,
        event_id=parse_int(event_id.text) if event_id is not None else None,
        version=parse_int(_text(system, "Version")),
        level_value=parse_int(_text(system, "Level")),
        task_id=parse_int(_text(system, "Task")),
        opcode_id=parse_int(_text(system, "Opcode")),
        keywords_mask=parse_int(_text(system, "Keywords")),
        channel=_text(system, "Channel"),
        computer=_text(system, "Computer"),
        process_id=parse_int(execution.get("ProcessID")) if execution is not None else None,
        thread_id=parse_int(execution.get("ThreadID")) if execution is not None else None,
        activity_id=canonical_activity(correlation.get("ActivityID"))
        if correlation is not None else None,
        related_activity_id=canonical_activity(correlation.get("RelatedActivityID"))
        if correlation is not None else None,
        data=payload(root),
        extra=extra,
        source=source,
    )
