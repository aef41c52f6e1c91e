""".svclog files written the way System.Diagnostics' XmlWriterTraceListener writes them for WCF.

Tests and fixtures need genuine `<E2ETraceEvent>` fragments (back to back, no root, no
declaration, UTF-8 without BOM) without a Windows machine: trace logs with TraceRecords,
ExtendedData and Exception blocks, message logs with their bodies, a user's own trace source.
WCF escapes exception texts and its EventLog record's values once itself before the XML writer
escapes them again; the writer does the same. Control characters are written raw or as character
references, as the listener does. `expected()` says which raw Event a reader should decode from a
record, worked out from the record's own fields, not by parsing what was written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from wcfevents.model import Event

E2E_NS = "http://schemas.microsoft.com/2004/06/E2ETraceEvent"
SYSTEM_NS = "http://schemas.microsoft.com/2004/06/windows/eventlog/system"
RECORD_NS = "http://schemas.microsoft.com/2004/10/E2ETraceEvent/TraceRecord"
DICTIONARY_NS = "http://schemas.microsoft.com/2006/08/ServiceModel/DictionaryTraceRecord"
MESSAGE_NS = "http://schemas.microsoft.com/2004/06/ServiceModel/Management/MessageTrace"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA10 = "http://www.w3.org/2005/08/addressing"
ZERO = "00000000-0000-0000-0000-000000000000"
PROVIDER_NAME = "Microsoft-Windows-Application Server-Applications"
# System.Diagnostics levels of each SubType; the activity types write 255.
LEVELS = {"Critical": 1, "Error": 2, "Warning": 4, "Information": 8, "Verbose": 16}
ETW_LEVELS = {"Critical": 1, "Error": 2, "Warning": 3, "Information": 4, "Verbose": 5}
ACTIVITY_TYPES = ("Start", "Stop", "Suspend", "Resume", "Transfer")
ADDRESSING = ("Action", "To", "MessageID", "RelatesTo")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
WCF_PREFIXES = ("System.ServiceModel", "System.IdentityModel", "System.Activities",
                "System.Workflow")

# ExtendedData: (name, text) leaves and (name, [children]) containers, in document order.
Extended = list[tuple[str, Union[str, "Extended"]]]


def escape(text: str) -> str:
    """What an XmlWriter does to element text (CR kept as a reference)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        "\r", "&#xD;")


def attribute(text: str) -> str:
    return escape(text).replace('"', "&quot;").replace("\n", "&#xA;")


def wcf_encode(text: str) -> str:
    """WCF's own XmlEncode (`<`, `>`, `&` only), applied before the writer escapes again."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def controls_as_references(text: str) -> str:
    """Control characters as the XmlTextWriter writes them when it is told not to check."""
    return _ILLEGAL.sub(lambda m: f"&#x{ord(m.group(0)):X};", text)


def legal(text: str) -> str:
    """The text as a reader can give it: characters XML 1.0 cannot carry dropped."""
    return _ILLEGAL.sub("", text)


@dataclass
class ExceptionInfo:
    """A TraceRecord's Exception block (InnerException has the same shape)."""

    type: str
    message: str
    stack: str
    text: str  # ExceptionString: ToString() of the exception
    native_error: str | None = None
    inner: ExceptionInfo | None = None

    def xml(self, tag: str = "Exception") -> str:
        parts = [f"<{tag}>"]
        for name, value in (("ExceptionType", self.type), ("Message", self.message),
                            ("StackTrace", self.stack), ("ExceptionString", self.text)):
            parts.append(f"<{name}>{escape(wcf_encode(value))}</{name}>")
        if self.native_error is not None:
            parts.append(f"<NativeErrorCode>{escape(wcf_encode(self.native_error))}"
                         "</NativeErrorCode>")
        if self.inner is not None:
            parts.append(self.inner.xml("InnerException"))
        parts.append(f"</{tag}>")
        return "".join(parts)

    def expected(self) -> dict[str, Any]:
        result: dict[str, Any] = {"ExceptionType": legal(self.type),
                                  "Message": legal(self.message),
                                  "StackTrace": legal(self.stack),
                                  "ExceptionString": legal(self.text)}
        if self.native_error is not None:
            result["NativeErrorCode"] = legal(self.native_error)
        if self.inner is not None:
            result["InnerException"] = self.inner.expected()
        return result


