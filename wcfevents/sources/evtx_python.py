"""The pure-Python .evtx engine: python-evtx, driven chunk by chunk from our own scan.

python-evtx trusts the file header's chunk count, which is stale on real files, and checks no
signature or checksum, so damaged bytes could come out as wrong text. Here every chunk on disk is
visited, a chunk whose signature or records checksum fails is reported and skipped, and a record
that will not render is reported and skipped. Its FILETIME values go through a float, so the exact
100 ns values are put back from the raw substitutions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from wcfevents.model import Event, filetime_to_iso
from wcfevents.sources import Damage, DamageReport, Input, InputError, QuickCheck
from wcfevents.sources.event_xml import event_from_element
from wcfevents.sources.evtx_layout import (
    CHUNK_SIZE,
    ChunkInfo,
    Gap,
    missing_tail,
    read_file_header,
    record_time,
    records_in,
    scan_chunks,
    walk_records,
)

# python-evtx logs what it meets in damaged bytes; damage is reported through Damage instead.
logging.getLogger("Evtx").addHandler(logging.NullHandler())
logging.getLogger("Evtx").propagate = False


class PythonEvtxReader:
    """Reads .evtx files with python-evtx (pure Python, slow, a second opinion)."""

    name = "python"

    def events(self, source: Input, report: DamageReport,
               quick: QuickCheck | None = None) -> Iterator[Event | None]:
        """Every record of every readable chunk (`quick` is left to the caller's filters)."""
        try:
            from Evtx.Evtx import ChunkHeader
        except ImportError:
            raise InputError(f"{source.name}: the python engine needs python-evtx, which is not "
                             "installed (on Windows it cannot sit beside the evtx package)"
                             ) from None
        from lxml import etree

        if source.path is None:
            raise InputError(f"{source.name}: the python engine needs a file")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        with source.open() as fh:
            header = read_file_header(fh)
            if header is None:
                raise InputError(f"{source.name}: not an .evtx file (no ElfFile signature)")
            size = fh.seek(0, 2)
            chunks = [c for c in scan_chunks(fh) if not c.empty]
            for info in chunks:
                if not info.magic_ok or not info.data_crc_ok:
                    report(Damage(source.name, info.offset,
                                  f"chunk {info.index}: {info.problem()}; skipped",
                                  records_in(info, chunks)))
                    continue
                if not info.header_crc_ok:
                    report(Damage(source.name, info.offset,
                                  f"chunk {info.index}: {info.problem()}; records decoded", 0))
                # One chunk in memory at a time: chunks are self-contained (own string and
                # template tables), and a copy cannot change under us as a mapping could.
                fh.seek(info.offset)
                chunk = ChunkHeader(fh.read(CHUNK_SIZE), 0)
                yield from self._chunk_events(chunk, info, source.name, report, parser)
            lost = missing_tail(header, chunks)
            if lost:
                report(Damage(source.name, size, f"the file ends before {lost} more records its "
                              "header counts (cut short?)", lost))

    def _chunk_events(self, chunk: Any, info: ChunkInfo, name: str, report: DamageReport,
                      parser: Any, skip: set[int] | frozenset[int] = frozenset()
                      ) -> Iterator[Event]:
        """The chunk's records in order; a damaged one is reported and passed over."""
        from Evtx.Evtx import Record
        from lxml import etree

        data = chunk._buf
        for item in walk_records(data, info):
            if isinstance(item, Gap):
                report(Damage(name, info.offset + item.offset,
                              f"chunk {info.index}: damaged record skipped", item.lost))
                continue
            if item.record_id in skip:
                continue
            try:
                record = Record(data, item.offset, chunk)
                xml = exact_filetimes(record)
                element = etree.fromstring(xml.encode("utf-8"), parser)
            except Exception as exc:  # python-evtx raises many kinds on bad bytes
                report(Damage(name, info.offset + item.offset, f"chunk {info.index}: record "
                              f"{item.record_id} could not be rendered: {exc}", 1))
                continue
            event = event_from_element(element, name)
            header_time = filetime_to_iso(record.unpack_qword(0x10))
            event.timestamp = record_time(event.timestamp, header_time)
            if event.record_id is None:
                event.record_id = item.record_id
            yield event

    def salvage(self, source: Input, info: ChunkInfo, skip: set[int],
                report: DamageReport) -> Iterator[Event]:
        """Records of one chunk that another engine could not read (their IDs not in `skip`)."""
        from Evtx.Evtx import ChunkHeader
        from lxml import etree

        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        with source.open() as fh:
            fh.seek(info.offset)
            chunk = ChunkHeader(fh.read(CHUNK_SIZE), 0)
        yield from self._chunk_events(chunk, info, source.name, report, parser, skip)


def exact_filetimes(record: Any) -> str:
    """The record's XML with every FILETIME substitution at its exact 100 ns value."""
    xml: str = record.xml()
    for sub in record.root().substitutions():
        if type(sub).__name__ == "FiletimeTypeNode":
            ticks = sub.unpack_qword(0)
            exact = filetime_to_iso(ticks) if ticks else None
            if exact:
                xml = xml.replace(sub.string(), exact)
    return xml


