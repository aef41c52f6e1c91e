"""The `wcfevents` command: parses options and wires them to the pipeline, nothing else.

This is the only module that knows about terminals, colour, progress bars and exit codes.
Exit codes: 0 nothing lost (warnings alone included); 1 records lost, an input unreadable or an
ID unknown; 2 usage error or no input could be read; 130 interrupted.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from wcfevents import __version__

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

F = TypeVar("F", bound=Callable[..., Any])


# -- terminal helpers -----------------------------------------------------------------------


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def make_console(no_color: bool, stderr: bool = False) -> Any:
    """A rich console that colours only a terminal, and never with NO_COLOR or --no-color."""
    from rich.console import Console

    plain = no_color or bool(os.environ.get("NO_COLOR"))
    return Console(stderr=stderr, no_color=plain, highlight=False, soft_wrap=False)


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """One clear line on stderr and the exit code; never a traceback."""
    click.echo(f"wcfevents: {message}", err=True)
    sys.exit(code)


def no_color_option(func: F) -> F:
    return click.option(
        "--no-color", is_flag=True, help="No colour, even on a terminal (NO_COLOR works too)."
    )(func)


def choose_format(fmt: str | None, allowed: tuple[str, ...]) -> str:
    """Tables for a person at a terminal, JSON Lines for a pipe, unless told otherwise."""
    if fmt:
        return fmt
    return "table" if stdout_is_terminal() else allowed[1]


def split_values(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for part in values for v in part.split(",") if v.strip()]


def clamp_limit(_ctx: Any, _param: Any, value: int | None) -> int | None:
    """--limit beyond what Python can slice means no limit, never a traceback."""
    return None if value is None else min(value, sys.maxsize)


def stdin_default(paths: tuple[str, ...]) -> tuple[str, ...]:
    """No path given: read standard input when something is piped in, else a usage error."""
    if paths:
        return paths
    if sys.stdin is None or sys.stdin.isatty():
        raise click.UsageError("no input: give FILE, DIR or -, or pipe a trace into stdin")
    return ("-",)


def complete_names(kind: str) -> Callable[..., list[Any]]:
    """A click completion of the catalog's names of one kind (after a comma too: `A,B`)."""

    def complete(_ctx: Any, _param: Any, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from wcfevents.catalog import load as load_catalog

        done, _sep, tail = incomplete.rpartition(",")
        prefix = done + "," if _sep else ""
        if kind == "field":  # --fields: the JSON keys, and payload paths data.NAME
            from wcfevents.model import EVENT_KEYS

            names = [*EVENT_KEYS, *(f"data.{n}" for n in load_catalog().names("field"))]
        else:
            names = load_catalog().names(kind)
        if kind == "level":
            names = names + [f"{name}+" for name in names[1:]]
        return [CompletionItem(prefix + name) for name in names
                if name.lower().startswith(tail.lower())]

    return complete


# -- the command group ------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="wcfevents")
def main() -> None:
    """Decode and explain WCF and Workflow ETW traces (provider
    Microsoft-Windows-Application Server-Applications) from .evtx and .etl files and XML
    exports, and WCF's own .svclog trace and message logs.

    \b
    Examples:
      wcfevents decode trace.evtx --keyword ActivationServices
      wcfevents decode trace.xml --level warning+ --format json | jq .message
      wcfevents lookup 4031
      wcfevents catalog --keyword Quota
    """


@main.command()
@click.argument("ids", nargs=-1, required=True, metavar="ID_OR_SYMBOL...",
                shell_complete=complete_names("symbol"))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]),
              help="table: a panel per event (default on a terminal); json: one object a line.")
