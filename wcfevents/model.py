"""The Event record every reader yields, and the canonical forms of its values.

Readers differ on GUID case and braces, time precision, numbers as text and empty attributes;
everything passes through the helpers here so that one trace decodes to the same records whatever
the engine or the export format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

# The public JSON keys of an event, in order (documented in the README).
EVENT_KEYS = (
    "record_id", "timestamp", "provider", "provider_guid", "event_id", "version", "symbol",
    "level", "level_value", "task", "opcode", "keywords", "keywords_mask", "channel", "computer",
    "process_id", "thread_id", "activity_id", "related_activity_id", "message", "data", "extra",
    "source",
)


@dataclass(slots=True)
class Event:
    """One decoded record. Readers fill the raw part; the catalog fills the enrichment part."""

    record_id: int | None = None
    timestamp: str | None = None
    provider: str | None = None
    provider_guid: str | None = None
    event_id: int | None = None
    version: int | None = None
    level_value: int | None = None
    task_id: int | None = None
    opcode_id: int | None = None
    keywords_mask: int | None = None
    channel: str | None = None
    computer: str | None = None
    process_id: int | None = None
    thread_id: int | None = None
    activity_id: str | None = None
    related_activity_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    # Enrichment (catalog and message rendering).
    symbol: str | None = None
    level: str | None = None
    task: str | None = None
    opcode: str | None = None
    keywords: list[str] = field(default_factory=list)
    message: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form: exactly EVENT_KEYS, absent values as None."""
        mask = self.keywords_mask
        return {
            "record_id": self.record_id,
            "timestamp": self.timestamp,
            "provider": self.provider,
            "provider_guid": self.provider_guid,
            "event_id": self.event_id,
            "version": self.version,
            "symbol": self.symbol,
            "level": self.level,
            "level_value": self.level_value,
            "task": self.task if self.task is not None else _number_text(self.task_id),
            "opcode": self.opcode if self.opcode is not None else _number_text(self.opcode_id),
            "keywords": list(self.keywords),
            "keywords_mask": None if mask is None else _MASK_TEXTS.get(mask) or _mask_text(mask),
            "channel": self.channel,
            "computer": self.computer,
            "process_id": self.process_id,
            "thread_id": self.thread_id,
            "activity_id": self.activity_id,
            "related_activity_id": self.related_activity_id,
            "message": self.message,
            "data": self.data,
            "extra": self.extra,
            "source": self.source,
        }


def _number_text(value: int | None) -> str | None:
    """A task or opcode with no known name: its number as text, so each JSON key has one type."""
    return None if value is None else str(value)


def is_field(name: str) -> bool:
    """A key of the JSON form, or a path into the payload or extra (`data.MethodName`)."""
    if name in EVENT_KEYS:
        return True
    head, _dot, rest = name.partition(".")
    return head in ("data", "extra") and bool(rest)


def field_value(record: dict[str, Any], name: str) -> Any:
    """A key of an event's JSON form, or a dotted path into it (`data.MethodName`); None when
    the record does not have it."""
    if name in record:
        return record[name]
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


# -- canonical forms --------------------------------------------------------------------------

_GUID = re.compile(
    r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$"
)
_EPOCH_1601 = datetime(1601, 1, 1, tzinfo=timezone.utc)
_ISO = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?"
    r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?(?:\s*UTC)?$"
)


def canonical_guid(value: Any) -> str | None:
    """Lowercase GUID without braces; None for absent or empty; other text unchanged."""
    if value is None:
        return None
    text = value if type(value) is str else str(value)
    if len(text) == 38 and text[0] == "{" and text[37] == "}" and text[24] == "-":
        return text[1:37].lower()  # the common form, {XXXXXXXX-…}, without the regex
    known = _GUID_TEXTS.get(text)  # activity IDs recur in every event of their activity
    if known is not None:
        return known
    stripped = text.strip()
    if not stripped:
        return None
    match = _GUID.match(stripped)
    result = match.group(1).lower() if match else stripped
    if len(_GUID_TEXTS) >= 8192:
        _GUID_TEXTS.clear()
    _GUID_TEXTS[text] = result
    return result


_GUID_TEXTS: dict[str, str] = {}


ZERO_GUID = "00000000-0000-0000-0000-000000000000"
_GUID_PREFIX = re.compile(r"^[0-9a-f][0-9a-f-]{0,35}$")


def guid_or_prefix(value: str) -> str:
    """A full GUID (canonical) or the start of one as tables show it (`5f0c1c7e`), lowercase;
    ValueError for anything else."""
    text = value.strip().lower().lstrip("{").rstrip("}")
    full = canonical_guid(text)
    if full and len(full) == 36 and _GUID.match(full):
        return full
    if not _GUID_PREFIX.match(text):
        raise ValueError(f"not an activity ID or the start of one: {value!r}")
    return text


def short_ids(ids: Iterable[str], minimum: int = 8) -> dict[str, str]:
    """Each ID's shortest start (at least `minimum` characters) that no other of them shares,
    as tables show them and --activity takes them."""
    ordered = sorted(set(ids))
    needed = [minimum] * len(ordered)
    for index, (a, b) in enumerate(pairwise(ordered)):
        common = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                      min(len(a), len(b)))
        needed[index] = max(needed[index], common + 1)
        needed[index + 1] = max(needed[index + 1], common + 1)
    return {item: item[:size] for item, size in zip(ordered, needed, strict=True)}


