"""The pure-Python .evtx engine: python-evtx, driven chunk by chunk from our own scan.

python-evtx trusts the file header's chunk count, which is stale on real files, and checks no
signature or checksum, so damaged bytes could come out as wrong text. Here every chunk on disk is
visited, a chunk whose signature or records checksum fails is reported and skipped, and a record
that will not render is reported and skipped. Its FILETIME values go through a float, so the exact
100 ns values are put back from the raw substitutions.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from typing import Any

from wcfevents.model import Event, filetime_to_iso
from wcfevents.sources import Damage, DamageReport, Input, InputError
from wcfevents.sources.event_xml import event_from_element
from wcfevents.sources.evtx_layout import read_file_header, record_time, scan_chunks


class PythonEvtxReader:
    """Reads .evtx files with python-evtx (pure Python, slow, a second opinion)."""

    name = "python"

    def events(self, source: Input, report: DamageReport) -> Iterator[Event]:
        from Evtx.Evtx import ChunkHeader
        from lxml import etree

        if source.path is None:
            raise InputError(f"{source.name}: the python engine needs a file")
        with source.open() as fh:
            if read_file_header(fh) is None:
                raise InputError(f"{source.name}: not an .evtx file (no ElfFile signature)")
            chunks = [c for c in scan_chunks(fh) if not c.empty]
            if not chunks:
                return
            buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        try:
            for info in chunks:
                if not info.magic_ok or not info.data_crc_ok:
                    report(Damage(source.name, info.offset,
                                  f"chunk {info.index}: {info.problem()}; skipped",
                                  info.expected_records))
                    continue
                if not info.header_crc_ok:
                    report(Damage(source.name, info.offset,
                                  f"chunk {info.index}: {info.problem()}; records decoded", 0))
                chunk = ChunkHeader(buf, info.offset)
                yield from self._chunk_events(chunk, info.index, source.name, report, parser)
        finally:
            buf.close()

    def _chunk_events(self, chunk: Any, index: int, name: str, report: DamageReport,
                      parser: Any) -> Iterator[Event]:
        from lxml import etree

        records = chunk.records()
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except Exception as exc:  # python-evtx raises many kinds on bad bytes
                report(Damage(name, None, f"chunk {index}: records unreadable after this point: "
                              f"{exc}", None))
                return
            try:
                xml = exact_filetimes(record)
                element = etree.fromstring(xml.encode("utf-8"), parser)
            except Exception as exc:
                report(Damage(name, record.offset(), f"chunk {index}: record "
                              f"{safe_record_number(record)} could not be rendered: {exc}", 1))
                continue
            event = event_from_element(element, name)
            header_time = filetime_to_iso(record.unpack_qword(0x10))
            event.timestamp = record_time(event.timestamp, header_time)
            if event.record_id is None:
                event.record_id = safe_record_number(record)
            yield event


def exact_filetimes(record: Any) -> str:
    """The record's XML with every FILETIME substitution at its exact 100 ns value."""
    xml: str = record.xml()
    for sub in record.root().substitutions():
        if type(sub).__name__ == "FiletimeTypeNode":
            ticks = sub.unpack_qword(0)
            if ticks:
                xml = xml.replace(sub.string(), filetime_to_iso(ticks))
    return xml


def safe_record_number(record: Any) -> int | None:
    try:
        return int(record.record_num())
    except Exception:
        return None