@no_color_option
def lookup(ids: tuple[str, ...], fmt: str | None, no_color: bool) -> None:
    """Explain event IDs or symbols offline: level, keywords, channel, message, payload; and
    the legacy trace codes of .svclog files (131085 = ActivityBoundary): name, group, text.

    \b
    Examples:
      wcfevents lookup 4031
      wcfevents lookup DispatchSessionFailed 210 --format json
      wcfevents lookup 131085
    """
    # The catalog alone (what wcfevents.api.lookup reads), not the decode pipeline: start-up.
    from wcfevents.catalog import load as load_catalog
    from wcfevents.catalog.tracecodes import load as load_tracecodes
    from wcfevents.output import entries

    fmt = choose_format(fmt, ("table", "json"))
    find = load_catalog().find
    codes = load_tracecodes()
    found: list[Any] = []
    missing: list[str] = []
    for item in ids:
        entry = find(item) or codes.find(item)
        if entry is None:
            missing.append(item)
        else:
            found.append(entry)
    if fmt == "json":
        entries.write_json(found, sys.stdout)
    else:
        console = make_console(no_color)
        for entry in found:
            console.print(entries.panel(entry))
    for item in missing:
        click.echo(f"wcfevents: unknown event ID or symbol: {item}", err=True)
    if missing:
        sys.exit(EXIT_PARTIAL)


@main.command()
@click.option("--keyword", "-k", multiple=True, help="Keyword name (repeat or comma-separate).",
              shell_complete=complete_names("keyword"))
@click.option("--level", "-l", multiple=True, help="Level name or number (repeatable).",
              shell_complete=complete_names("level"))
@click.option("--channel", "-c", multiple=True, help="Analytic, Debug, Operational or a full name.",
              shell_complete=complete_names("channel"))
@click.option("--search", "-s", help="Text in the symbol or message, any case.")
@click.option("--source", "catalog_source", type=click.Choice(["events", "tracecodes"]),
              default="events", show_default=True,
              help="events: the ETW provider's events; tracecodes: WCF's legacy trace codes "
                   "(the EventIDs of .svclog files).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]),
              help="Default: table on a terminal, json otherwise.")
@no_color_option
def catalog(keyword: tuple[str, ...], level: tuple[str, ...], channel: tuple[str, ...],
            search: str | None, catalog_source: str, fmt: str | None, no_color: bool) -> None:
    """Browse every event the provider documents, filtered (or WCF's trace codes).

    \b
    Examples:
      wcfevents catalog --keyword ActivationServices --level error
      wcfevents catalog --search throttle --format csv
      wcfevents catalog --source tracecodes --search security
    """
    if catalog_source == "tracecodes":
        _trace_code_catalog(keyword, level, channel, search, fmt, no_color)
        return
    from wcfevents.catalog import UnknownName
    from wcfevents.catalog import load as load_catalog
    from wcfevents.filters import FilterError, parse_levels
    from wcfevents.output import entries

    try:
        levels = parse_levels(level)
    except FilterError as exc:
        raise click.BadParameter(str(exc).removeprefix("--level: "), param_hint="--level") from None
    try:
        selected = list(load_catalog().select(
            keywords=split_values(keyword), levels=levels, channels=split_values(channel),
            search=search,
        ))
    except UnknownName as exc:
        raise click.BadParameter(str(exc), param_hint=f"--{exc.kind}") from None
    fmt = choose_format(fmt, ("table", "json"))
    if fmt == "json":
        entries.write_json(selected, sys.stdout)
    elif fmt == "csv":
        entries.write_csv(selected, sys.stdout)
    else:
        make_console(no_color).print(entries.table(selected))


def _trace_code_catalog(keyword: tuple[str, ...], level: tuple[str, ...],
                        channel: tuple[str, ...], search: str | None, fmt: str | None,
                        no_color: bool) -> None:
    """`catalog --source tracecodes`: trace codes have no keyword, level or channel."""
    from wcfevents.catalog.tracecodes import load as load_tracecodes
    from wcfevents.output import entries

    for name, given in (("keyword", keyword), ("level", level), ("channel", channel)):
        if given:
            raise click.BadParameter("trace codes have none; use --search",
                                     param_hint=f"--{name}")
    selected = list(load_tracecodes().select(search))
    fmt = choose_format(fmt, ("table", "json"))
    if fmt == "json":
        entries.write_json(selected, sys.stdout)
    elif fmt == "csv":
        entries.write_trace_codes_csv(selected, sys.stdout)
    else:
        make_console(no_color).print(entries.trace_code_table(selected))