def is_full_guid(value: str) -> bool:
    return len(value) == 36 and _GUID.match(value) is not None


def canonical_activity(value: Any) -> str | None:
    """A correlation GUID; all zeros (tracerpt writes them where others write nothing) is None."""
    guid = canonical_guid(value)
    return None if guid == ZERO_GUID else guid


def filetime_to_iso(ticks: int) -> str | None:
    """A FILETIME (100 ns ticks since 1601) as UTC ISO 8601 with 7 fractional digits; None when
    it lies beyond year 9999 (damaged bytes)."""
    seconds, rest = divmod(ticks, 10_000_000)
    text = _SECOND_TEXTS.get(seconds)  # records come in time order: few distinct seconds
    if text is None:
        try:
            moment = _EPOCH_1601 + timedelta(seconds=seconds)
        except OverflowError:
            return None
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
        if len(_SECOND_TEXTS) >= 4096:
            _SECOND_TEXTS.clear()
        _SECOND_TEXTS[seconds] = text
    return f"{text}.{rest:07d}Z"


_SECOND_TEXTS: dict[int, str] = {}


def iso_to_filetime(text: str) -> int:
    """Inverse of filetime_to_iso for any ISO 8601 time the readers meet."""
    canonical = canonical_time(text)
    if canonical is None or len(canonical) != 28:
        raise ValueError(f"not a time: {text!r}")
    c = canonical
    whole = datetime(int(c[0:4]), int(c[5:7]), int(c[8:10]), int(c[11:13]), int(c[14:16]),
                     int(c[17:19]), tzinfo=timezone.utc)
    delta = whole - _EPOCH_1601
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + int(c[20:27])


def canonical_time(value: Any) -> str | None:
    """UTC `YYYY-MM-DDTHH:MM:SS.fffffffZ` from an ISO 8601 string with any offset and precision.

    Digits beyond the seventh are dropped (FILETIME resolution); fewer are padded with zeros.
    Text that is not such a time, or names an impossible date, is returned as it is.
    """
    if value is None:
        return None
    text = str(value).strip()
    if text.endswith(" UTC"):
        text = text[:-4]
    if (len(text) == 28 and text[27] == "Z" and text[10] == "T" and text[19] == "."
            and text[20:27].isdecimal()):
        return text  # already canonical (seven digits: "…000000 Z" is not)
    if 20 < len(text) < 48 and text[-1] == "Z" and text[19] == "." and text[20:-1].isdecimal():
        shape = _UTC_SECONDS.get(text[:19])
        if shape is None:
            shape = _UTC_SECONDS[text[:19]] = _SECONDS_SHAPE.match(text[:19]) is not None
            if len(_UTC_SECONDS) >= 4096:
                _UTC_SECONDS.clear()
        if shape:
            return f"{text[:10]}T{text[11:19]}.{(text[20:-1] + '0000000')[:7]}Z"
    if not text:
        return None
    match = _ISO.match(text)
    if not match:
        return text
    day, clock, fraction, zone = match.groups()
    digits = ((fraction or "") + "0000000")[:7]
    if zone in (None, "Z", "UTC"):
        return f"{day}T{clock}.{digits}Z"
    key = (day, clock, zone)
    moment = _LOCAL_SECONDS.get(key)  # a trace's times share few distinct seconds
    if moment is None:
        offset = _OFFSETS.get(zone)
        if offset is None:
            sign = 1 if zone[0] == "+" else -1
            offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[-2:]))
            if len(_OFFSETS) < 64:
                _OFFSETS[zone] = offset
        try:
            local = datetime(int(day[0:4]), int(day[5:7]), int(day[8:10]), int(clock[0:2]),
                             int(clock[3:5]), int(clock[6:8]))
        except ValueError:
            return text
        utc = local - offset
        moment = (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
                  f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}")
        if len(_LOCAL_SECONDS) >= 4096:
            _LOCAL_SECONDS.clear()
        _LOCAL_SECONDS[key] = moment
    return f"{moment}.{digits}Z"


_OFFSETS: dict[str, timedelta] = {}
_LOCAL_SECONDS: dict[tuple[str, str, str], str] = {}
_UTC_SECONDS: dict[str, bool] = {}
_SECONDS_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}$")


def format_mask(mask: int | None) -> str | None:
    return None if mask is None else f"0x{mask:016x}"


def _mask_text(mask: int) -> str:
    """format_mask, remembered: a trace holds few distinct masks (bounded all the same)."""
    text = f"0x{mask:016x}"
    if len(_MASK_TEXTS) < 1024:
        _MASK_TEXTS[mask] = text
    return text


_MASK_TEXTS: dict[int, str] = {}


def parse_mask(text: Any) -> int | None:
    """parse_int of a Keywords mask, remembered per text: a trace uses few distinct masks."""
    if type(text) is not str:
        return parse_int(text)
    mask = _MASKS.get(text, _MASKS)
    if mask is _MASKS:
        mask = parse_int(text)
        if len(_MASKS) >= 4096:
            _MASKS.clear()
        _MASKS[text] = mask
    return mask  # type: ignore[return-value]


_MASKS: dict[str, int | None] = {}


def parse_int(value: Any) -> int | None:
    """An integer from a number or text (decimal or 0x hex); None when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return int(text, 16) if text[:2].lower() == "0x" else int(text)
    except ValueError:
        return None


def empty_to_none(value: Any) -> Any:
    """Absent values are None, never ''."""
    if value is None:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value
