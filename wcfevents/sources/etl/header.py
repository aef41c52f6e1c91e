"""TRACE_LOGFILE_HEADER: the first record of an .etl file, and the clock it defines.

The header buffer's first record is a SYSTEM_TRACE_HEADER (hook 0x0000) followed by the
TRACE_LOGFILE_HEADER. Its layout depends on the writer's pointer size (two pointers, LoggerName
and LogFileName, sit before the time zone), so the fields after them move by 8 bytes between the
32- and 64-bit forms. Record time stamps are in the session's clock (QPC, system time or CPU
cycles); `Clock` turns them into exact 100 ns FILETIME ticks:
FILETIME = StartTime + (ts − T0) · 10⁷ / frequency, T0 = the header record's own time stamp.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# Version, header type, marker flags, Size, HookId, thread, process, time stamp, kernel, user.
SYSTEM_HEADER = struct.Struct("<HBBHHIIqII")
SYSTEM_HEADER_SIZE = 32
_FIXED = struct.Struct("<IIIIqIIII16s")  # BufferSize … BuffersWritten, then the 16-byte union
_UNION = struct.Struct("<IIII")  # StartBuffers, PointerSize, EventsLost, CpuSpeedInMHz
_TAIL = struct.Struct("<qqqII")  # BootTime, PerfFreq, StartTime, ReservedFlags, BuffersLost
TAIL_OFFSET = {4: 0xF0, 8: 0xF8}  # where BootTime starts, by pointer size
HEADER_SIZE = {4: 0xF0 + _TAIL.size, 8: 0xF8 + _TAIL.size}

CLOCK_QPC, CLOCK_SYSTEM, CLOCK_CYCLES = 1, 2, 3
COMPRESSED_MODE = 0x04000000  # EVENT_TRACE_COMPRESSED_MODE in LogFileMode


class HeaderError(ValueError):
    """The bytes do not hold a log-file header."""


@dataclass(frozen=True, slots=True)
class LogfileHeader:
    buffer_size: int
    version: int
    provider_version: int
    processors: int
    end_time: int
    log_file_mode: int
    buffers_written: int
    pointer_size: int
    events_lost: int
    cpu_mhz: int
    boot_time: int
    perf_freq: int
    start_time: int
    clock_type: int
    buffers_lost: int
    t0: int  # the header record's time stamp, in the session clock
    logger_name: str | None = None

    @property
    def clock(self) -> Clock:
        return Clock(self)


def parse_logfile_header(record: bytes | memoryview) -> LogfileHeader:
    """The header from the bytes of its SYSTEM record (header included)."""
    if len(record) < SYSTEM_HEADER_SIZE + _FIXED.size:
        raise HeaderError("the log-file header record is too short")
    _, kind, marker, size, hook, _, _, t0, _, _ = SYSTEM_HEADER.unpack_from(record, 0)
    if marker & 0xC0 != 0xC0 or kind not in (1, 2) or hook != 0:
        raise HeaderError("the first record is not a log-file header")
    body = SYSTEM_HEADER_SIZE
    (buffer_size, version, provider_version, processors, end_time, _, _, mode, written,
     union) = _FIXED.unpack_from(record, body)
    _, pointer_size, events_lost, cpu_mhz = _UNION.unpack(union)
    if pointer_size not in (4, 8):
        pointer_size = 4 if kind == 1 else 8
    tail = body + TAIL_OFFSET[pointer_size]
    if len(record) < tail + _TAIL.size:
        raise HeaderError("the log-file header record is cut short")
    boot, freq, start, clock_type, buffers_lost = _TAIL.unpack_from(record, tail)
    return LogfileHeader(
        buffer_size, version, provider_version, processors, end_time, mode, written,
        pointer_size, events_lost, cpu_mhz, boot, freq, start, clock_type, buffers_lost, t0,
        _logger_name(record, tail + _TAIL.size, min(size, len(record))),
    )


def _logger_name(record: bytes | memoryview, start: int, end: int) -> str | None:
    """The logger name: the first NUL-terminated UTF-16 string after the header."""
    raw = bytes(record[start:end])
    for stop in range(0, len(raw) - 1, 2):
        if raw[stop] == 0 and raw[stop + 1] == 0:
            return raw[:stop].decode("utf-16-le", "replace") or None
    return None


class Clock:
    """Session time stamps → FILETIME ticks (100 ns since 1601, UTC), exact integer arithmetic."""

    __slots__ = ("base", "freq", "kind", "t0")

    def __init__(self, header: LogfileHeader) -> None:
        self.kind = header.clock_type
        self.base = header.start_time
        self.t0 = header.t0
        if self.kind == CLOCK_CYCLES:
            self.freq = header.cpu_mhz * 1_000_000
        elif self.kind == CLOCK_SYSTEM:
            self.freq = 10_000_000
        else:
            self.freq = header.perf_freq
        if self.kind != CLOCK_SYSTEM and self.freq <= 0:
            raise HeaderError(f"clock type {self.kind} with no frequency in the header")

    def ticks(self, stamp: int) -> int:
        if self.kind == CLOCK_SYSTEM:
            return stamp
        if self.freq == 10_000_000:
            return self.base + stamp - self.t0
        return self.base + (stamp - self.t0) * 10_000_000 // self.freq
