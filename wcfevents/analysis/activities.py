"""Activities: events grouped by ActivityID, linked by transfers, the way Service Trace Viewer does.

WCF writes event 499 (TransferEmitted) from the activity it leaves: the record's ActivityID is the
parent and its RelatedActivityID the child. A Start event that carries a RelatedActivityID is
written in the new activity and names its parent the other way round. One pass keeps per-activity
state only; the timeline of one chosen activity keeps that activity's events and its children's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wcfevents.analysis.summary import Span, severity_rank
from wcfevents.model import Event, iso_to_filetime

TRANSFER_EMITTED = 499
START_OPCODE = 1
NO_ACTIVITY = "00000000-0000-0000-0000-000000000000"
# What an activity was doing, from the first event that tells: (event IDs, template).
DESCRIBERS: tuple[tuple[frozenset[int], tuple[str, ...]], ...] = (
    (frozenset({217, 218}), ("Action", "ContractName")),
    (frozenset({205, 214}), ("MethodName",)),
)
URI_FIELDS = ("Uri", "via", "Via", "uri", "Destination", "ListenUri", "EndpointAddress")


@dataclass
class Activity:
    """What is known of one activity so far."""

    activity_id: str
    span: Span = field(default_factory=Span)
    event_count: int = 0
    worst_rank: int = 99
    worst_level: str | None = None
    errors: int = 0
    warnings: int = 0
    description: str | None = None
    described_by_rank: int = 99
    parent: str | None = None
    children: list[str] = field(default_factory=list)

    @property
    def first(self) -> str | None:
        return self.span.first

    @property
    def last(self) -> str | None:
        return self.span.last

    @property
    def duration_ms(self) -> float | None:
        if self.first is None or self.last is None:
            return None
        return round((iso_to_filetime(self.last) - iso_to_filetime(self.first)) / 10_000, 4)

    @property
    def failed(self) -> bool:
        return self.errors > 0

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON form of one activity."""
        return {
            "activity_id": self.activity_id,
            "first": self.first,
            "last": self.last,
            "duration_ms": self.duration_ms,
            "event_count": self.event_count,
            "worst_level": self.worst_level,
            "errors": self.errors,
            "warnings": self.warnings,
            "description": self.description,
            "parent": self.parent,
            "children": list(self.children),
        }


def describe(event: Event) -> tuple[int, str] | None:
    """(priority, text) saying what an event shows its activity doing; lower priority wins."""
    data = event.data
    for rank, (ids, names) in enumerate(DESCRIBERS):
        if event.event_id in ids:
            values = [str(data[n]) for n in names if data.get(n)]
            if values:
                return rank, " · ".join(values)
    for name in URI_FIELDS:
        value = data.get(name)
        if value:
            return len(DESCRIBERS), str(value)
    if event.symbol:
        return len(DESCRIBERS) + 1, event.symbol
    return None


class ActivityTracker:
    """Feeds on events one at a time; holds one small record per activity."""

    def __init__(self, focus: str | None = None) -> None:
        self.activities: dict[str, Activity] = {}
        self.without_activity = 0
        self.focus = focus
        self.focus_members: set[str] = {focus} if focus else set()
        self.timeline: list[Event] = []

    def _get(self, activity_id: str) -> Activity:
        activity = self.activities.get(activity_id)
        if activity is None:
            activity = self.activities[activity_id] = Activity(activity_id)
        return activity

    def _link(self, parent: str, child: str) -> None:
        if parent == child:
            return
        parent_activity = self._get(parent)
        if child not in parent_activity.children:
            parent_activity.children.append(child)
        child_activity = self._get(child)
        if child_activity.parent is None:
            child_activity.parent = parent
        if parent in self.focus_members:
            self.focus_members.add(child)

    def add(self, event: Event) -> None:
        activity_id = event.activity_id
        if activity_id is None or activity_id == NO_ACTIVITY:
            self.without_activity += 1
            return
        activity = self._get(activity_id)
        activity.event_count += 1
        activity.span.add(event.timestamp)
        rank = severity_rank(event.level_value)
        if rank < activity.worst_rank:
            activity.worst_rank, activity.worst_level = rank, event.level
        if event.level_value in (1, 2):
            activity.errors += 1
        elif event.level_value == 3:
            activity.warnings += 1
        if activity.described_by_rank > 0:  # 0 is the best description there is
            told = describe(event)
            if told is not None and told[0] < activity.described_by_rank:
                activity.described_by_rank, activity.description = told
        related = event.related_activity_id
        if related and related != NO_ACTIVITY:
            if event.event_id == TRANSFER_EMITTED:
                self._link(activity_id, related)
            elif event.opcode_id == START_OPCODE:
                self._link(related, activity_id)
        if self.focus_members and activity_id in self.focus_members:
            self.timeline.append(event)

    def ranked(self) -> list[Activity]:
        """Failing activities first, then the slowest."""
        return sorted(self.activities.values(),
                      key=lambda a: (a.worst_rank, -(a.duration_ms or 0.0), a.first or ""))


def track(events: Iterable[Event], focus: str | None = None) -> ActivityTracker:
    tracker = ActivityTracker(focus)
    for event in events:
        tracker.add(event)
    return tracker