def filter_options(func: F) -> F:
    """The selection options shared by decode and summary."""
    return _filter_options(func, with_activity=True)


def filter_options_but_activity(func: F) -> F:
    """The shared options for `activities`, whose own --activity picks the activity to show."""
    return _filter_options(func, with_activity=False)


def _filter_options(func: F, with_activity: bool) -> F:
    options = [
        click.option("--id", "ids", multiple=True, metavar="IDS",
                     help="Event IDs and ranges: 4001-4035,214 (repeatable)."),
        click.option("--level", "-l", "levels", multiple=True, metavar="LEVEL",
                     help="Level name or number; warning+ = this or more severe.",
                     shell_complete=complete_names("level")),
        click.option("--keyword", "-k", "keywords", multiple=True, metavar="NAME",
                     help="Keyword such as ActivationServices (recorded or documented).",
                     shell_complete=complete_names("keyword")),
        click.option("--channel", "-c", "channels", multiple=True, metavar="NAME",
                     help="Analytic, Debug, Operational or a full channel name.",
                     shell_complete=complete_names("channel")),
        click.option("--provider", "providers", multiple=True, metavar="NAME|GUID",
                     help="Provider name or GUID."),
        click.option("--wcf-only", is_flag=True,
                     help="Only WCF's own events: Microsoft-Windows-Application "
                          "Server-Applications, and WCF/WF trace sources of .svclog files."),
        click.option("--since", metavar="TIME", help="ISO 8601 time, or 15m / 2h / 1d ago."),
        click.option("--until", metavar="TIME", help="ISO 8601 time, or 15m / 2h / 1d ago."),
        *([click.option("--activity", "activities", multiple=True, metavar="GUID",
                        help="ActivityID or RelatedActivityID, or its start as tables show it.")]
          if with_activity else []),
        click.option("--pid", "pids", multiple=True, type=int, help="Process ID."),
        click.option("--grep", multiple=True, metavar="TEXT",
                     help="Text in the message or payload, any case."),
        click.option("--engine", type=click.Choice(["auto", "rust", "python"]), default="auto",
                     show_default=True, help=".evtx engine: the Rust evtx package or python-evtx."),
        click.option("--input-format", type=click.Choice(
            ["auto", "evtx", "xml", "tracerpt", "wevtutil", "toxml", "svclog", "etl"]),
            default="auto",
            show_default=True, help="Input format; auto detects it from the content."),
        click.option("--strict", is_flag=True,
                     help="Drop .evtx chunks whose checksum fails instead of decoding them."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_filters(options: dict[str, Any]) -> Any:
    """Filters from the shared options; a bad value is a usage error (exit 2)."""
    from wcfevents.api import make_filters
    from wcfevents.filters import FilterError

    try:
        filters = make_filters(
            ids=options["ids"], levels=options["levels"], keywords=options["keywords"],
            channels=options["channels"], providers=options["providers"],
            wcf_only=options["wcf_only"], since=options["since"], until=options["until"],
            activities=options.get("activities", ()), pids=options["pids"],
            grep=options["grep"], records=options.get("records", ()),
        )
        from wcfevents.catalog import load as load_catalog

        filters.build(load_catalog())
    except FilterError as exc:
        raise click.UsageError(str(exc)) from None
    return filters


class Run:
    """One pass over the inputs: warnings on stderr as they happen, the accounting at the end."""

    def __init__(self, paths: tuple[str, ...], options: dict[str, Any]) -> None:
        from wcfevents.pipeline import Stats

        self.paths = paths
        self.options = options
        self.filters = build_filters(options)
        self.stats = Stats()

    def warn(self, damage: Any) -> None:
        click.echo(f"wcfevents: warning: {damage}", err=True)

    def unreadable(self, error: Exception) -> None:
        click.echo(f"wcfevents: error: {error}", err=True)

    def events(self, streaming: bool = False) -> Any:
        """The events; `streaming` when they go to stdout as they come (no progress line then,
        if stdout is the same terminal)."""
        from wcfevents.api import read

        events = read(
            list(self.paths), filters=self.filters, engine=self.options["engine"],
            input_format=self.options["input_format"], strict=self.options["strict"],
            stats=self.stats, on_damage=self.warn, on_unreadable=self.unreadable,
        )
        return with_progress(events, self.paths, self.stats, streaming)

    def encoded(self, encode: Any, workers: int | None) -> Any:
        """The output bytes, large files decoded on every core (see wcfevents.parallel)."""
        from wcfevents.parallel import BATCH_EVENTS

        return self.partials(encode, workers, BATCH_EVENTS, streaming=True)

    def jobs(self, jobs: int | None) -> int | None:
        """The workers to use: one process when a filter learns from the records as it goes
        (`--activity` given as the start of an ID tells ambiguity only from all of them)."""
        return 1 if self.filters.activity_prefixes else jobs

    def partials(self, consume: Any, workers: int | None, batch: int | None = None,
                 streaming: bool = False, payload: bool = True) -> Any:
        """`consume` over the events part by part, in input order, large files on every core."""
        from wcfevents.parallel import partials

        parts = partials(
            list(self.paths), self.filters, consume, engine=self.options["engine"],
            input_format=self.options["input_format"], strict=self.options["strict"],
            stats=self.stats, on_damage=self.warn, on_unreadable=self.unreadable,
            workers=workers, batch=batch, payload=payload,
        )
        return with_progress(parts, self.paths, self.stats, streaming=streaming, every=1)

    def summary_line(self) -> str:
        s = self.stats
        line = (f"{s.read} records read, {s.matched} matched, {s.filtered} filtered out, "
                f"{s.lost} lost")
        if s.unknown_loss:
            line += f" (+ {s.unknown_loss} damaged parts of unknown size)"
        if s.skipped:
            line += f"; {s.skipped} records of other kinds skipped"
        if s.session_lost:
            line += f"; {s.session_lost} events lost by the trace session before writing"
        if s.unreadable:
            line += f"; {s.unreadable} of {s.inputs} inputs unreadable"
        return line

    def finish(self, always: bool = False) -> None:
        """Print the accounting when something was lost (or when asked) and exit accordingly."""
        if self.filters.ambiguous:
            fail(f"--activity {self.filters.ambiguous[0]}: give more of the ID")
        if always or not self.stats.complete:
            click.echo(f"wcfevents: {self.summary_line()}", err=True)
        if self.stats.inputs and self.stats.unreadable == self.stats.inputs:
            sys.exit(EXIT_USAGE)
        if not self.stats.complete:
            sys.exit(EXIT_PARTIAL)


def with_progress(events: Any, paths: tuple[str, ...], stats: Any, streaming: bool,
                  every: int = 5000) -> Any:
    """A transient progress line on stderr for long work, only when stderr is a terminal (and
    not while events stream to the same terminal)."""
    if not sys.stderr.isatty() or os.environ.get("NO_PROGRESS"):
        return events
    if streaming and stdout_is_terminal():
        return events
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):
            total += os.path.getsize(path) if os.path.isfile(path) else 0
    if total < 20 * 1024 * 1024:
        return events
    return _progress(events, stats, every)


def _progress(events: Any, stats: Any, every: int) -> Any:
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, transient=True, console=make_console(False, stderr=True)) as bar:
        task = bar.add_task("decoding", total=None)
        for index, event in enumerate(events):
            if index % every == 0:
                bar.update(task, description=f"decoding: {stats.read:,} records read")
            yield event


