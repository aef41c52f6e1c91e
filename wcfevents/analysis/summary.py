"""What a trace holds, in one pass: counts by event, level, keyword, provider and channel."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wcfevents.analysis.hints import HINTED, TROUBLE_LEVELS, Hint, hint
from wcfevents.model import Event

# Errors first: Critical, Error, Warning, then the rest; LogAlways (0) is not a severity.
SEVERITY_ORDER = {1: 0, 2: 1, 3: 2, 4: 3, 0: 4, 5: 5}


def severity_rank(level_value: int | None) -> int:
    return SEVERITY_ORDER.get(level_value if level_value is not None else 4, 6)


@dataclass
class Span:
    """The first and last timestamp seen (canonical times compare as text)."""

    first: str | None = None
    last: str | None = None

    def add(self, stamp: str | None) -> None:
        if stamp is None:
            return
        if self.first is None or stamp < self.first:
            self.first = stamp
        if self.last is None or stamp > self.last:
            self.last = stamp


@dataclass
class Summary:
    """Counters only: memory grows with the number of distinct events, not with records."""

    by_event: Counter[tuple[str | None, int | None]] = field(default_factory=Counter)
    names: dict[tuple[str | None, int | None], tuple[str | None, str | None, int | None]] = field(
        default_factory=dict)
    levels: Counter[str] = field(default_factory=Counter)
    keywords: Counter[str] = field(default_factory=Counter)
    providers: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    span: Span = field(default_factory=Span)
    # (event ID, symbol, cause) → count and the hint's text: one entry per distinct cause.
    hint_counts: Counter[tuple[int, str, str]] = field(default_factory=Counter)
    hint_texts: dict[tuple[int, str, str], Hint] = field(default_factory=dict)

    def add(self, event: Event) -> None:
        key = (event.provider, event.event_id)
        self.by_event[key] += 1
        if key not in self.names:
            self.names[key] = (event.symbol, event.level, event.level_value)
        self.levels[event.level or str(event.level_value)] += 1
        for keyword in event.keywords:
            self.keywords[keyword] += 1
        self.providers[event.provider or event.provider_guid or "(unknown)"] += 1
        self.channels[event.channel or "(none)"] += 1
        self.span.add(event.timestamp)
        if event.event_id in HINTED and event.level_value in TROUBLE_LEVELS:
            found = hint(event)
            if found is not None:
                hint_key = (event.event_id, event.symbol or "", found.cause)
                self.hint_counts[hint_key] += 1
                self.hint_texts.setdefault(hint_key, found)

    @property
    def first(self) -> str | None:
        return self.span.first

    @property
    def last(self) -> str | None:
        return self.span.last

    def events(self) -> list[dict[str, Any]]:
        """Per event ID, errors and warnings first, then by count."""
        rows = []
        for (provider, event_id), count in self.by_event.items():
            symbol, level, level_value = self.names[(provider, event_id)]
            rows.append({"event_id": event_id, "symbol": symbol, "level": level,
                         "provider": provider, "count": count, "_rank": severity_rank(level_value)})
        rows.sort(key=lambda r: (r["_rank"], -r["count"], r["event_id"] or 0))
        for row in rows:
            del row["_rank"]
        return rows

    def hints(self) -> list[dict[str, Any]]:
        """One per distinct cause of trouble, with how many events showed it; most first."""
        found = [{"event_id": event_id, "symbol": symbol, "cause": cause or None,
                  "count": count, "hint": self.hint_texts[(event_id, symbol, cause)].text}
                 for (event_id, symbol, cause), count in self.hint_counts.items()]
        found.sort(key=lambda h: (-h["count"], h["event_id"], h["cause"] or ""))
        return found

    def to_dict(self, records: dict[str, int]) -> dict[str, Any]:
        """The documented JSON form."""
        return {
            "events": self.events(),
            "levels": dict(self.levels.most_common()),
            "keywords": dict(self.keywords.most_common()),
            "providers": dict(self.providers.most_common()),
            "channels": dict(self.channels.most_common()),
            "first": self.first,
            "last": self.last,
            "records": records,
            "hints": self.hints(),
        }


def summarize(events: Iterable[Event]) -> Summary:
    summary = Summary()
    for event in events:
        summary.add(event)
    return summary
