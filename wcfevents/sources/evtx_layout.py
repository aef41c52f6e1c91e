"""The fixed layout of an .evtx file: the file header and the chunk headers, with their checksums.

Both engines need to know which chunks exist on disk, which are damaged and how many records each
should hold: the header's chunk count goes stale on real files, and neither parser says how many
records a skipped chunk took with it. Reading 512 bytes per 64 KiB chunk is cheap.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, NamedTuple

FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 512
RECORD_MAGIC = b"\x2a\x2a\x00\x00"
MIN_RECORD_SIZE = 28  # signature, size, id, time, size copy, and at least a byte of BinXML

_CHUNK_HEADER = struct.Struct("<8sQQQQIIII")  # magic, log first/last, file first/last, sizes…


@dataclass(frozen=True, slots=True)
class FileHeader:
    chunk_count: int
    next_record_id: int
    header_ok: bool


@dataclass(frozen=True, slots=True)
class ChunkInfo:
    """What a chunk's header says about it, and whether its bytes check out."""

    index: int
    offset: int
    magic_ok: bool
    header_crc_ok: bool
    data_crc_ok: bool
    first_record_id: int
    last_record_id: int
    free_space_offset: int
    empty: bool  # all zeros: space the log never wrote
    cut: bool = False  # the file ends inside the chunk

    @property
    def intact(self) -> bool:
        return self.magic_ok and self.header_crc_ok and self.data_crc_ok and not self.cut

    @property
    def expected_records(self) -> int | None:
        """How many records the header claims, if the claim is plausible."""
        count = self.last_record_id - self.first_record_id + 1
        if self.magic_ok and 0 < count <= CHUNK_SIZE // MIN_RECORD_SIZE:
            return count
        return None

    def problem(self) -> str | None:
        if not self.magic_ok:
            return "bad chunk signature"
        if self.cut:
            return "chunk cut short"
        if not self.header_crc_ok:
            return "chunk header checksum mismatch"
        if not self.data_crc_ok:
            return "chunk records checksum mismatch"
        return None


def records_in(chunk: ChunkInfo, chunks: list[ChunkInfo]) -> int | None:
    """How many records a chunk held: its header when that is trustworthy, else the gap that its
    neighbours' record IDs leave; None when neither can tell."""
    if chunk.expected_records is not None:
        return chunk.expected_records
    position = next((i for i, c in enumerate(chunks) if c.index == chunk.index), None)
    if position is None:
        return None
    before = [c for c in chunks[:position] if c.expected_records is not None]
    after = [c for c in chunks[position + 1:] if c.expected_records is not None]
    if not before or not after:
        return None
    low, high = before[-1].last_record_id, after[0].first_record_id
    count = chunk.last_record_id - chunk.first_record_id + 1
    if low < chunk.first_record_id <= chunk.last_record_id < high and count > 0:
        return count  # the header's IDs fit exactly where the chunk stands
    gap = high - low - 1
    return gap if 0 < gap <= CHUNK_SIZE // MIN_RECORD_SIZE else None


def read_file_header(fh: BinaryIO) -> FileHeader | None:
    """The file header, or None when the bytes are not an .evtx file."""
    fh.seek(0)
    block = fh.read(128)
    if len(block) < 128 or not block.startswith(FILE_MAGIC):
        return None
    next_record_id = struct.unpack_from("<Q", block, 24)[0]
    chunk_count = struct.unpack_from("<H", block, 42)[0]
    crc = struct.unpack_from("<I", block, 124)[0]
    return FileHeader(chunk_count, next_record_id, zlib.crc32(block[:120]) == crc)


def parse_chunk_header(index: int, offset: int, header: bytes, data: bytes | None) -> ChunkInfo:
    """Decode a chunk header; `data` (the rest of the chunk) is needed for the records checksum."""
    magic, _log_first, _log_last, first_id, last_id, _hsize, _last_off, free_off, data_crc = (
        _CHUNK_HEADER.unpack_from(header, 0)
    )
    header_crc = struct.unpack_from("<I", header, 124)[0]
    computed = zlib.crc32(header[128:512], zlib.crc32(header[:120]))
    data_ok = False
    if data is not None and CHUNK_HEADER_SIZE <= free_off <= CHUNK_SIZE:
        data_ok = zlib.crc32(data[: free_off - CHUNK_HEADER_SIZE]) == data_crc
    return ChunkInfo(
        index=index,
        offset=offset,
        magic_ok=magic == CHUNK_MAGIC,
        header_crc_ok=computed == header_crc,
        data_crc_ok=data_ok,
        first_record_id=first_id,
        last_record_id=last_id,
        free_space_offset=free_off,
        empty=not any(header),
        cut=data is not None and len(data) < CHUNK_SIZE - CHUNK_HEADER_SIZE,
    )