FORMATS = ("table", "json", "csv", "parquet")


def dataset_options(func: F) -> F:
    """`decode --format parquet -o DIR`: a Parquet dataset, optionally decoded by a Dask cluster."""
    for option in reversed([
        click.option("--output", "-o", metavar="DIR",
                     help="Directory of the Parquet dataset (--format parquet)."),
        click.option("--partition-by", type=click.Choice(["date", "computer", "provider"]),
                     help="Hive-style subdirectories (date=2024-05-01/…) for --format parquet."),
        click.option("--scheduler", metavar="ADDRESS",
                     help="Decode on a Dask cluster (tcp://host:8786, or local) into -o DIR."),
    ]):
        func = option(func)
    return func


def write_dataset(run: Run, directory: str | None, partition_by: str | None,
                  scheduler: str | None, jobs: int | None, limit: int | None,
                  fields: str | None) -> None:
    """The Parquet branch of `decode` (see wcfevents.output.parquet and wcfevents.dask)."""
    if directory is None:
        fail("--format parquet needs -o DIR (the dataset's directory)")
    if fields:
        fail("--fields does not apply to --format parquet (every column is written)")
    if scheduler and (limit is not None or run.filters.activity_prefixes):
        fail("--limit and a short --activity prefix need one process: not with --scheduler")
    from wcfevents.output import parquet

    try:
        parquet.require()
        parquet.prepare(directory)
        if scheduler:
            from wcfevents.dask import Options, write_parquet

            options = run.options
            write_parquet(run.paths, directory, scheduler=scheduler, partition_by=partition_by,
                          options=Options(run.filters, options["engine"],
                                          options["input_format"], options["strict"]),
                          stats=run.stats, on_damage=run.warn, on_unreadable=run.unreadable)
        else:
            with parquet.DatasetWriter(directory, partition_by) as writer:
                if limit is None and not run.filters.activity_prefixes:
                    for block in run.encoded(parquet.encode, jobs):
                        writer.write_table(parquet.decode_ipc(block))
                else:
                    from itertools import islice

                    writer.write(islice(run.events(), limit))  # limit None: all
        parquet.finish(directory)
    except (ImportError, RuntimeError, OSError, ValueError) as exc:
        fail(str(exc))