@dataclass
class MessageLog:
    """A MessageLogTraceRecord: logging point, message type, addressing and the body."""

    source: str  # TransportReceive, ServiceLevelSendReply, ...
    type: str = "System.ServiceModel.Channels.BufferedMessage"
    addressing: list[tuple[str, str]] = field(default_factory=list)
    http: str | None = None  # an HttpRequest/HttpResponse element, as written
    headers: list[tuple[str, str]] = field(default_factory=list)  # WS-Addressing SOAP headers
    body: str | None = None  # SOAP Body content, as written
    soap: str = SOAP11
    raw_body: str | None = None  # a body that is not a SOAP envelope (help page, WSDL)
    time: str = "2026-01-01T00:00:00.0000000+01:00"

    def envelope(self) -> str | None:
        """The logged message exactly as it is written into the record."""
        if self.raw_body is not None:
            return self.raw_body
        if self.body is None:
            return None
        headers = "".join(f"<a:{name}>{escape(value)}</a:{name}>" for name, value in self.headers)
        return (f'<s:Envelope xmlns:s="{self.soap}" xmlns:a="{WSA10}"><s:Header>{headers}'
                f"</s:Header><s:Body>{self.body}</s:Body></s:Envelope>")

    def xml(self) -> str:
        parts = [f'<MessageLogTraceRecord Time="{self.time}" Source="{attribute(self.source)}" '
                 f'Type="{attribute(self.type)}" xmlns="{MESSAGE_NS}">']
        if self.addressing:
            parts.append("<Addressing>")
            parts.extend(f"<{n}>{escape(v)}</{n}>" for n, v in self.addressing)
            parts.append("</Addressing>")
        if self.http:
            parts.append(self.http)
        parts.append(self.envelope() or "")
        parts.append("</MessageLogTraceRecord>")
        return "".join(parts)

    def expected_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"Source": self.source, "Type": self.type}
        found = dict(self.headers)
        found.update(dict(self.addressing))
        for name in ADDRESSING:
            if name in found:
                data[name] = found[name]
        return data


