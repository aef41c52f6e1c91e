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

import logging
from collections.abc import Iterator
from typing import Any

from wcfevents.model import filetime_to_iso
from wcfevents.sources import DamageReport, Input, InputError, QuickCheck
from wcfevents.sources.event_xml import ABSENT, event_from_element
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

    def render(self, work: ChunkWork, slot: RecordSlot) -> Any:
        """The record as an Event (before `finish`), or None when python-evtx cannot read it."""
        from Evtx.Evtx import ChunkHeader, Record
        from lxml import etree

        if self._work is not work:
            self._work = work
            self._chunk = ChunkHeader(padded(work.data), 0)
        try:
            record = Record(self._chunk._buf, slot.offset, self._chunk)
            xml = render_xml(record.root())
            element = etree.fromstring(xml.encode("utf-8"), self.parser)
            event = event_from_element(element, self.name)
        except Exception:  # python-evtx raises many kinds on bad bytes
            return None
        event.timestamp = record_time(event.timestamp, slot.ticks)
        return event


def render_xml(root: Any) -> str:
    """python-evtx's XML view of a root node, with exact FILETIMEs and NULL kept apart from ""."""
    from Evtx import Nodes as n
    from Evtx.Views import escape_value, validate_name

    subs = root.substitutions()

    def value_of(sub: Any) -> str:
        if isinstance(sub, n.BXmlTypeNode):
            return render_xml(sub.root())
        if isinstance(sub, n.FiletimeTypeNode):
            exact = filetime_to_iso(sub.unpack_qword(0))
            if exact is not None:
                return exact
        return escape_value(sub.string())

    def is_null(node: Any) -> bool:
        subst = (n.NormalSubstitutionNode, n.ConditionalSubstitutionNode)
        return isinstance(node, subst) and isinstance(subs[node.index()], n.NullTypeNode)

    def rec(node: Any, acc: list[str]) -> None:
        if isinstance(node, n.OpenStartElementNode):
            acc.append("<")
            acc.append(node.tag_name())
            for child in node.children():
                if isinstance(child, n.AttributeNode):
                    value = child.attribute_value()
                    if is_null(value):
                        continue  # a NULL attribute value: the attribute is absent
                    acc.append(" ")
                    acc.append(validate_name(child.attribute_name().string()))
                    acc.append('="')
                    rec(value, acc)
                    acc.append('"')
            acc.append(">")
            for child in node.children():
                rec(child, acc)
            acc.append("</")
            acc.append(validate_name(node.tag_name()))
            acc.append(">\n")
        elif isinstance(node, n.ValueNode):
            acc.append(escape_value(node.children()[0].string()))
        elif isinstance(node, n.CDataSectionNode):
            acc.append("<![CDATA[")
            acc.append(escape_value(node.cdata()))
            acc.append("]]>")
        elif isinstance(node, n.EntityReferenceNode):
            acc.append(escape_value(node.entity_reference()))
        elif isinstance(node, (n.NormalSubstitutionNode, n.ConditionalSubstitutionNode)):
            sub = subs[node.index()]
            acc.append(ABSENT if isinstance(sub, n.NullTypeNode) else value_of(sub))
        elif isinstance(node, n.TemplateInstanceNode):
            raise ValueError("a template instance inside a template")

    acc: list[str] = []
    for child in root.template().children():
        rec(child, acc)
    return "".join(acc)
