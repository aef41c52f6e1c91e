"""Activities: events grouped by ActivityID, linked by transfers, the way Service Trace Viewer does.

WCF writes a transfer (ETW event 499 TransferEmitted, or an .svclog record of SubType Transfer)
from the activity it leaves: the record's ActivityID is the parent and its RelatedActivityID the
child. A Start event that carries a RelatedActivityID is written in the new activity and names
its parent the other way round. WCF also transfers back to where it came from; so links form a
tree: the first link into an activity wins, and a link to the activity itself or to one of its
ancestors links nothing (no trace yields a cycle). An .svclog Start names its activity
(ActivityName). Inputs join by ActivityID, so a trace log and its message log, or a service's
log and its client's, give one activity per request. One pass keeps per-activity state only; the
timeline of one chosen activity keeps that activity's events and its descendants'.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from wcfevents.analysis.summary import Span, severity_rank
from wcfevents.model import Event, is_full_guid, iso_to_filetime

TRANSFER_EMITTED = 499
START_OPCODE = 1
TRANSFER_SUBTYPE = "Transfer"  # .svclog activity records carry their SubType as the opcode
START_SUBTYPE = "Start"
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
    name: str | None = None  # the first Start's ActivityName (.svclog)
    # (time, message) of the first Critical or Error event: its own, and its subtree's.
    own_error: tuple[str, str] | None = None
    first_error: tuple[str, str] | None = None

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
        try:
            return round((iso_to_filetime(self.last) - iso_to_filetime(self.first)) / 10_000, 4)
        except ValueError:  # a record's time as written was not a time (kept as it is)
            return None

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
            "name": self.name,
            "parent": self.parent,
            "children": list(self.children),
            "first_error": self.first_error[1] if self.first_error else None,
        }


def transfer_target(event: Event) -> str | None:
    """The activity a transfer record moves to (ETW 499 or an .svclog Transfer), else None."""
    related = event.related_activity_id
    if not related or related == NO_ACTIVITY:
        return None
    if event.event_id == TRANSFER_EMITTED or event.opcode == TRANSFER_SUBTYPE:
        return related
    return None


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
        whole = focus is not None and is_full_guid(focus)
        # A focus given as the start of an ID follows every activity that starts so.
        self.focus_prefix = None if whole else focus
        self.focus_members: set[str] = {focus} if whole and focus else set()
        self.timeline: list[Event] = []

    def _get(self, activity_id: str) -> Activity:
        activity = self.activities.get(activity_id)
        if activity is None:
            activity = self.activities[activity_id] = Activity(activity_id)
        return activity

    def _is_ancestor(self, candidate: str, activity_id: str) -> bool:
        """Whether `candidate` is `activity_id` or lies on its parent chain."""
        seen: set[str] = set()
        current: str | None = activity_id
        while current is not None and current not in seen:
            if current == candidate:
                return True
            seen.add(current)
            known = self.activities.get(current)
            current = known.parent if known else None
        return False

    def _link(self, parent: str, child: str) -> None:
        """Make `parent` the parent of `child` unless the child has one already or the link
        would close a cycle (a transfer back to where WCF came from)."""
        child_activity = self._get(child)
        if child_activity.parent is not None or self._is_ancestor(child, parent):
            return
        self._get(parent).children.append(child)
        child_activity.parent = parent
        if parent in self.focus_members:
            self._add_focus(child)

    def _add_focus(self, activity_id: str) -> None:
        """The chosen activity's descendants join its timeline (already linked ones too)."""
        pending = [activity_id]
        while pending:
            current = pending.pop()
            if current in self.focus_members:
                continue
            self.focus_members.add(current)
            pending.extend(self.activities[current].children)

    def add(self, event: Event) -> None:
        activity_id = event.activity_id
        if activity_id is None or activity_id == NO_ACTIVITY:
            self.without_activity += 1
            return
        if self.focus_prefix and activity_id.startswith(self.focus_prefix):
            self.focus_members.add(activity_id)
        activity = self._get(activity_id)
        activity.event_count += 1
        activity.span.add(event.timestamp)
        rank = severity_rank(event.level_value)
        if rank < activity.worst_rank:
            activity.worst_rank, activity.worst_level = rank, event.level
        if event.level_value in (1, 2):
            activity.errors += 1
            stamp = event.timestamp or ""
            if activity.own_error is None or stamp < activity.own_error[0]:
                text = event.message or event.symbol or f"event {event.event_id}"
                activity.own_error = (stamp, text)
        elif event.level_value == 3:
            activity.warnings += 1
        if activity.described_by_rank > 0:  # 0 is the best description there is
            told = describe(event)
            if told is not None and told[0] < activity.described_by_rank:
                activity.described_by_rank, activity.description = told
        if event.opcode == START_SUBTYPE and activity.name is None:
            name = event.data.get("ActivityName")
            if isinstance(name, str) and name:
                activity.name = name
        target = transfer_target(event)
        related = event.related_activity_id
        if target is not None:
            self._link(activity_id, target)
        elif related and related != NO_ACTIVITY and event.opcode_id == START_OPCODE:
            self._link(related, activity_id)
        if self.focus_members and activity_id in self.focus_members:
            self.timeline.append(event)

    def matching(self, prefix: str) -> list[str]:
        """The activity IDs that start with a prefix (a short ID as tables show it)."""
        return sorted(a for a in self.activities if a.startswith(prefix))

    def settle(self) -> None:
        """Give every activity the first error of its subtree (its own or a descendant's).
        Depth-first without recursion: a hostile trace may chain transfers very deep."""
        done: dict[str, tuple[str, str] | None] = {}
        activities = self.activities
        for root in activities:
            if root in done:
                continue
            stack = [(root, iter(activities[root].children))]
            path = {root}
            while stack:
                node, children = stack[-1]
                child = next(children, None)
                if child is not None:
                    if child not in done and child not in path and child in activities:
                        path.add(child)
                        stack.append((child, iter(activities[child].children)))
                    continue
                stack.pop()
                path.discard(node)
                best = activities[node].own_error
                for kid in activities[node].children:
                    found = done.get(kid)
                    if found is not None and (best is None or found[0] < best[0]):
                        best = found
                done[node] = activities[node].first_error = best

    def ranked(self) -> list[Activity]:
        """Failing activities first, then the slowest."""
        self.settle()
        return sorted(self.activities.values(),
                      key=lambda a: (a.worst_rank, -(a.duration_ms or 0.0), a.first or ""))


def track(events: Iterable[Event], focus: str | None = None) -> ActivityTracker:
    tracker = ActivityTracker(focus)
    for event in events:
        tracker.add(event)
    return tracker
