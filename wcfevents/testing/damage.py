"""Deliberate damage to written .evtx files, for the readers' recovery tests.

Each helper breaks exactly one thing in place and leaves the rest of the file as it was, so a
test knows which records a careful reader can still return.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from wcfevents.testing.evtx_writer import CHUNK_HEADER_SIZE, CHUNK_SIZE, FILE_HEADER_SIZE


@dataclass(frozen=True, slots=True)
class RecordPlace:
    """Where one record sits: its chunk, its offset in the chunk, its ID and size."""

    chunk: int
    offset: int
    record_id: int
    size: int


def chunk_offset(chunk: int) -> int:
    return FILE_HEADER_SIZE + chunk * CHUNK_SIZE


def chunk_count(path: str | Path) -> int:
    with Path(path).open("rb") as fh:
        fh.seek(42)
        return int(struct.unpack("<H", fh.read(2))[0])


def records(path: str | Path) -> Iterator[RecordPlace]:
    """Every record of an intact file, found by walking each chunk's record sizes."""
    data = Path(path).read_bytes()
    for chunk in range(chunk_count(path)):
        base = chunk_offset(chunk)
        free = struct.unpack_from("<I", data, base + 48)[0]
        offset = CHUNK_HEADER_SIZE
        while offset < free:
            _magic, size, record_id = struct.unpack_from("<IIQ", data, base + offset)
            yield RecordPlace(chunk, offset, record_id, size)
            offset += size


def _patch(path: str | Path, offset: int, raw: bytes) -> None:
    with Path(path).open("r+b") as fh:
        fh.seek(offset)
        fh.write(raw)


def _refresh_records_crc(path: str | Path, chunk: int) -> None:
    """Recompute a chunk's records CRC (and so its header CRC) after a deliberate change."""
    base = chunk_offset(chunk)
    with Path(path).open("r+b") as fh:
        fh.seek(base)
        data = bytearray(fh.read(CHUNK_SIZE))
        free = struct.unpack_from("<I", data, 48)[0]
        struct.pack_into("<I", data, 52, zlib.crc32(data[CHUNK_HEADER_SIZE:free]))
        struct.pack_into("<I", data, 124, zlib.crc32(data[:120] + data[128:CHUNK_HEADER_SIZE]))
        fh.seek(base)
        fh.write(data[:CHUNK_HEADER_SIZE])


def corrupt_chunk_magic(path: str | Path, chunk: int) -> None:
    """The chunk no longer starts with "ElfChnk\\0" (its header CRC no longer matches either)."""
    _patch(path, chunk_offset(chunk), b"ElfJunk\x00")


def corrupt_chunk_header_crc(path: str | Path, chunk: int) -> None:
    """The chunk header's own CRC (offset 124) is wrong; everything else is intact."""
    offset = chunk_offset(chunk) + 124
    with Path(path).open("r+b") as fh:
        fh.seek(offset)
        value = struct.unpack("<I", fh.read(4))[0]
        fh.seek(offset)
        fh.write(struct.pack("<I", value ^ 0xA5A5A5A5))


def corrupt_chunk_records_crc(path: str | Path, chunk: int) -> None:
    """The records CRC (offset 52) is wrong, and the header CRC is kept consistent with it."""
    offset = chunk_offset(chunk) + 52
    with Path(path).open("r+b") as fh:
        fh.seek(offset)
        value = struct.unpack("<I", fh.read(4))[0]
        fh.seek(offset)
        fh.write(struct.pack("<I", value ^ 0x5A5A5A5A))
        fh.seek(chunk_offset(chunk))
        head = fh.read(CHUNK_HEADER_SIZE)
        fh.seek(chunk_offset(chunk) + 124)
        fh.write(struct.pack("<I", zlib.crc32(head[:120] + head[128:])))


def corrupt_record_size(
    path: str | Path, record_id: int, size: int = 0xFFFF_FFF0, *, keep_checksums: bool = True
) -> RecordPlace:
    """One record's size field (offset 4) is wrong; its trailing size copy is left as it was.

    With `keep_checksums` the chunk's CRCs are recomputed, so the bad size is the only fault.
    """
    for place in records(path):
        if place.record_id == record_id:
            _patch(path, chunk_offset(place.chunk) + place.offset + 4, struct.pack("<I", size))
            if keep_checksums:
                _refresh_records_crc(path, place.chunk)
            return place
    raise KeyError(f"no record {record_id} in {path}")


def flip_record_number(path: str | Path, record_id: int, bits: int = (1 << 55),
                       *, keep_checksums: bool = True) -> RecordPlace:
    """A few bits of one record's header number flipped (2^55 by default): a number outside
    its chunk's range that a reader must treat as damage, never as a record to emit again."""
    for place in records(path):
        if place.record_id == record_id:
            at = chunk_offset(place.chunk) + place.offset + 8
            _patch(path, at, struct.pack("<Q", record_id ^ bits))
            if keep_checksums:
                _refresh_records_crc(path, place.chunk)
            return place
    raise KeyError(f"no record {record_id} in {path}")


def cut_file(path: str | Path, size: int) -> None:
    """The file ends after `size` bytes (a copy taken while the log was being written)."""
    with Path(path).open("r+b") as fh:
        fh.truncate(size)