jobs_option = click.option(
    "--jobs", "-j", type=click.IntRange(min=1), metavar="N",
    help="Worker processes for large files (default: one per core; 1 = one process).")


def table_layout(paths: tuple[str, ...], fields: list[str] | None, no_color: bool) -> Any:
    """The table's columns for this terminal: colour only on a terminal, a source column when
    there are several inputs."""
    from wcfevents.output import table

    color = stdout_is_terminal() and not no_color and not os.environ.get("NO_COLOR")
    several = len(paths) > 1 or any(os.path.isdir(p) for p in paths)
    return table.layout(make_console(True).width, fields, color=color, source=several)


@main.command()
@click.argument("paths", nargs=-1, metavar="FILE|DIR|-...", type=click.Path(allow_dash=True))
@filter_options
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="table (default on a terminal), json (JSON Lines, default otherwise), csv, "
                   "parquet (-o DIR).")
@dataset_options
@click.option("--fields", metavar="KEYS", shell_complete=complete_names("field"),
              help="Comma-separated columns/keys to print; data.NAME for a payload field.")
@click.option("--limit", type=click.IntRange(min=0), callback=clamp_limit,
              help="Stop after N matching events.")
@click.option("--count", "count_only", is_flag=True, help="Print only how many events match.")
@jobs_option
@click.option("--stats", "show_stats", is_flag=True,
              help="Always print the record accounting on stderr.")
