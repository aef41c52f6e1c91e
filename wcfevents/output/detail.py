"""One event as a block of text, for `show`: every field, the full payload, nothing cut.

Exception texts keep their lines, XML and SOAP bodies are pretty-printed (lxml, never resolving
entities, never touching the network), HRESULTs and Win32 codes are explained from the codes
table, and times are shown in UTC with a chosen zone's local time beside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any

from wcfevents.catalog.codes import Code, explain, in_text
from wcfevents.model import Event, format_mask
from wcfevents.output.table import LEVEL_STYLES, visible

# Payload fields whose numbers are status codes (a plain 5 elsewhere is just a 5).
CODE_FIELD = re.compile(r"hresult|status|error_?code|win32|^hr$|^code$", re.IGNORECASE)
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
LABEL_WIDTH = 13
EXCEPTION_TAGS = ("Exception", "InnerException")
INDENT = " " * 4


LOCAL = timezone(timedelta(0), "local")  # a marker: the system's zone rules, not a fixed offset


class ZoneError(ValueError):
    """A --tz value that is neither `local`, `utc` nor an offset like +02:00."""


def parse_zone(text: str | None) -> tzinfo | None:
    """`local` (this machine's zone), `utc`, or a fixed offset `+02:00` / `-0530` / `+2`."""
    if text is None:
        return None
    value = text.strip()
    if value.lower() == "local":
        return LOCAL
    if value.lower() in ("utc", "z", "gmt"):
        return timezone.utc
    match = _OFFSET.match(value)
    if not match:
        raise ZoneError(f"not a time zone: {text!r} (use local, utc or an offset like +02:00)")
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta >= timedelta(hours=24):
        raise ZoneError(f"not a time zone: {text!r} (an offset is less than 24 hours)")
    return timezone(-delta if sign == "-" else delta)


def local_time(stamp: str, zone: tzinfo) -> str:
    """A canonical UTC time in another zone, keeping all seven fractional digits."""
    try:
        moment = datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        # This machine's zone with the offset (DST or not) that applied at that moment.
        local = moment.astimezone() if zone is LOCAL else moment.astimezone(zone)
    except (ValueError, OverflowError):
        return "?"
    fraction = stamp[19:27] if stamp[19:20] == "." else ""
    offset = local.strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}" if offset else ""
    return f"{local:%Y-%m-%d %H:%M:%S}{fraction} {offset}".rstrip()


def parse_xml(text: str) -> Any:
    """The root element of an XML value, or None when it is not well-formed XML. Entities are
    never resolved, DTDs never loaded, the network never touched."""
    stripped = text.strip()
    if not stripped.startswith("<") or not stripped.endswith(">"):
        return None
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             remove_blank_text=True, huge_tree=False)
    try:
        return etree.fromstring(stripped.encode("utf-8"), parser)
    except (etree.XMLSyntaxError, ValueError):
        return None


def pretty_xml(text: str) -> str | None:
    """An XML value indented for reading (a SOAP envelope, a message body); None if not XML."""
    from lxml import etree

    root = parse_xml(text)
    if root is None:
        return None
    return etree.tostring(root, pretty_print=True, encoding="unicode").rstrip("\n")


def _child_text(element: Any, name: str) -> str:
    for child in element:
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == name:
            return "".join(child.itertext()).strip("\r\n")
    return ""


def exception_lines(root: Any) -> list[str] | None:
    """WCF's serialized exception (<Exception><ExceptionType>…<Message>…<StackTrace>…) as a
    developer reads an exception: `Type: message`, the stack, then the inner exception."""
    if not isinstance(root.tag, str) or root.tag.rsplit("}", 1)[-1] not in EXCEPTION_TAGS:
        return None
    full = _child_text(root, "ExceptionString")
    type_name = _child_text(root, "ExceptionType").split(",", 1)[0].strip()
    message = _child_text(root, "Message")
    stack = _child_text(root, "StackTrace")
    if "\n" in full:  # a whole ToString(): it already holds the stack and inner exceptions
        lines = _split(full)
    else:
        head = f"{type_name}: {message}" if type_name else (full or message)
        lines = [head, *(_split(stack) if stack else [])]
    for child in root:
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "InnerException":
            inner = exception_lines(child)
            if inner:
                lines.append("--- inner exception ---")
                lines.extend(inner)
    return lines


