"""What the report shows, gathered in one pass: the summary, the activities, a timeline and the
events that matter, with memory bounded by the caps below whatever the size of the trace.

The summary and the activities are `wcfevents.analysis`'s own counters, fed the same events, so
the report's figures are `summary`'s and `activities`' figures. Large .evtx files are decoded by
worker processes (wcfevents.parallel): each window of chunks fills its own Collector, and the
windows are merged in file order, which gives the same counters a single pass would.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from wcfevents.analysis.activities import NO_ACTIVITY, Activity, ActivityTracker
from wcfevents.analysis.hints import hint
from wcfevents.analysis.summary import Summary
from wcfevents.model import Event

# Caps: the page embeds aggregates plus these events, never every record of a large trace.
HEAD_EVENTS = 1000  # the first events of the trace, whatever they are
MAX_ISSUES = 2000  # errors (Critical, Error) and warnings; the count beyond is shown
ACTIVITIES_WITH_EVENTS = 100  # the first activities seen keep their events …
EVENTS_PER_ACTIVITY = 100  # … up to this many each
MAX_ACTIVITIES = 2000  # activities drawn in the Gantt view (failing and slowest first)
MAX_TEXT = 2000  # characters of one message or payload value
MAX_FIELDS = 64  # payload fields of one event
MAX_DAMAGE = 100  # damage lines listed
TIMELINE_BUCKETS = 20000  # distinct time buckets before the timeline coarsens

CAPS = {
    "head_events": HEAD_EVENTS, "issues": MAX_ISSUES,
    "activities_with_events": ACTIVITIES_WITH_EVENTS,
    "events_per_activity": EVENTS_PER_ACTIVITY, "activities": MAX_ACTIVITIES,
    "text_chars": MAX_TEXT, "payload_fields": MAX_FIELDS, "damage_lines": MAX_DAMAGE,
    "timeline_buckets": TIMELINE_BUCKETS,
}

# Timeline resolutions, finest first: the length of the timestamp prefix and its width in ms.
_WIDTHS = ((23, 1), (22, 10), (21, 100), (19, 1000), (16, 60_000), (13, 3_600_000),
           (10, 86_400_000))
_PAD = "0000-01-01T00:00:00.000"
# Columns of a timeline bucket: LogAlways, Critical, Error, Warning, Information, Verbose, other.
LEVEL_COLUMNS = ("LogAlways", "Critical", "Error", "Warning", "Information", "Verbose", "Other")


@dataclass
class Timeline:
    """Events per time bucket and level; the buckets coarsen (ms → day) as they grow, so the
    finest resolution that fits TIMELINE_BUCKETS wins whatever order the events come in."""

    resolution: int = 0  # index into _WIDTHS
    buckets: dict[str, list[int]] = field(default_factory=dict)
    width: int = _WIDTHS[0][0]  # the prefix length of the current resolution

    def add(self, stamp: str | None, level_value: int | None) -> None:
        key = stamp[:self.width] if stamp else ""
        row = self.buckets.get(key)
        if row is None:
            if len(self.buckets) >= TIMELINE_BUCKETS and self.resolution < len(_WIDTHS) - 1:
                self._coarsen(self.resolution + 1)
                self.add(stamp, level_value)
                return
            row = self.buckets[key] = [0] * len(LEVEL_COLUMNS)
        row[level_value if level_value is not None and 0 <= level_value <= 5 else 6] += 1

    def _coarsen(self, resolution: int) -> None:
        width = _WIDTHS[resolution][0]
        coarse: dict[str, list[int]] = {}
        for key, row in self.buckets.items():
            into = coarse.setdefault(key[:width], [0] * len(LEVEL_COLUMNS))
            for index, count in enumerate(row):
                into[index] += count
        self.resolution, self.buckets, self.width = resolution, coarse, width

    def merge(self, other: Timeline) -> None:
        if other.resolution > self.resolution:
            self._coarsen(other.resolution)
        width = _WIDTHS[self.resolution][0]
        for key, row in other.buckets.items():
            into = self.buckets.setdefault(key[:width], [0] * len(LEVEL_COLUMNS))
            for index, count in enumerate(row):
                into[index] += count
        while len(self.buckets) > TIMELINE_BUCKETS and self.resolution < len(_WIDTHS) - 1:
            self._coarsen(self.resolution + 1)

    def to_dict(self) -> dict[str, Any]:
        """Buckets as [start ms since 1970, counts…], sorted; keys that are no time are counted
        apart (a damaged or hostile timestamp)."""
        width, step = _WIDTHS[self.resolution]
        bins: list[list[int]] = []
        untimed = 0
        for key, row in self.buckets.items():
            start = _epoch_ms(key, width)
            if start is None:
                untimed += sum(row)
            else:
                bins.append([start, *row])
        bins.sort()
        return {"step_ms": step, "levels": list(LEVEL_COLUMNS), "bins": bins,
                "untimed": untimed}


def _epoch_ms(key: str, width: int) -> int | None:
    if len(key) != width:
        return None
    try:
        moment = datetime.fromisoformat(key + _PAD[width:]).replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return int(moment.timestamp() * 1000)


def clip(value: Any) -> Any:
    """A value for the page: text cut at MAX_TEXT characters; numbers and booleans as they are;
    anything else as its text."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + f"… [{len(text):,} characters]"