@no_color_option
def decode(paths: tuple[str, ...], fmt: str | None, fields: str | None, limit: int | None,
           count_only: bool, jobs: int | None, show_stats: bool, no_color: bool,
           output: str | None, partition_by: str | None, scheduler: str | None,
           **options: Any) -> None:
    """Decode .evtx and .etl files, XML exports and .svclog files into a table, JSON Lines or
    CSV.

    Inputs are files, directories (their .evtx, .etl, .xml, .svclog and .e2e files) or - for
    stdin; the format is detected from the content. Several inputs are merged in time order.
    Different options AND, repeated values OR.

    \b
    Examples:
      wcfevents decode trace.evtx --keyword ActivationServices
      wcfevents decode trace.evtx --level warning+ --since 2h --format json | jq .message
      wcfevents decode traces/ --id 4001-4035,214 --format csv > wcf.csv
      wcfevents decode web_tracelog.svclog --level error+ --format json | jq .data.Exception
      wcfevents decode traces/ --format parquet -o wcf/ --partition-by date
    """
    paths = stdin_default(paths)
    from itertools import islice

    from wcfevents.model import EVENT_KEYS, is_field

    selected = [f.strip() for f in fields.split(",")] if fields else None
    if selected:
        unknown = [f for f in selected if not is_field(f)]
        if unknown:
            raise click.BadParameter(
                f"unknown field {unknown[0]!r}; valid: {', '.join(EVENT_KEYS)}, or a payload "
                "path such as data.MethodName", param_hint="--fields")
    run = Run(paths, options)
    if (fmt == "parquet" or output or partition_by or scheduler) and not count_only:
        if fmt not in (None, "parquet"):
            fail("-o, --partition-by and --scheduler apply to --format parquet")
        write_dataset(run, output, partition_by, scheduler, jobs, limit, fields)
        run.finish(always=show_stats)
        return
    fmt = "count" if count_only else choose_format(fmt, ("table", "json"))
    layout = table_layout(paths, selected, no_color) if fmt == "table" else None
    if limit is None and not run.filters.activity_prefixes:
        # Whole-file output: large .evtx files are decoded on every core, in order.
        from functools import partial

        from wcfevents.output import csv as csv_output
        from wcfevents.output import discard, jsonl, table

        out = sys.stdout.buffer
        if fmt == "csv":
            out.write(csv_output.header(selected))
        elif fmt == "table":
            out.write(table.header(layout))
        encode = {"json": partial(jsonl.encode, fields=selected),
                  "csv": partial(csv_output.encode, fields=selected),
                  "table": partial(table.encode, lay=layout), "count": discard}[fmt]
        for block in run.encoded(encode, jobs):
            out.write(block)
        if fmt == "count":
            click.echo(run.stats.matched)
    else:
        events = run.events(streaming=True)
        if limit is not None:
            events = islice(events, limit)
        if fmt == "count":
            click.echo(sum(1 for _ in events))
        elif fmt == "json":
            from wcfevents.output import jsonl

            jsonl.write(events, sys.stdout.buffer, selected)
        elif fmt == "csv":
            from wcfevents.output import csv as csv_output

            csv_output.write(events, sys.stdout, selected)
        else:
            from wcfevents.output import table

            table.write(events, sys.stdout.buffer, layout)
    sys.stdout.flush()
    run.finish(always=show_stats)


@main.command()
@click.argument("paths", nargs=-1, metavar="FILE|DIR|-...", type=click.Path(allow_dash=True))
@filter_options
@click.option("--format", "fmt", type=click.Choice(["table", "json"]),
              help="table (default on a terminal) or json (one object).")
@jobs_option
@no_color_option
def summary(paths: tuple[str, ...], fmt: str | None, jobs: int | None, no_color: bool,
            **options: Any) -> None:
    """What a trace holds: counts by event, level, keyword, provider and channel, the time span,
    and hints for well-known trouble events (throttles, activation failures, exceptions).

    \b
    Examples:
      wcfevents summary trace.evtx
      wcfevents summary traces/ --wcf-only --format json | jq .levels
    """
    paths = stdin_default(paths)
    from wcfevents.analysis.summary import merged, needs_payload, summarize
    from wcfevents.output import analysis
    from wcfevents.parallel import BATCH_EVENTS

    run = Run(paths, options)
    # Counts of header facts: the payload's typing and message only for records with a hint.
    result = merged(run.partials(summarize, run.jobs(jobs), BATCH_EVENTS,
                                 payload=needs_payload))
    records = run.stats.to_dict()
    if choose_format(fmt, ("table", "json")) == "json":
        analysis.summary_json(result, records, sys.stdout.buffer)
    else:
        console = make_console(no_color)
        for part in analysis.summary_view(result, records):
            console.print(part)
    sys.stdout.flush()
    run.finish()


