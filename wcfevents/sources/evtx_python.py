"""The pure-Python .evtx engine: python-evtx, driven chunk by chunk from our own record walk.

python-evtx trusts the file header's chunk count, which is stale on real files, and checks no
signature or checksum. Here every chunk on disk is visited and walked (wcfevents.sources.
evtx_chunks, shared with the Rust engine, so both read the same records), and each record is
rendered through our own variant of python-evtx's XML view: FILETIME values at their exact 100 ns
value (python-evtx goes through a float), a NULL substitution as absent rather than "", and
nested BinXml rendered the same way. A record python-evtx cannot render is handed to the Rust
parser, as the Rust engine hands python-evtx the records it cannot read.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from typing import Any

from wcfevents.model import filetime_to_iso
from wcfevents.sources import DamageReport, Input, InputError, QuickCheck
from wcfevents.sources.event_xml import ABSENT, ARRAY_SEPARATOR, CONTROL, TYPED, event_from_element
from wcfevents.sources.evtx_chunks import (
    ChunkWork,
    chunk_works,
    finish,
    padded,
    plan_file,
    record_time,
)
from wcfevents.sources.evtx_layout import RecordSlot

# python-evtx logs what it meets in damaged bytes; damage is reported through Damage instead.
logging.getLogger("Evtx").addHandler(logging.NullHandler())
logging.getLogger("Evtx").propagate = False


def _patch_python_evtx() -> None:
    """python-evtx stops on a NULL value inside a template definition (Windows Event Forwarding
    writes such records): it looks for the end of the stream in it. A NULL value has none."""
    from Evtx.Nodes import NullTypeNode

    if not hasattr(NullTypeNode, "find_end_of_stream"):
        NullTypeNode.find_end_of_stream = lambda self: None


class PythonEvtxReader:
    """Reads .evtx files with python-evtx (pure Python, slow, a second opinion)."""

    name = "python"

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict

    def events(self, source: Input, report: DamageReport,
               quick: QuickCheck | None = None) -> Iterator[Any]:
        """Every record of every readable chunk (`quick` is left to the caller's filters)."""
        try:
            import Evtx.Evtx  # noqa: F401
        except ImportError:
            raise InputError(f"{source.name}: the python engine needs python-evtx, which is not "
                             "installed (on Windows it cannot sit beside the evtx package)"
                             ) from None
        if source.path is None:
            raise InputError(f"{source.name}: the python engine needs a file")
        with source.open() as fh:
            plan = plan_file(fh)
            if plan is None:
                raise InputError(f"{source.name}: not an .evtx file (no ElfFile signature)")
            renderer = PythonRenderer(source.name)
            for work in chunk_works(fh, plan, self.strict):
                second: dict[int, Any] | None = None
                for slot in work.slots:
                    event = renderer.render(work, slot)
                    if event is None:
                        if second is None:
                            second = second_opinion(fh, source.name, work)
                        event = second.get(slot.offset)
                    if event is None:
                        work.failed.append(slot.offset)
                    else:
                        yield finish(event, work, slot)
                damage = work.damage(source.name)
                if damage is not None:
                    report(damage)
            tail = plan.tail_damage(source.name)
            if tail is not None:
                report(tail)


def second_opinion(fh: Any, name: str, work: ChunkWork) -> dict[int, Any]:
    """The chunk's records as the Rust parser renders them (slot offset → Event), for those
    python-evtx cannot render; {} when the evtx package is not installed."""
    try:
        from wcfevents.sources.evtx_rust import rust_chunk_events
    except ImportError:
        return {}
    return rust_chunk_events(fh, name, work, work.slots)


class PythonRenderer:
    """Renders walked records of one chunk at a time with python-evtx."""

    def __init__(self, name: str) -> None:
        from lxml import etree

        _patch_python_evtx()
        self.name = name
        self.parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        self._work: ChunkWork | None = None
        self._chunk: Any = None
        self._done = 0  # slots of the chunk rendered so far, in order
        self._index: dict[int, int] = {}

    def render(self, work: ChunkWork, slot: RecordSlot) -> Any:
        """The record as an Event (before `finish`), or None when python-evtx cannot read it.

        python-evtx learns a chunk's templates from the records that define them, so what it
        can render depends on what it rendered before: the chunk's earlier records are rendered
        first (and dropped) when asked for a later one, as the python engine does in order.
        """
        from Evtx.Evtx import ChunkHeader

        if self._work is not work:
            self._work = work
            self._chunk = ChunkHeader(padded(work.data), 0)
            self._done = 0
            self._index = {s.offset: i for i, s in enumerate(work.slots)}
        index = self._index.get(slot.offset, 0)
        while self._done < index:
            self._render(work.slots[self._done])
            self._done += 1
        self._done = max(self._done, index + 1)
        return self._render(slot)

    def _render(self, slot: RecordSlot) -> Any:
        from Evtx.Evtx import Record
        from lxml import etree

        try:
            record = Record(self._chunk._buf, slot.offset, self._chunk)
            xml = render_xml(record.root())
            element = etree.fromstring(xml.encode("utf-8"), self.parser)
            event = event_from_element(element, self.name)
        except Exception:  # python-evtx raises many kinds on bad bytes
            return None
        event.timestamp = record_time(event.timestamp, slot.ticks)
        return event


_INTEGER_NODES = ("SignedByteTypeNode", "UnsignedByteTypeNode", "SignedWordTypeNode",
                  "UnsignedWordTypeNode", "SignedDwordTypeNode", "UnsignedDwordTypeNode",
                  "SignedQwordTypeNode", "UnsignedQwordTypeNode")
# What XML cannot carry, and what python-evtx's escape_value drops (C1 controls too).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


def _escape(text: str) -> str:
    """Text as XML that parses back to exactly the same characters: CR kept (XML would turn
    CR LF into LF), control characters as CONTROL + a private character (marked before
    escape_value, which would drop them)."""
    from Evtx.Views import escape_value

    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: CONTROL + chr(0xE000 + ord(m.group())), text)
    return escape_value(text).replace("\r", "&#13;")