def _split(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def field_codes(name: str, value: Any) -> list[Code]:
    """The codes a payload value holds: itself when the field is a status, or HRESULTs in text."""
    found: list[Code] = []
    if CODE_FIELD.search(name) or (isinstance(value, str) and value.strip()[:3].lower() == "0x8"):
        code = explain(value)
        if code is not None:
            found.append(code)
    if isinstance(value, str):
        found.extend(c for c in in_text(value) if all(c.code != f.code for f in found))
    return found


def _lines(value: Any) -> tuple[list[str], str | None]:
    """A value as lines to print and a note on how it was shown (XML)."""
    if isinstance(value, str):
        root = parse_xml(value)
        if root is not None:
            exception = exception_lines(root)
            if exception is not None:
                return exception, "exception"
            from lxml import etree

            xml = etree.tostring(root, pretty_print=True, encoding="unicode").rstrip("\n")
            return xml.splitlines(), "XML"
        return _split(value), None
    if isinstance(value, (dict, list)):
        import orjson

        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode().splitlines(), None
    return ["" if value is None else str(value)], None


def block(event: Event, zone: tzinfo | None = None, width: int = 100) -> Any:
    """One event as rich Text: a heading, the header fields, the message, payload and extra."""
    from rich.text import Text

    out = Text()
    stamp = event.timestamp or ""
    when = stamp.replace("T", " ").rstrip("Z") + " UTC" if stamp else "no time"
    heading = f"── record {event.record_id if event.record_id is not None else '?'} · {when}"
    if zone is not None and stamp:
        heading += f" · {local_time(stamp, zone)}"
    out.append(heading + " " + "─" * max(3, width - len(heading) - 1), style="bold")
    out.append("\n")

    def row(label: str, value: Any, style: str = "") -> None:
        if value in (None, "", []):
            return
        out.append(f"{label:<{LABEL_WIDTH}}", style="bold")
        out.append(visible(str(value)), style=style)
        out.append("\n")

    integrity = event.extra.get("integrity") if event.extra else None
    if integrity:
        row("DAMAGED", f"{integrity}: this record comes from a damaged part of the file",
            "bold white on red")
    row("Event", f"{event.event_id} {event.symbol or ''}".rstrip())
    row("Level", event.level or event.level_value, LEVEL_STYLES.get(event.level or "", ""))
    provider = event.provider or ""
    if event.provider_guid:
        provider = f"{provider} {{{event.provider_guid}}}".strip()
    row("Provider", provider)
    record = event.to_dict()
    row("Task", record["task"])
    row("Opcode", record["opcode"])
    row("Version", event.version)
    keywords = ", ".join(event.keywords)
    mask = format_mask(event.keywords_mask)
    row("Keywords", f"{keywords} ({mask})" if keywords and mask else keywords or mask)
    row("Channel", event.channel)
    row("Computer", event.computer)
    row("Process", event.process_id)
    row("Thread", event.thread_id)
    row("Activity", event.activity_id)
    row("Related", event.related_activity_id)
    row("Source", event.source)
    same = next((k for k, v in event.data.items() if v == event.message), None)
    if event.message is not None and same is not None and len(event.message) > 80:
        row("Message", f"the payload's {same}, below", "dim")
    elif event.message is not None:
        out.append(f"{'Message':<{LABEL_WIDTH}}", style="bold")
        lines, kind = _lines(event.message)
        if kind:
            out.append(f"({kind})", style="dim")
            lines = ["", *lines]
        out.append(visible(lines[0]))
        for line in lines[1:]:
            out.append("\n" + " " * LABEL_WIDTH + visible(line))
        out.append("\n")
    for title, values in (("Payload", event.data), ("Extra", event.extra)):
        items = [(k, v) for k, v in values.items() if not (title == "Extra" and k == "integrity")]
        if not items:
            continue
        out.append(title, style="bold")
        out.append("\n")
        for name, value in items:
            _value_lines(out, name, value)
    return out


def _value_lines(out: Any, name: str, value: Any) -> None:
    """One payload field: short values beside the name, long or multi-line ones below it."""
    lines, kind = _lines(value)
    label = f"  {visible(name)}"
    if len(lines) == 1 and kind is None and len(lines[0]) <= 80:
        out.append(f"{label:<{LABEL_WIDTH + 8}}", style="cyan")
        out.append(visible(lines[0]) if value is not None else "(null)",
                   style="" if value is not None else "dim")
        out.append("\n")
    else:
        out.append(label, style="cyan")
        if kind:
            out.append(f" ({kind})", style="dim")
        out.append("\n")
        for line in lines:
            out.append(INDENT + visible(line) + "\n")
    for code in field_codes(name, value):
        out.append(INDENT + "→ ", style="dim")
        out.append(str(code), style="magenta")
        out.append("\n")


def write(events: Iterable[Event], console: Any, zone: tzinfo | None = None) -> int:
    """A block per event, a blank line between; long lines are left whole (soft-wrapped)."""
    count = 0
    for event in events:
        if count:
            console.print()
        console.print(block(event, zone, min(console.width, 120)), soft_wrap=True, end="")
        count += 1
    return count