@main.command()
@click.argument("paths", nargs=-1, metavar="FILE|DIR|-...", type=click.Path(allow_dash=True))
@filter_options_but_activity
@click.option("--activity", "focus", metavar="GUID",
              help="Show this activity's timeline with its transferred children.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]),
              help="table (default on a terminal) or json (one activity a line).")
@click.option("--limit", type=click.IntRange(min=0), callback=clamp_limit,
              help="Show only the first N activities.")
@jobs_option
@no_color_option
def activities(paths: tuple[str, ...], focus: str | None, fmt: str | None, limit: int | None,
               jobs: int | None, no_color: bool, **options: Any) -> None:
    """Events grouped by ActivityID and linked by transfers, failing and slowest first — the
    activity view of Service Trace Viewer, in a terminal.

    \b
    Examples:
      wcfevents activities trace.evtx
      wcfevents activities trace.evtx --activity 5f0c1c7e-0d3a-4c3b-9c61-2f2e8f3a1b7d
      wcfevents activities web_tracelog.svclog web_messages.svclog
    """
    paths = stdin_default(paths)
    from itertools import islice

    from wcfevents.analysis.activities import merged, track, track_part
    from wcfevents.model import guid_or_prefix, is_full_guid, short_ids
    from wcfevents.output import analysis
    from wcfevents.parallel import BATCH_EVENTS

    try:
        wanted = guid_or_prefix(focus) if focus else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--activity") from None
    run = Run(paths, options)
    if wanted is None:
        tracker = merged(run.partials(track_part, run.jobs(jobs), BATCH_EVENTS))
    else:  # one activity's timeline follows links in input order: one pass
        tracker = track(run.events(), wanted)
    fmt = choose_format(fmt, ("table", "json"))
    if wanted is not None and not is_full_guid(wanted):
        found = tracker.matching(wanted)
        if len(found) > 1:
            shown = ", ".join(found[:5]) + (", …" if len(found) > 5 else "")
            fail(f"--activity {wanted!r} matches {len(found)} activities ({shown}): "
                 "give more of the ID")
        wanted = found[0] if found else wanted
    if wanted is not None:
        tracker.settle()
        if wanted not in tracker.activities:
            run.finish()
            fail(f"no activity {wanted} in the input", EXIT_PARTIAL)
        chosen = [tracker.activities[wanted]]
        if fmt == "json":
            analysis.activities_json(chosen, sys.stdout.buffer)
        else:
            make_console(no_color).print(analysis.activity_tree(tracker, wanted))
    else:
        ranked = tracker.ranked()
        shown = ranked if limit is None else list(islice(ranked, limit))
        if fmt == "json":
            analysis.activities_json(shown, sys.stdout.buffer)
        else:
            console = make_console(no_color)
            console.print(analysis.activities_table(
                shown, short_ids(tracker.activities), console.width))
            if tracker.without_activity:
                console.print(f"[dim]{tracker.without_activity} events carry no ActivityID[/]")
    sys.stdout.flush()
    run.finish()


# -- report (the HTML page) ---------------------------------------------------------------------


def default_report_path(paths: tuple[str, ...]) -> str:
    """Beside the first input: its name + .html; report.html for stdin."""
    from pathlib import Path

    first = paths[0]
    if first == "-":
        return "report.html"
    path = Path(first).resolve() if Path(first).name in ("", ".", "..") else Path(first)
    return str(path.with_name(path.name + ".html"))


def describe_filters(options: dict[str, Any]) -> list[str]:
    """The selection options given, as `name: value` lines for the page."""
    described = []
    for name in ("ids", "levels", "keywords", "channels", "providers", "since", "until",
                 "activities", "pids", "grep"):
        value = options.get(name)
        if value:
            shown = ", ".join(map(str, value)) if isinstance(value, tuple) else str(value)
            described.append(f"{name.rstrip('s') if name != 'grep' else name}: {shown}")
    if options.get("wcf_only"):
        described.append("wcf-only")
    return described


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="FILE|DIR|-...",
                type=click.Path(allow_dash=True))