@dataclass
class Record:
    """One E2ETraceEvent: the System header and one kind of ApplicationData."""

    time: str  # UTC, 7 digits, Z
    subtype: str
    event_id: int = 0
    source: str = "System.ServiceModel"
    activity: str | None = None
    related: str | None = None
    process_name: str = "w3wp"
    process_id: int = 4816
    thread_id: int = 12
    computer: str = "WEB01"
    # TraceRecord (when identifier or description is set)
    identifier: str | None = None
    description: str | None = None
    app_domain: str | None = None
    channel: str | None = None  # TraceRecord/@Channel of records mirrored from ETW
    extended: Extended | None = None
    exception: ExceptionInfo | None = None
    # or a MessageLogTraceRecord, or plain text
    message: MessageLog | None = None
    text: str | None = None
    references: bool = False  # control characters as &#x..; references, not raw

    @property
    def wcf(self) -> bool:
        return self.source.startswith(WCF_PREFIXES) or self.source == (
            "System.Runtime.Serialization")

    @property
    def event_log(self) -> bool:
        return self.wcf and self.event_id == 0x20002

    def _text(self, value: str) -> str:
        written = escape(value)
        return controls_as_references(written) if self.references else written

    def _extended(self, items: Extended) -> str:
        parts = []
        for name, value in items:
            if isinstance(value, list):
                parts.append(f"<{name}>{self._extended(value)}</{name}>")
            else:
                if self.event_log and re.fullmatch(r"Value\d+", name):
                    value = wcf_encode(value)
                parts.append(f"<{name}>{self._text(value)}</{name}>")
        return "".join(parts)

    def application(self) -> str:
        if self.message is not None:
            return f"<TraceData><DataItem>{self.message.xml()}</DataItem></TraceData>"
        if self.identifier is None and self.description is None:
            return self._text(self.text or "")
        channel = f' Channel="{self.channel}"' if self.channel else ""
        severity = self.subtype
        parts = [f'<TraceData><DataItem><TraceRecord xmlns="{RECORD_NS}" '
                 f'Severity="{severity}"{channel}>']
        if self.identifier is not None:
            parts.append(f"<TraceIdentifier>{self._text(self.identifier)}</TraceIdentifier>")
        if self.description is not None:
            parts.append(f"<Description>{self._text(self.description)}</Description>")
        if self.app_domain is not None:
            parts.append(f"<AppDomain>{self._text(self.app_domain)}</AppDomain>")
        if self.extended is not None:
            parts.append(f'<ExtendedData xmlns="{DICTIONARY_NS}">'
                         f"{self._extended(self.extended)}</ExtendedData>")
        if self.exception is not None:
            parts.append(self.exception.xml())
        parts.append("</TraceRecord></DataItem></TraceData>")
        return "".join(parts)

    def xml(self) -> str:
        related = f' RelatedActivityID="{{{self.related}}}"' if self.related else ""
        level = 255 if self.subtype in ACTIVITY_TYPES else LEVELS[self.subtype]
        return (
            f'<E2ETraceEvent xmlns="{E2E_NS}"><System xmlns="{SYSTEM_NS}">'
            f"<EventID>{self.event_id}</EventID><Type>3</Type>"
            f'<SubType Name="{self.subtype}">0</SubType><Level>{level}</Level>'
            f'<TimeCreated SystemTime="{self.time}" /><Source Name="{attribute(self.source)}" />'
            f'<Correlation ActivityID="{{{self.activity or ZERO}}}"{related} />'
            f'<Execution ProcessName="{attribute(self.process_name)}" '
            f'ProcessID="{self.process_id}" ThreadID="{self.thread_id}" />'
            f"<Channel/><Computer>{escape(self.computer)}</Computer></System>"
            f"<ApplicationData>{self.application()}</ApplicationData></E2ETraceEvent>"
        )

    def expected(self, source: str) -> Event:
        """The raw Event a reader must give for this record (before enrichment)."""
        activity = self.subtype in ACTIVITY_TYPES
        event = Event(
            timestamp=self.time, provider=self.source, event_id=self.event_id,
            level_value=4 if activity else ETW_LEVELS[self.subtype],
            computer=self.computer, process_id=self.process_id, thread_id=self.thread_id,
            activity_id=None if self.activity in (None, ZERO) else self.activity,
            related_activity_id=None if self.related in (None, ZERO) else self.related,
            source=source,
        )
        if activity:
            event.opcode = self.subtype
        extra: dict[str, Any] = {}
        if self.message is not None:
            event.data = self.message.expected_data()
        elif self.identifier is None and self.description is None:
            event.message = legal(self.text).strip() or None if self.text else None
        else:
            if self.identifier is not None:
                extra["TraceIdentifier"] = legal(self.identifier)
                event.symbol = _last_segment(self.identifier)
            if self.description is not None:
                event.message = legal(self.description)
            if self.app_domain is not None:
                extra["AppDomain"] = legal(self.app_domain)
            if self.channel:
                event.channel = f"{PROVIDER_NAME}/{self.channel}"
            if self.extended is not None:
                _flatten(self.extended, event.data)
            if self.exception is not None:
                event.data["Exception"] = self.exception.expected()
        extra["ProcessName"] = self.process_name
        extra["SubType"] = self.subtype
        if self.message is not None and self.message.envelope():
            extra["Envelope"] = self.message.envelope()
        event.extra = extra
        return event


def _last_segment(identifier: str) -> str:
    text = identifier.removesuffix(".aspx")
    return text[max(text.rfind("/"), text.rfind(".")) + 1:]


def _flatten(items: Extended, data: dict[str, Any]) -> None:
    for name, value in items:
        if isinstance(value, list) and value:
            _flatten(value, data)
            continue
        text = "" if isinstance(value, list) else legal(value)
        if name not in data:
            data[name] = text
        elif isinstance(data[name], list):
            data[name].append(text)
        else:
            data[name] = [data[name], text]


def write_svclog(records: Iterable[Record]) -> bytes:
    """The records back to back, as the listener appends them."""
    return "".join(record.xml() for record in records).encode("utf-8")


def write_svclog_file(path: Path, records: Iterable[Record]) -> bytes:
    data = write_svclog(records)
    path.write_bytes(data)
    return data


def cut_last(data: bytes, keep: float = 0.5) -> bytes:
    """The file as a process that died while writing its last record leaves it."""
    start = data.rfind(b"<E2ETraceEvent")
    return data[: start + max(1, int((len(data) - start) * keep))]
