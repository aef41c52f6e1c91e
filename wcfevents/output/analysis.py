"""Summaries and activities as text: rich tables and trees for a terminal, JSON otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

import orjson

from wcfevents.analysis.activities import Activity, ActivityTracker, transfer_target
from wcfevents.analysis.summary import Summary
from wcfevents.model import Event
from wcfevents.output.table import LEVEL_STYLES, visible


def _styled(level: str | None) -> str:
    style = LEVEL_STYLES.get(level or "", "")
    return f"[{style}]{level}[/]" if style and level else (level or "")


def summary_json(summary: Summary, records: dict[str, int], out: IO[bytes]) -> None:
    out.write(orjson.dumps(summary.to_dict(records), option=orjson.OPT_INDENT_2) + b"\n")


def summary_view(summary: Summary, records: dict[str, int]) -> list[Any]:
    """Renderables: the span and accounting, events (errors first), levels, keywords, hints."""
    from rich.table import Table

    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("First", (summary.first or "—").replace("T", " "))
    head.add_row("Last", (summary.last or "—").replace("T", " "))
    head.add_row("Records", f"{records['read']} read, {records['matched']} matched, "
                            f"{records['filtered']} filtered out, {records['lost']} lost")
    parts: list[Any] = [head]

    events = Table(title="Events (errors and warnings first)", title_justify="left",
                   header_style="bold")
    events.add_column("ID", justify="right")
    events.add_column("Symbol")
    events.add_column("Level")
    events.add_column("Provider")
    events.add_column("Count", justify="right")
    for row in summary.events():
        events.add_row(str(row["event_id"]), row["symbol"] or "", _styled(row["level"]),
                       row["provider"] or "", str(row["count"]))
    parts.append(events)

    for title, counter in (("Levels", summary.levels), ("Keywords", summary.keywords),
                           ("Providers", summary.providers), ("Channels", summary.channels)):
        if not counter:
            continue
        table = Table(title=title, title_justify="left", header_style="bold", show_header=False)
        table.add_column(title)
        table.add_column("Count", justify="right")
        for name, count in counter.most_common():
            table.add_row(_styled(name) if title == "Levels" else name, str(count))
        parts.append(table)
    for item in summary.hints():
        parts.append(f"[bold yellow]hint[/] {item['event_id']} {item['symbol']} "
                     f"(×{item['count']}): {item['hint']}")
    return parts


def activities_json(activities: Iterable[Activity], out: IO[bytes]) -> int:
    count = 0
    for activity in activities:
        out.write(orjson.dumps(activity.to_dict()) + b"\n")
        count += 1
    return count


ACTIVITIES_WIDE = 120  # from here the table adds duration, first time and transfers


def activities_table(activities: Iterable[Activity], short: dict[str, str] | None = None,
                     width: int = 160) -> Any:
    """Activities as a table one line each: short IDs (`short`: the start that tells each
    apart, which --activity takes), and each row's first error, so the failing request is found
    from the list; what the activity was doing and the error share the room the rest leaves."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(header_style="bold")
    wide = width >= ACTIVITIES_WIDE
    activities = list(activities)
    short = short or {}
    id_width = max((len(short.get(a.activity_id, a.activity_id)) for a in activities), default=8)
    fixed = [("Activity", id_width, "left"), ("Worst", 11, "left"),
             ("Events", 6, "right")]
    if wide:
        fixed += [("Duration ms", 11, "right"), ("First (UTC)", 18, "left")]
    # Every column takes its width plus 3 (padding and rule), and the table one more.
    columns = len(fixed) + 2 + wide
    room = max(24, width - sum(size for _n, size, _j in fixed) - 9 * wide - 3 * columns - 1)
    doing = min(40, room // 3)
    for name, size, justify in fixed:
        table.add_column(name, no_wrap=True, width=size, justify=justify)  # type: ignore[arg-type]
    table.add_column("Doing", no_wrap=True, overflow="ellipsis", width=doing)
    table.add_column("First error", no_wrap=True, overflow="ellipsis", width=room - doing)
    if wide:
        table.add_column("Transfers", no_wrap=True, width=9, justify="right")
    for activity in activities:
        duration = activity.duration_ms
        error = activity.first_error[1] if activity.first_error else ""
        cells = [short.get(activity.activity_id, activity.activity_id),
                 _styled(activity.worst_level),
                 str(activity.event_count)]
        if wide:
            cells += ["" if duration is None else f"{duration:,.3f}",
                      (activity.first or "")[5:23].replace("T", " ")]
        cells += [escape(visible(activity.name or activity.description or "")),
                  f"[red]{escape(visible(error.splitlines()[0]))}[/]" if error else ""]
        if wide:
            cells.append(str(len(activity.children)) if activity.children else "")
        table.add_row(*cells)
    return table


def _event_line(event: Event) -> str:
    from rich.markup import escape

    stamp = (event.timestamp or "").replace("T", " ").rstrip("Z")
    text = event.message if event.message is not None else _logged_message(event)
    label = " ".join(part for part in (event.symbol, event.opcode) if part)
    return (f"[dim]{stamp}[/] {_styled(event.level)} [bold]{event.event_id}[/] "
            f"{label} {escape(visible(text))}")


def _logged_message(event: Event) -> str:
    """A message-log record has no message: its logging point and action tell what it was."""
    data = event.data
    parts = [str(data[key]) for key in ("Source", "Action") if data.get(key)]
    return " ".join(parts) if "Envelope" in event.extra or parts else ""


def _activity_label(activity: Activity) -> str:
    from rich.markup import escape

    duration = activity.duration_ms
    took = "" if duration is None else f", {duration:,.3f} ms"
    told = activity.name or activity.description
    doing = f" — {escape(visible(told))}" if told else ""
    error = activity.first_error[1].splitlines()[0] if activity.first_error else ""
    failed = f"\n[red]first error: {escape(visible(error))}[/]" if error else ""
    return (f"[bold]activity {activity.activity_id}[/]{doing} "
            f"[dim]({activity.event_count} events{took}, worst {activity.worst_level})[/]{failed}")


def activity_tree(tracker: ActivityTracker, root_id: str) -> Any:
    """One activity's timeline with its transferred children inline, like Service Trace Viewer."""
    from rich.tree import Tree

    by_activity: dict[str, list[Event]] = {}
    for event in tracker.timeline:
        by_activity.setdefault(event.activity_id or "", []).append(event)

    def build(node: Any, activity_id: str, seen: set[str]) -> None:
        seen.add(activity_id)
        events = sorted(by_activity.get(activity_id, []), key=lambda e: e.timestamp or "")
        for event in events:
            branch = node.add(_event_line(event))
            child = transfer_target(event)
            if (child and child in tracker.activities and child not in seen
                    and tracker.activities[child].parent == activity_id):
                sub = branch.add(_activity_label(tracker.activities[child]))
                build(sub, child, seen)
        for child in tracker.activities[activity_id].children:
            if child not in seen and child in tracker.activities:
                sub = node.add(_activity_label(tracker.activities[child]))
                build(sub, child, seen)

    tree = Tree(_activity_label(tracker.activities[root_id]))
    build(tree, root_id, set())
    return tree