@filter_options
@click.option("--output", "-o", metavar="FILE", type=click.Path(dir_okay=False),
              help="The page to write (default: beside the first input, its name + .html).")
@click.option("--open", "open_page", is_flag=True, help="Open the page in the default browser.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N",
              help="Worker processes for large .evtx files (default: one per core).")
def report(paths: tuple[str, ...], output: str | None, open_page: bool, jobs: int | None,
           **options: Any) -> None:
    """Write one self-contained HTML page: overview, timeline, activities nested by transfers,
    errors and warnings with hints, and a filterable events table. It works offline and makes
    no network request.

    \b
    Examples:
      wcfevents report trace.evtx -o report.html --open
      wcfevents report traces/ --wcf-only --since 2h
    """
    from pathlib import Path

    from wcfevents.report import Collector, Feed, report_data, write

    target = Path(output or default_report_path(paths))
    run = Run(paths, options)
    collector = Collector()
    if jobs == 1:  # one process: the events straight in, no windows and no batches
        collector.feed(run.events())
    else:
        for block in run.encoded(Feed(collector), jobs):
            collector.absorb(block)
    if run.stats.inputs and run.stats.unreadable == run.stats.inputs:
        run.finish()  # nothing could be read: exit 2, no page
    data = report_data(collector, run.stats, list(paths), describe_filters(options))
    try:
        size = write(target, data)
    except OSError as exc:
        fail(f"cannot write {target}: {exc.strerror or exc}", EXIT_USAGE)
    click.echo(f"wcfevents: report written to {target} ({size / 1e6:.1f} MB)", err=True)
    if open_page:
        import webbrowser

        webbrowser.open(target.resolve().as_uri())
    run.finish()


@main.command()
@click.argument("paths", nargs=-1, metavar="FILE|DIR|-...", type=click.Path(allow_dash=True))
@filter_options
@click.option("--record", "records", multiple=True, type=click.IntRange(min=0), metavar="N",
              help="EventRecordID (repeatable).")
@click.option("--tz", "tz", metavar="ZONE",
              help="Show this zone's time beside UTC: local, or an offset such as +02:00.")
@click.option("--limit", type=click.IntRange(min=0), callback=clamp_limit,
              help="Stop after N matching events.")
@no_color_option
def show(paths: tuple[str, ...], records: tuple[int, ...], tz: str | None, limit: int | None,
         no_color: bool, **options: Any) -> None:
    """Every field and the full payload of the matching events, one block each: exception
    texts and XML bodies laid out for reading, HRESULTs and Win32 codes explained.

    \b
    Examples:
      wcfevents show trace.evtx --record 17
      wcfevents show trace.evtx --level error+ --tz local
      wcfevents show trace.evtx --activity 5f0c1c7e
    """
    paths = stdin_default(paths)
    from itertools import islice

    from wcfevents.output import detail

    try:
        zone = detail.parse_zone(tz)
    except detail.ZoneError as exc:
        raise click.BadParameter(str(exc), param_hint="--tz") from None
    run = Run(paths, {**options, "records": records})
    events = run.events(streaming=True)
    if limit is not None:
        events = islice(events, limit)
    detail.write(events, make_console(no_color), zone)
    sys.stdout.flush()
    run.finish()


@main.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script, e.g. `eval "$(wcfevents completion bash)"`."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(main, {}, "wcfevents", "_WCFEVENTS_COMPLETE").source())


def _quiet_broken_pipe() -> None:
    """A reader such as `head` closed the pipe: stop quietly, as Unix tools do."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


def entry_point(args: list[str] | None = None) -> None:
    """Console script: click, plus quiet ends for closed pipes and Ctrl-C (exit 130)."""
    try:
        code = main.main(args=args, prog_name="wcfevents", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("wcfevents: interrupted", err=True)
        code = EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_broken_pipe()
        code = EXIT_OK
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_broken_pipe()
    sys.exit(code if isinstance(code, int) else EXIT_OK)
