"""Predicates built once from the options, identical for every input format.

Different options AND, repeated values of one option OR. The checks are split in two stages:
`raw` needs only what a reader gives (IDs, levels, masks, times, GUIDs), so most records are
rejected before the catalog or the message renderer touches them; `enriched` needs the catalog's
answer (channel fallback, message text).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from wcfevents.catalog import PROVIDER_KEYWORD_BITS, Catalog, UnknownName, level_value
from wcfevents.catalog.tracecodes import is_wcf_trace_source
from wcfevents.model import Event, canonical_guid, canonical_time, guid_or_prefix, is_full_guid

Check = Callable[[Event], bool]
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$", re.IGNORECASE)
_NO_SECONDS = re.compile(r"^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2})(?=$|[Zz+-]|\s)")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class FilterError(ValueError):
    """An option value that cannot be understood; the message says which and why."""


def parse_ids(values: Iterable[str]) -> list[tuple[int, int]]:
    """`4001-4035,214` → [(4001, 4035), (214, 214)]."""
    ranges: list[tuple[int, int]] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            low, sep, high = part.partition("-")
            try:
                first = int(low)
                last = int(high) if sep else first
            except ValueError:
                raise FilterError(f"--id: not an ID or range: {part!r}") from None
            if last < first:
                raise FilterError(f"--id: empty range {part!r}")
            ranges.append((first, last))
    return ranges


def parse_levels(values: Iterable[str]) -> set[int]:
    """Level names or numbers; `warning+` means this level or more severe."""
    wanted: set[int] = set()
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            or_more = part.endswith("+")
            try:
                number = level_value(part.rstrip("+"))
            except UnknownName as exc:
                raise FilterError(f"--level: {exc}") from None
            if or_more and number >= 1:
                wanted.update(range(1, number + 1))
            else:
                wanted.add(number)
    return wanted


def parse_time(value: str, now: datetime | None = None) -> str:
    """ISO 8601 (no offset means UTC) or relative (`15m`, `2h`, `1d` ago) → canonical."""
    text = value.strip()
    match = _RELATIVE.match(text)
    if match:
        now = now or datetime.now(timezone.utc)
        moment = now - timedelta(**{_UNITS[match.group(2).lower()]: float(match.group(1))})
        return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{moment.microsecond:06d}0Z"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        text += "T00:00:00"
    # The minutes-only forms people type: 2024-05-14T08:00, '2024-05-14 08:00', 08:00+02:00.
    text = _NO_SECONDS.sub(r"\1:00", text, count=1)
    canonical = canonical_time(text[:10] + "T" + text[11:] if text[10:11] in "t " else text)
    if canonical is None or not canonical.endswith("Z") or len(canonical) != 28:
        raise FilterError(f"not a time: {value!r} (use ISO 8601 such as 2024-05-01T10:00:00Z, "
                          "or 15m, 2h, 1d)")
    return canonical


@dataclass
class Filters:
    """The user's selection; `build` turns it into two fast predicate chains."""

    ids: list[tuple[int, int]] = field(default_factory=list)
    levels: set[int] = field(default_factory=set)
    keywords: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    providers: list[str] = field(default_factory=list)
    wcf_only: bool = False
    since: str | None = None
    until: str | None = None
    activities: list[str] = field(default_factory=list)
    pids: set[int] = field(default_factory=set)
    grep: list[str] = field(default_factory=list)
    records: set[int] = field(default_factory=set)
    # Filled while reading: an activity prefix that matched two different activities.
    ambiguous: list[str] = field(default_factory=list)

    def _activity_values(self) -> list[str]:
        """The --activity values in canonical form: whole GUIDs, or lowercase starts of one."""
        values = []
        for value in self.activities:
            try:
                values.append(guid_or_prefix(value))
            except ValueError:
                raise FilterError(f"--activity: not an activity ID: {value!r}") from None
        return values

    @property
    def activity_prefixes(self) -> list[str]:
        """The --activity values that are the start of an ID, not a whole one."""
        return [a for a in self._activity_values() if not is_full_guid(a)]

    def build(self, catalog: Catalog) -> tuple[Check | None, Check | None]:
        """(raw check, enriched check); None where nothing needs checking. Cheap checks first."""
        raw: list[Check] = []
        enriched: list[Check] = []
        if self.ids:
            ranges = self.ids
            single = {a for a, b in ranges if a == b}
            spans = [(a, b) for a, b in ranges if a != b]

            def by_id(e: Event) -> bool:
                eid = e.event_id
                if eid is None:
                    return False
                return eid in single or any(a <= eid <= b for a, b in spans)

            raw.append(by_id)
        if self.levels:
            levels = frozenset(self.levels)
            raw.append(lambda e: e.level_value in levels)
        if self.pids:
            pids = frozenset(self.pids)
            raw.append(lambda e: e.process_id in pids)
        if self.wcf_only or self.providers:
            raw.append(self._provider_check(catalog))
        if self.since:
            since = self.since
            raw.append(lambda e: e.timestamp is not None and e.timestamp >= since)
        if self.until:
            until = self.until
            raw.append(lambda e: e.timestamp is not None and e.timestamp <= until)
        if self.records:
            records = frozenset(self.records)
            raw.append(lambda e: e.record_id in records)
        if self.activities:
            raw.append(self._activity_check())
        if self.keywords:
            raw.append(self._keyword_check(catalog))
        if self.channels:
            try:
                channels = frozenset(catalog.channel(c).lower() for c in self.channels)
            except UnknownName:
                channels = frozenset(c.lower() for c in self.channels)
            enriched.append(lambda e: (e.channel or "").lower() in channels
                            or (e.channel or "").lower().rsplit("/", 1)[-1] in channels)
        if self.grep:
            needles = [g.lower() for g in self.grep]
            enriched.append(lambda e: any(n in searchable(e) for n in needles))
        return chain(raw), chain(enriched)

    def quick(self) -> Callable[[int | None, int | None], bool] | None:
        """The ID and level conditions alone, for readers that can test them before decoding."""
        if not self.ids and not self.levels:
            return None
        single = frozenset(a for a, b in self.ids if a == b)
        spans = [(a, b) for a, b in self.ids if a != b]
        levels = frozenset(self.levels)
        check_ids, check_levels = bool(self.ids), bool(self.levels)

        def quick(event_id: int | None, level: int | None) -> bool:
            if check_levels and level not in levels:
                return False
            if check_ids:
                if event_id is None:
                    return False
                return event_id in single or any(a <= event_id <= b for a, b in spans)
            return True

        return quick

    def _activity_check(self) -> Check:
        """ActivityID or RelatedActivityID equal to a GUID or starting with a prefix; a prefix
        that turns out to match two activities is noted in `ambiguous` (and matches the first)."""
        wanted = frozenset(a for a in self._activity_values() if is_full_guid(a))
        prefixes = self.activity_prefixes
        if not prefixes:
            return lambda e: e.activity_id in wanted or e.related_activity_id in wanted
        matched: dict[str, str] = {}
        noted: set[str] = set()

        def by_activity(e: Event) -> bool:
            if e.activity_id in wanted or e.related_activity_id in wanted:
                return True
            hit = False
            for guid in (e.activity_id, e.related_activity_id):
                if not guid:
                    continue
                for prefix in prefixes:
                    if guid.startswith(prefix):
                        first = matched.setdefault(prefix, guid)
                        if first == guid:
                            hit = True
                        elif prefix not in noted:
                            noted.add(prefix)
                            self.ambiguous.append(f"{prefix!r} matches {first} and {guid}")
            return hit

        return by_activity

    def _provider_check(self, catalog: Catalog) -> Check:
        names: set[str] = set()
        guids: set[str] = set()
        if self.wcf_only:
            guids.add(catalog.provider_guid)
            names.add(catalog.provider_name.lower())
        for value in self.providers:
            guid = canonical_guid(value)
            if guid and re.fullmatch(r"[0-9a-f-]{36}", guid):
                guids.add(guid)
            else:
                names.add(value.strip().lower())

        wcf_only = self.wcf_only

        def by_provider(e: Event) -> bool:
            if e.provider_guid in guids:
                return True
            if wcf_only and e.provider_guid is None and is_wcf_trace_source(e.provider):
                return True  # WCF's own trace sources (.svclog)
            return (e.provider or "").lower() in names

        return by_provider

    def _keyword_check(self, catalog: Catalog) -> Check:
        """Matches the record's own keyword bits, or the catalog's documented keywords."""
        try:
            names = [catalog.keyword(k) for k in self.keywords]
        except UnknownName as exc:
            raise FilterError(f"--keyword: {exc}") from None
        mask = 0
        for name in names:
            mask |= catalog.keyword_masks[name]
        documented = frozenset(
            entry.event_id for entry in catalog if set(entry.keywords) & set(names)
        )
        provider_guid = catalog.provider_guid

        def by_keyword(e: Event) -> bool:
            if e.provider_guid != provider_guid and e.provider != catalog.provider_name:
                return False
            recorded = e.keywords_mask
            if recorded is not None and recorded & PROVIDER_KEYWORD_BITS and recorded & mask:
                return True
            return e.event_id in documented

        return by_keyword


def searchable(event: Event) -> str:
    """The text `--grep` looks in: the message and every payload value, lowercased."""
    parts = [event.message or "", event.symbol or ""]
    parts.extend(str(v) for v in event.data.values() if v is not None)
    return "\n".join(parts).lower()


def chain(checks: list[Check]) -> Check | None:
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]
    return lambda e: all(check(e) for check in checks)
