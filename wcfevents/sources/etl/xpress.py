"""XPRESS "plain LZ77" decompression (MS-XCA section 2.4), the format of compressed ETW buffers.

Relogged .etl files (and sessions with EVENT_TRACE_COMPRESSED_MODE) store each buffer's records
compressed this way. The stream is a sequence of 32-bit flag words, most significant bit first:
a 0 bit is one literal byte, a 1 bit a match (16-bit offset/length, then extra length bytes with
a nibble shared between two matches). Literal runs and non-overlapping matches are copied as
slices, so the cost is per token, not per byte.
"""

from __future__ import annotations


class XpressError(ValueError):
    """The compressed bytes are damaged (a match before the start, a length past the end)."""


def decompress(src: bytes | memoryview, size: int) -> bytes:
    """Inflate `src`; stops at the end of the input or after `size` bytes, whichever is first."""
    return inflate(src, size)[0]


def inflate(src: bytes | memoryview, size: int) -> tuple[bytes, int]:
    """`decompress`, and how many input bytes it took (a buffer whose XPRESS data ends well
    before its BufferSize holds more than itself)."""
    out = bytearray()
    n = len(src)
    i = 0
    flags = 0
    count = 0
    half = -1  # position of the byte whose high nibble the next long match uses
    while len(out) < size:
        if count == 0:
            if i + 4 > n:
                break
            flags = src[i] | src[i + 1] << 8 | src[i + 2] << 16 | src[i + 3] << 24
            i += 4
            count = 32
        # A run of 0 bits: that many literal bytes at once.
        bits = flags & ((1 << count) - 1)
        run = count if bits == 0 else count - bits.bit_length()
        if run:
            take = min(run, n - i, size - len(out))
            out += src[i:i + take]
            i += take
            count -= take
            if take < run:
                break  # input or output exhausted inside a literal run
            continue
        count -= 1
        if i >= n:
            break  # the end marker: a match bit with no input left
        if i + 2 > n:
            raise XpressError(f"match cut short at input byte {i}")
        token = src[i] | src[i + 1] << 8
        i += 2
        length = token & 7
        offset = (token >> 3) + 1
        if length == 7:
            if half < 0:
                if i >= n:
                    raise XpressError(f"length nibble missing at input byte {i}")
                length = src[i] & 15
                half = i
                i += 1
            else:
                length = src[half] >> 4
                half = -1
            if length == 15:
                if i >= n:
                    raise XpressError(f"length byte missing at input byte {i}")
                length = src[i]
                i += 1
                if length == 255:
                    if i + 2 > n:
                        raise XpressError(f"length word missing at input byte {i}")
                    length = src[i] | src[i + 1] << 8
                    i += 2
                    if length == 0:
                        if i + 4 > n:
                            raise XpressError(f"length dword missing at input byte {i}")
                        length = int.from_bytes(src[i:i + 4], "little")
                        i += 4
                    if length < 22:
                        raise XpressError(f"impossible match length at input byte {i}")
                    length -= 22
                length += 15
            length += 7
        length += 3
        start = len(out) - offset
        if start < 0:
            raise XpressError(f"match reaches {-start} bytes before the start (input byte {i})")
        length = min(length, size - len(out))
        if offset >= length:
            out += out[start:start + length]
        else:  # overlapping: the last `offset` bytes repeat
            pattern = bytes(out[start:])
            out += (pattern * (length // offset + 1))[:length]
    return bytes(out), i
