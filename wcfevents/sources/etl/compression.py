"""Compressed buffers in a format other than XPRESS plain LZ77, told apart so that the one
error a user sees names the format instead of reporting every buffer as damaged."""

from __future__ import annotations


def other_format(raw: bytes) -> str | None:
    """The name of the compression `raw` (a compressed buffer's bytes after its header) is in,
    when it is plainly not XPRESS plain LZ77; None otherwise."""
    if _lznt1_chain(raw):
        return "LZNT1"
    if _huffman_table(raw):
        return "XPRESS Huffman"
    return None


def _lznt1_chain(raw: bytes) -> bool:
    """Whether `raw` is a chain of LZNT1 chunks (12-bit size, signature 3) filling it exactly."""
    position = 0
    while position + 2 <= len(raw):
        head = int.from_bytes(raw[position:position + 2], "little")
        if head == 0:
            return position > 0
        if head & 0x7000 != 0x3000:
            return False
        position += 2 + (head & 0x0FFF) + 1
    return position == len(raw) and position > 0


def _huffman_table(raw: bytes) -> bool:
    """Whether `raw` starts with an XPRESS Huffman table: 512 code lengths in 4-bit nibbles
    that make a complete prefix code (Kraft sum exactly 1)."""
    if len(raw) < 256:
        return False
    lengths = [n for byte in raw[:256] for n in (byte & 15, byte >> 4) if n]
    return len(lengths) > 1 and sum(1 << (15 - n) for n in lengths) == 1 << 15
