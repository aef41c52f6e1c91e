"""An XPRESS "plain LZ77" compressor (MS-XCA section 2.3), for writing compressed .etl buffers.

Greedy matching over a hash of the next three bytes with a short chain, offsets up to 8 KiB:
not Windows' compressor, but a genuine stream any conforming decompressor inflates — the test
writer uses it so that the reader's XPRESS path runs on real compressed bytes.
"""

from __future__ import annotations

import struct

MAX_OFFSET = 8192
MIN_MATCH = 3
CHAIN = 8


def compress(data: bytes) -> bytes:
    out = bytearray()
    flags = 0
    flag_count = 0
    flag_pos = 0
    out += b"\x00\x00\x00\x00"
    half = -1  # where the shared length nibble of the previous long match sits
    heads: dict[bytes, list[int]] = {}
    n = len(data)
    i = 0

    def push_flag(bit: int) -> None:
        nonlocal flags, flag_count, flag_pos
        if flag_count == 32:
            struct.pack_into("<I", out, flag_pos, flags)
            flag_pos = len(out)
            out.extend(b"\x00\x00\x00\x00")
            flags = 0
            flag_count = 0
        flags = (flags << 1) | bit
        flag_count += 1

    while i < n:
        best_len = 0
        best_off = 0
        if i + MIN_MATCH <= n:
            key = data[i:i + MIN_MATCH]
            candidates = heads.get(key)
            if candidates:
                for start in reversed(candidates):
                    offset = i - start
                    if offset > MAX_OFFSET:
                        break
                    length = MIN_MATCH
                    limit = n - i
                    while length < limit and data[start + length] == data[i + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, offset
                candidates.append(i)
                if len(candidates) > CHAIN:
                    del candidates[0]
            else:
                heads[key] = [i]
        if best_len >= MIN_MATCH:
            push_flag(1)
            half = _match(out, best_len, best_off, half)
            for j in range(i + 1, min(i + best_len, n - MIN_MATCH + 1)):
                chain = heads.setdefault(data[j:j + MIN_MATCH], [])
                chain.append(j)
                if len(chain) > CHAIN:
                    del chain[0]
            i += best_len
        else:
            push_flag(0)
            out.append(data[i])
            i += 1
    # The end: the remaining flag bits are 1 (a match with no input after it ends the stream).
    if flag_count == 32:
        struct.pack_into("<I", out, flag_pos, flags)
        flag_pos = len(out)
        out.extend(b"\x00\x00\x00\x00")
        flags, flag_count = 0, 0
    flags = (flags << (32 - flag_count)) | ((1 << (32 - flag_count)) - 1)
    struct.pack_into("<I", out, flag_pos, flags & 0xFFFFFFFF)
    return bytes(out)


def _match(out: bytearray, length: int, offset: int, half: int) -> int:
    """Append one match token; returns where the pending shared nibble now is (or -1)."""
    value = length - MIN_MATCH
    token = (offset - 1) << 3
    if value < 7:
        out += struct.pack("<H", token | value)
        return half
    out += struct.pack("<H", token | 7)
    rest = value - 7
    nibble = min(rest, 15)
    if half < 0:
        half = len(out)
        out.append(nibble)
    else:
        out[half] |= nibble << 4
        half = -1
    if rest >= 15:
        rest -= 15
        if rest < 255:
            out.append(rest)
        else:
            out.append(255)
            if value < 1 << 16:
                out += struct.pack("<H", value)
            else:
                out += struct.pack("<HI", 0, value)
    return half