def event_row(event: Event) -> dict[str, Any]:
    """The fields the page shows of one event (values clipped; payload capped)."""
    data = event.data
    payload = {str(k)[:200]: clip(v) for k, v in list(data.items())[:MAX_FIELDS]}
    if len(data) > MAX_FIELDS:
        payload["…"] = f"{len(data) - MAX_FIELDS} more fields"
    advice = hint(event)
    return {
        "record_id": event.record_id, "timestamp": clip(event.timestamp),
        "event_id": event.event_id, "symbol": event.symbol, "level": event.level,
        "level_value": event.level_value, "keywords": list(event.keywords),
        "channel": clip(event.channel), "provider": clip(event.provider or event.provider_guid),
        "computer": clip(event.computer), "process_id": event.process_id,
        "thread_id": event.thread_id, "activity_id": clip(event.activity_id),
        "related_activity_id": clip(event.related_activity_id), "message": clip(event.message),
        "data": payload, "source": clip(event.source),
        "hint": advice.text if advice is not None else None,
    }


class Collector:
    """One pass over the matched events: Summary and ActivityTracker fed as `summary` and
    `activities` feed them, the timeline, and the capped lists of events to embed (by ordinal,
    the event's position among the matched events)."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.summary = Summary()
        self.tracker = ActivityTracker()
        self.timeline = Timeline()
        self.count = 0
        self.rows: dict[int, dict[str, Any]] = {}
        self.head: list[int] = []
        self.issues: list[int] = []
        self.issues_total = 0
        self.activity_events: dict[str, list[int]] = {}

    def add(self, event: Event) -> None:
        ordinal = self.count
        self.count += 1
        self.summary.add(event)
        self.tracker.add(event)
        level_value = event.level_value
        self.timeline.add(event.timestamp, level_value)
        keep = False
        limits = self.limits
        if ordinal < HEAD_EVENTS and limits.head:
            self.head.append(ordinal)
            keep = True
        if level_value is not None and 1 <= level_value <= 3:
            self.issues_total += 1
            if len(self.issues) < MAX_ISSUES and limits.issues:
                self.issues.append(ordinal)
                keep = True
        activity_id = event.activity_id
        if activity_id and activity_id != NO_ACTIVITY:
            members = self.activity_events.get(activity_id)
            if (members is None and len(self.activity_events) < ACTIVITIES_WITH_EVENTS
                    and (limits.open_activities is None
                         or activity_id in limits.open_activities)):
                members = self.activity_events[activity_id] = []
            if members is not None and len(members) < EVENTS_PER_ACTIVITY:
                members.append(ordinal)
                keep = True
        if keep:
            self.rows[ordinal] = event_row(event)

    def feed(self, events: Iterable[Event]) -> Collector:
        for event in events:
            self.add(event)
        return self

    def merge(self, other: Collector) -> None:
        """Take in the collection of the events that came after this one's (a later window)."""
        offset = self.count
        self.count += other.count
        self.summary.merge(other.summary)
        _merge_tracker(self.tracker, other.tracker)
        self.timeline.merge(other.timeline)
        taken = other.head[:max(HEAD_EVENTS - len(self.head), 0)]
        self.head.extend(o + offset for o in taken)
        issues = other.issues[:max(MAX_ISSUES - len(self.issues), 0)]
        self.issues.extend(o + offset for o in issues)
        self.issues_total += other.issues_total
        wanted = {*taken, *issues}
        for activity_id, ordinals in other.activity_events.items():
            members = self.activity_events.get(activity_id)
            if members is None:
                if len(self.activity_events) >= ACTIVITIES_WITH_EVENTS:
                    continue
                members = self.activity_events[activity_id] = []
            more = ordinals[:max(EVENTS_PER_ACTIVITY - len(members), 0)]
            members.extend(o + offset for o in more)
            wanted.update(more)
        # Only the rows that made it into a list: memory stays within the caps.
        self.rows.update((o + offset, other.rows[o]) for o in wanted)

    def absorb(self, block: bytes) -> None:
        """A window's collection from a worker (see Feed); empty blocks are progress ticks."""
        if block:
            self.merge(pickle.loads(block))

    def kept(self) -> list[int]:
        """The ordinals of every embedded event, in trace order (unreferenced rows dropped)."""
        wanted = set(self.head) | set(self.issues)
        for ordinals in self.activity_events.values():
            wanted.update(ordinals)
        return sorted(wanted)

    def shown_activities(self) -> list[Activity]:
        """The MAX_ACTIVITIES first of `activities`' ranking (failing, then slowest), plus the
        ancestors that place them in their transfer tree, plus those whose events are kept."""
        activities = self.tracker.activities
        chosen: dict[str, Activity] = {}
        for activity in self.tracker.ranked()[:MAX_ACTIVITIES]:
            chosen[activity.activity_id] = activity
        for activity_id in self.activity_events:
            if activity_id in activities:
                chosen.setdefault(activity_id, activities[activity_id])
        for activity in list(chosen.values()):
            parent = activity.parent
            while parent is not None and parent not in chosen and parent in activities:
                chosen[parent] = activities[parent]
                parent = activities[parent].parent
        return list(chosen.values())


