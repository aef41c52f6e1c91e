"""Catalog entries as text: the `lookup` panel, the `catalog` table, JSON Lines and CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

import orjson

from wcfevents.catalog import CatalogEvent
from wcfevents.catalog.tracecodes import TraceCode
from wcfevents.output.table import LEVEL_STYLES

CSV_COLUMNS = ("event_id", "symbol", "level", "keywords", "channel", "task", "opcode",
               "version", "message", "fields", "doc_url", "documented")


TRACE_CODE_COLUMNS = ("code", "hex", "name", "group", "defined_in", "description")


def write_json(entries: Iterable[CatalogEvent | TraceCode], out: IO[str]) -> int:
    """One JSON object a line, exactly the documented keys; returns how many."""
    count = 0
    for entry in entries:
        out.write(orjson.dumps(entry.to_dict()).decode() + "\n")
        count += 1
    return count


def write_csv(entries: Iterable[CatalogEvent], out: IO[str]) -> int:
    """A header row, then a row per event; lists joined with `;`, fields as name:type."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for entry in entries:
        row: dict[str, Any] = entry.to_dict()
        row["keywords"] = ";".join(entry.keywords)
        row["fields"] = ";".join(f"{f.name}:{f.type}" for f in entry.fields)
        row["documented"] = "true" if entry.documented else "false"
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
        count += 1
    return count


def write_trace_codes_csv(codes: Iterable[TraceCode], out: IO[str]) -> int:
    """A header row, then a row per trace code."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TRACE_CODE_COLUMNS)
    count = 0
    for code in codes:
        row = code.to_dict()
        writer.writerow(["" if row[c] is None else row[c] for c in TRACE_CODE_COLUMNS])
        count += 1
    return count


def trace_code_panel(code: TraceCode) -> Any:
    """A rich panel explaining one legacy trace code (the EventID of .svclog records)."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("Kind", "WCF trace code (.svclog EventID)")
    grid.add_row("Code", f"{code.code} ({code.hex})")
    grid.add_row("Group", code.group)
    grid.add_row("Defined in", code.defined_in)
    grid.add_row("Description", Text(code.description or "—"))
    return Panel(grid, title=f"[bold]{code.code}[/] {code.name}", title_align="left",
                 expand=False)


def trace_code_table(codes: Iterable[TraceCode]) -> Any:
    """A rich table of trace codes, for `catalog --source tracecodes` on a terminal."""
    from rich.table import Table

    result = Table(show_lines=False, header_style="bold")
    result.add_column("Code", justify="right", no_wrap=True)
    result.add_column("Hex", no_wrap=True)
    result.add_column("Name", no_wrap=True)
    result.add_column("Group", no_wrap=True)
    result.add_column("Description", overflow="fold")
    for code in codes:
        result.add_row(str(code.code), code.hex, code.name, code.group, code.description or "")
    return result


def panel(entry: CatalogEvent | TraceCode) -> Any:
    """A rich panel explaining one event (or trace code), for `lookup` on a terminal."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    if isinstance(entry, TraceCode):
        return trace_code_panel(entry)

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("Level", Text(f"{entry.level} ({entry.level_value})",
                               style=LEVEL_STYLES.get(entry.level, "")))
    grid.add_row("Keywords", ", ".join(entry.keywords) or "—")
    grid.add_row("Channel", entry.channel)
    grid.add_row("Task", f"{entry.task or '—'} ({entry.task_id})")
    grid.add_row("Opcode", f"{entry.opcode or '—'} ({entry.opcode_id})")
    grid.add_row("Version", str(entry.version))
    grid.add_row("Message", Text(entry.message or "—"))
    fields = Text()
    for index, field in enumerate(entry.fields, 1):
        fields.append(f"%{index} ", style="cyan")
        fields.append(f"{field.name}", style="bold")
        fields.append(f"  {field.type}\n", style="dim")
    fields.rstrip()  # in place: Text.rstrip returns None
    grid.add_row("Payload", fields if entry.fields else Text("—"))
    grid.add_row("Docs", entry.doc_url or "no documentation page")
    for note in entry.notes:
        grid.add_row("Note", Text(note, style="italic"))
    title = f"[bold]{entry.event_id}[/] {entry.symbol}"
    if not entry.documented:
        title += " [dim](undocumented)[/]"
    return Panel(grid, title=title, title_align="left", expand=False)


def table(entries: Iterable[CatalogEvent]) -> Any:
    """A rich table of catalog entries, for `catalog` on a terminal."""
    from rich.table import Table

    result = Table(show_lines=False, header_style="bold")
    result.add_column("ID", justify="right", no_wrap=True)
    result.add_column("Symbol", no_wrap=True)
    result.add_column("Level", no_wrap=True)
    result.add_column("Channel", no_wrap=True)
    result.add_column("Keywords")
    result.add_column("Message", overflow="fold")
    for entry in entries:
        result.add_row(
            str(entry.event_id), entry.symbol,
            f"[{LEVEL_STYLES.get(entry.level, '')}]{entry.level}[/]",
            entry.short_channel, ", ".join(entry.keywords), entry.message or "",
        )
    return result
