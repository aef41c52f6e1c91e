"""One EVENT_HEADER record → Event: header fields, extended items, payload.

The header gives the provider, descriptor (ID, version, level, task, opcode, keywords), process,
thread, time and activity; extended items the related activity, user SID and terminal session;
the payload is decoded from the catalog's template for WCF events, from its own schema for
TraceLogging events, and kept as hex otherwise.
"""

from __future__ import annotations

from typing import Any

from wcfevents.catalog import Catalog
from wcfevents.model import ZERO_GUID, Event, filetime_to_iso
from wcfevents.sources import QuickCheck
from wcfevents.sources.etl import payload as payloads
from wcfevents.sources.etl import records as rec
from wcfevents.sources.etl import tracelogging
from wcfevents.sources.etl.buffers import BufferInfo

_UNPACK_EVENT = rec.EVENT_HEADER.unpack_from
WCF_ON_DISK = bytes.fromhex("f6f551c60d1c2e498ae1b4efd7c9d503")  # the provider GUID's bytes


class EventDecoder:
    """Decodes event records; keeps the catalog's payload plans and a time-text cache."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._plans: dict[int, payloads.Plan | None] = {}
        self._wcf = WCF_ON_DISK
        self._seconds: dict[int, str] = {}

    def decode(self, buf: bytes, pos: int, info: BufferInfo, ticks: int, name: str,
               quick: QuickCheck | None) -> Event | None:
        """The EVENT_HEADER record at `pos` of a loaded buffer as an Event (None when `quick`
        rejects it); struct.error, ValueError or IndexError when its bytes cannot be one."""
        (size, htype, flags, _prop, tid, pid, _ts, guid, event_id, version, _channel, level,
         opcode, task, keywords, ktime, utime, activity) = _UNPACK_EVENT(buf, pos)
        if quick is not None and not quick(event_id, level):
            return None
        end = pos + size
        start = pos + rec.EVENT_HEADER_SIZE
        extra: dict[str, Any] = {"ProcessorID": info.processor}
        if not flags & rec.FLAG_NO_CPUTIME:
            extra["KernelTime"] = ktime
            extra["UserTime"] = utime
        related = None
        schema = traits = None
        if flags & rec.FLAG_EXTENDED_INFO:
            items, start = rec.extended_items(buf, start, end)
            for kind, item in items:
                if kind == rec.EXT_RELATED_ACTIVITYID and len(item) >= 16:
                    related = payloads.guid_text(item[:16])
                elif kind == rec.EXT_SID and item:
                    extra["UserID"] = payloads.sid_text(item)
                elif kind == rec.EXT_TS_ID and len(item) >= 4:
                    extra["SessionID"] = int.from_bytes(item[:4], "little")
                elif kind == rec.EXT_EVENT_SCHEMA_TL:
                    schema = item
                elif kind == rec.EXT_PROV_TRAITS:
                    traits = item
        data_bytes = buf[start:end]
        pointer = 4 if (htype & 0xFF) == rec.EVENT_HEADER32 else 8
        provider = None
        data: dict[str, Any] = {}
        if guid == self._wcf:
            plan = self._plan(event_id)
            if plan is not None:
                data, missing, rest = payloads.decode(plan, data_bytes, pointer)
                if missing:
                    extra["PayloadMissing"] = missing
                if rest:
                    extra["PayloadExtra"] = rest.hex()
            elif data_bytes:
                extra["Payload"] = data_bytes.hex()
        elif schema is not None:
            decoded = tracelogging.decode(schema, data_bytes, pointer)
            if decoded is None:
                extra["Payload"] = data_bytes.hex()
            else:
                extra["EventName"], data, rest = decoded
                if rest:
                    extra["PayloadExtra"] = rest.hex()
            if traits is not None:
                provider = traits_name(traits)
        elif flags & rec.FLAG_STRING_ONLY:
            data = {"1": payloads.read_unicode(data_bytes, 0)[0] if data_bytes else None}
        elif data_bytes:
            extra["Payload"] = data_bytes.hex()
        activity_text = payloads.guid_text(activity)
        return Event(
            record_id=None,
            timestamp=self._iso(ticks),
            provider=provider,
            provider_guid=payloads.guid_text(guid),
            event_id=event_id,
            version=version,
            level_value=level,
            task_id=task,
            opcode_id=opcode,
            keywords_mask=keywords,
            process_id=pid,
            thread_id=tid,
            activity_id=None if activity_text == ZERO_GUID else activity_text,
            related_activity_id=None if related in (None, ZERO_GUID) else related,
            data=data,
            extra=extra,
            source=name,
        )

    def _plan(self, event_id: int) -> payloads.Plan | None:
        if event_id not in self._plans:
            entry = self.catalog.by_id(event_id)
            self._plans[event_id] = None if entry is None else payloads.plan(
                [(f.name, f.type) for f in entry.fields])
        return self._plans[event_id]

    def _iso(self, ticks: int) -> str | None:
        """FILETIME ticks as the canonical text, the whole-second part memoised."""
        second, rest = divmod(ticks, 10_000_000)
        prefix = self._seconds.get(second)
        if prefix is None:
            text = filetime_to_iso(second * 10_000_000)
            if text is None:
                return None
            prefix = text[:19]
            if len(self._seconds) > 4096:
                self._seconds.clear()
            self._seconds[second] = prefix
        return f"{prefix}.{rest:07d}Z"

def traits_name(traits: bytes) -> str | None:
    """The provider name in a PROV_TRAITS item: size, then a NUL-terminated UTF-8 name."""
    end = traits.find(b"\x00", 2)
    if end <= 2:
        return None
    return traits[2:end].decode("utf-8", "replace")