def _merge_tracker(into: ActivityTracker, other: ActivityTracker) -> None:
    """Later events' activities into earlier ones': counts add, the first error, name, link and
    best description win, as in one pass over both. The later window's transfer links are
    replayed through the tracker's own rule (the first link into an activity wins; none may
    close a cycle), parent by parent in the order each made them."""
    into.without_activity += other.without_activity
    theirs_all = other.activities
    links = [(parent, child) for parent, activity in theirs_all.items()
             for child in activity.children if theirs_all[child].parent == parent]
    for activity_id, theirs in theirs_all.items():
        mine = into.activities.get(activity_id)
        if mine is None:
            theirs.parent, theirs.children = None, []
            into.activities[activity_id] = theirs
            continue
        mine.event_count += theirs.event_count
        mine.span.add(theirs.first)
        mine.span.add(theirs.last)
        if theirs.worst_rank < mine.worst_rank:
            mine.worst_rank, mine.worst_level = theirs.worst_rank, theirs.worst_level
        mine.errors += theirs.errors
        mine.warnings += theirs.warnings
        if theirs.own_error is not None and (mine.own_error is None
                                             or theirs.own_error[0] < mine.own_error[0]):
            mine.own_error = theirs.own_error
        if theirs.described_by_rank < mine.described_by_rank:
            mine.described_by_rank, mine.description = (theirs.described_by_rank,
                                                         theirs.description)
        if mine.name is None:
            mine.name = theirs.name
    for parent, child in links:
        into._link(parent, child)


@dataclass(frozen=True)
class Limits:
    """Which events a window in a worker may still need to keep rows for. Merging is in order
    and the lists only grow, so once the collector's head, issues or set of activities is full,
    a later window's candidates would be dropped at the merge: the worker need not build them."""

    head: bool = True
    issues: bool = True
    open_activities: frozenset[str] | None = None  # None: any activity may still join

    @classmethod
    def of(cls, collector: Collector) -> Limits:
        activities = dict(collector.activity_events)  # one C-level copy: safe beside a merge
        full = len(activities) >= ACTIVITIES_WITH_EVENTS
        return cls(
            head=len(collector.head) < HEAD_EVENTS,
            issues=len(collector.issues) < MAX_ISSUES,
            open_activities=frozenset(a for a, members in activities.items()
                                      if len(members) < EVENTS_PER_ACTIVITY) if full else None,
        )


class Feed:
    """The `encode` step handed to wcfevents.parallel.encoded.

    In this process it feeds the caller's Collector and returns b"" (a progress tick). Sent to a
    worker process it arrives without the collector, carrying only the Limits of the moment it
    was sent (see __getstate__): there it fills a new Collector with the window's events and
    returns it pickled, for Collector.absorb to merge in order.
    """

    def __init__(self, collector: Collector | None, limits: Limits | None = None) -> None:
        self.collector = collector
        self.limits = limits

    def __call__(self, events: Iterable[Event]) -> bytes:
        if self.collector is not None:
            self.collector.feed(events)
            return b""
        window = Collector(self.limits).feed(events)
        return pickle.dumps(window, protocol=pickle.HIGHEST_PROTOCOL)

    def __getstate__(self) -> dict[str, Any]:
        limits = self.limits if self.collector is None else Limits.of(self.collector)
        return {"limits": limits}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.collector = None
        self.limits = state["limits"]