def chunks_on_disk(size: int) -> int:
    """How many chunks a file of `size` bytes holds, a partial last one included."""
    return max(0, -(-(size - FILE_HEADER_SIZE) // CHUNK_SIZE))


def scan_chunks(fh: BinaryIO, with_data_crc: bool = True, start: int = 0,
                end: int | None = None) -> Iterator[ChunkInfo]:
    """Every chunk on disk (from `start` up to `end`), whatever the file header's count says."""
    index = start
    while end is None or index < end:
        offset = FILE_HEADER_SIZE + index * CHUNK_SIZE
        fh.seek(offset)
        header = fh.read(CHUNK_HEADER_SIZE)
        if len(header) < CHUNK_HEADER_SIZE:
            return
        data = fh.read(CHUNK_SIZE - CHUNK_HEADER_SIZE) if with_data_crc else None
        yield parse_chunk_header(index, offset, header, data)
        index += 1


class RecordSlot(NamedTuple):
    """Where a well-formed record sits in its chunk (a tuple: a chunk holds hundreds)."""

    offset: int  # within the chunk
    size: int
    record_id: int  # the file's own record number (the record header's), not EventRecordID
    ticks: int  # the record header's FILETIME, exact to the 100 ns tick


@dataclass(frozen=True, slots=True)
class Gap:
    """Bytes passed over in a chunk: a damaged record, and how many records went with it."""

    offset: int  # within the chunk
    lost: int | None


def _record_at(chunk: bytes, offset: int, end: int) -> tuple[int, int, int] | None:
    """(size, record number, FILETIME) when a well-formed record starts at `offset`, else None."""
    if offset + MIN_RECORD_SIZE > end or not chunk.startswith(RECORD_MAGIC, offset):
        return None
    size, record_id, ticks = _RECORD_HEAD.unpack_from(chunk, offset + 4)
    if size < MIN_RECORD_SIZE or offset + size > end:
        return None
    if _SIZE.unpack_from(chunk, offset + size - 4)[0] != size:
        return None
    return size, record_id, ticks


_RECORD_HEAD = struct.Struct("<IQQ")
_SIZE = struct.Struct("<I")


def _next_record(chunk: bytes, offset: int, end: int) -> int:
    offset = chunk.find(RECORD_MAGIC, offset + 1, end)
    while offset != -1 and _record_at(chunk, offset, end) is None:
        offset = chunk.find(RECORD_MAGIC, offset + 1, end)
    return offset


def walk_records(chunk: bytes, info: ChunkInfo) -> Iterator[RecordSlot | Gap]:
    """Every well-formed record of a chunk in order, and a Gap for each damaged stretch.

    A record whose size or signature is broken hides where the next one starts; rather than give
    up on the rest of the chunk, resume at the next place where a record's signature, size and
    size copy agree. A record whose number lies outside the chunk's first..last range (when the
    chunk header checks out), or does not follow the one before, is damage too: a flipped bit in
    its header, never a record to trust or to emit twice.
    """
    end = min(len(chunk), max(info.free_space_offset, CHUNK_HEADER_SIZE))
    offset = CHUNK_HEADER_SIZE
    # The header's first..last range is trusted only when the header's checksum holds.
    known = info.expected_records is not None and info.header_crc_ok
    expected_id = info.first_record_id if known else 0
    last = info.last_record_id
    head, size_at = _RECORD_HEAD.unpack_from, _SIZE.unpack_from
    while offset + MIN_RECORD_SIZE <= end:
        if chunk.startswith(RECORD_MAGIC, offset):  # the usual case, inline: a sound record
            size, record_id, ticks = head(chunk, offset + 4)
            if (size >= MIN_RECORD_SIZE and offset + size <= end
                    and size_at(chunk, offset + size - 4)[0] == size
                    and expected_id <= record_id and (record_id <= last or not known)):
                yield RecordSlot(offset, size, record_id, ticks)
                expected_id = record_id + 1
                offset += size
                continue
        found = _record_at(chunk, offset, end)
        if found is None:
            resume = _next_record(chunk, offset, end)
            if resume == -1:
                yield Gap(offset, last - expected_id + 1 if known else None)
                return
            found = _record_at(chunk, resume, end)
            assert found is not None
            number = found[1]
            yield Gap(offset, max(0, min(number, last + 1) - expected_id) if known else None)
            offset = resume
        size, record_id, ticks = found
        if record_id < expected_id or (known and record_id > last):
            yield Gap(offset, 1)  # a number this chunk cannot hold: a damaged header
            expected_id += 1
        else:
            yield RecordSlot(offset, size, record_id, ticks)
            expected_id = record_id + 1
        offset += size
    if known and expected_id <= last:
        # The chunk ends (a truncated file, say) before the records its header promises.
        yield Gap(offset, last - expected_id + 1)


def missing_tail(header: FileHeader, chunks: list[ChunkInfo]) -> int:
    """Records the file header says were written beyond the last chunk still on disk.

    A file cut short loses whole chunks that no scan can see; the header's next record ID tells
    how many. A stale header (common on real files) says fewer, never more, so this is 0 then.
    A file that holds its header only (no chunk at all) lost every record the header counts.
    """
    highest = max((c.last_record_id for c in chunks if c.expected_records is not None),
                  default=0)
    if not highest:
        if any(not c.empty for c in chunks):
            return 0  # chunks whose record numbers cannot be told: their damage says so
        return max(0, header.next_record_id - 1)
    return max(0, header.next_record_id - 1 - highest)