# XML would fold tab and LF in an attribute value into spaces, and " would end it.
_IN_ATTRIBUTE = str.maketrans({"\t": "&#9;", "\n": "&#10;", '"': "&quot;"})


def _typed(sub: Any) -> str:
    """A substitution value the way the Rust parser prints it (so that both engines agree),
    numbers and booleans tagged with TYPED so that they come back as JSON numbers."""
    kind = type(sub).__name__
    if kind in _INTEGER_NODES:
        return TYPED + "i" + sub.string()
    if kind in ("FloatTypeNode", "DoubleTypeNode"):
        return TYPED + "f" + sub.string()
    if kind == "BooleanTypeNode":
        raw = sub.unpack_dword(0)  # a value other than 0 or 1 is printed as the number
        return TYPED + ("b" + str(bool(raw)) if raw in (0, 1) else "i" + str(raw))
    if kind in ("Hex32TypeNode", "Hex64TypeNode"):
        return f"0x{int(sub.string(), 16):x}"
    if kind == "GuidTypeNode":
        return sub.string().strip("{}").upper()
    if kind == "BinaryTypeNode":
        return base64.b64decode(sub.string()).hex().upper()
    if kind == "WstringArrayTypeNode":
        return TYPED + "a" + ARRAY_SEPARATOR.join(_escape(item) for item in _items(sub))
    return _escape(sub.string())


def _items(sub: Any) -> list[str]:
    """The strings of a string array value (NUL-separated UTF-16)."""
    raw = bytes(sub._buf[sub.offset():sub.offset() + sub.length()])
    text = raw.decode("utf-16-le", errors="replace")
    # Each string ends with a NUL: only the last one's terminator goes, an empty last string
    # ("…\0\0") stays.
    return (text[:-1] if text.endswith("\x00") else text).split("\x00")


def render_xml(root: Any, payload: bool = False) -> str:
    """python-evtx's XML view of a root node, with exact FILETIMEs, NULL kept apart from "",
    and payload values in the Rust parser's forms (see _typed)."""
    from Evtx import Nodes as n
    from Evtx.Views import escape_value, validate_name

    subs = root.substitutions()

    def value_of(sub: Any, inside: bool) -> str:
        if isinstance(sub, n.BXmlTypeNode):
            return render_xml(sub.root(), inside)
        if isinstance(sub, n.FiletimeTypeNode):
            exact = filetime_to_iso(sub.unpack_qword(0))
            if exact is not None:
                return exact
        if inside:
            try:
                return _typed(sub)
            except Exception:  # an odd value: its plain text
                return _escape(sub.string())
        return escape_value(sub.string())

    def is_null(node: Any) -> bool:
        subst = (n.NormalSubstitutionNode, n.ConditionalSubstitutionNode)
        return isinstance(node, subst) and isinstance(subs[node.index()], n.NullTypeNode)

    def rec(node: Any, acc: list[str], inside: bool) -> None:
        if isinstance(node, n.OpenStartElementNode):
            tag = node.tag_name()
            acc.append("<")
            acc.append(tag)
            for child in node.children():
                if isinstance(child, n.AttributeNode):
                    value = child.attribute_value()
                    if is_null(value):
                        continue  # a NULL attribute value: the attribute is absent
                    acc.append(" ")
                    acc.append(validate_name(child.attribute_name().string()))
                    acc.append('="')
                    if inside and tag != "Data":  # a payload element's own: typed, exact
                        text: list[str] = []
                        rec(value, text, True)
                        acc.append("".join(text).translate(_IN_ATTRIBUTE))
                    else:
                        rec(value, acc, False)
                    acc.append('"')
            acc.append(">")
            inner = inside or tag in ("EventData", "UserData")
            for child in node.children():
                rec(child, acc, inner)
            acc.append("</")
            acc.append(validate_name(tag))
            acc.append(">\n")
        elif isinstance(node, n.ValueNode):
            acc.append(_escape(node.children()[0].string()))
        elif isinstance(node, n.CDataSectionNode):
            acc.append("<![CDATA[")
            acc.append(escape_value(node.cdata()))
            acc.append("]]>")
        elif isinstance(node, n.EntityReferenceNode):
            acc.append(escape_value(node.entity_reference()))
        elif isinstance(node, (n.NormalSubstitutionNode, n.ConditionalSubstitutionNode)):
            sub = subs[node.index()]
            acc.append(ABSENT if isinstance(sub, n.NullTypeNode) else value_of(sub, inside))
        elif isinstance(node, n.TemplateInstanceNode):
            raise ValueError("a template instance inside a template")

    acc: list[str] = []
    for child in root.template().children():
        rec(child, acc, payload)
    return "".join(acc)
