"""The `wcfevents` command: parses options and wires them to the pipeline, nothing else.

This is the only module that knows about terminals, colour, progress bars and exit codes.
Exit codes: 0 all read; 1 finished but something was lost, unreadable or unknown; 2 usage error
or no input could be read; 130 interrupted.
"""

from __future__ import annotations

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


def level_list(values: tuple[str, ...]) -> list[int]:
    from wcfevents.catalog import UnknownName, level_value

    try:
        return [level_value(v) for part in values for v in part.split(",") if v.strip()]
    except UnknownName as exc:
        raise click.BadParameter(str(exc), param_hint="--level") from None


def split_values(values: tuple[str, ...]) -> list[str]:
    return [v.strip() for part in values for v in part.split(",") if v.strip()]


# -- the command group ------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="wcfevents")
def main() -> None:
    """Decode and explain WCF and Workflow ETW traces (provider
    Microsoft-Windows-Application Server-Applications) from .evtx files and XML exports.

    \b
    Examples:
      wcfevents decode trace.evtx --keyword ActivationServices
      wcfevents decode trace.xml --level warning+ --format json | jq .message
      wcfevents lookup 4031
      wcfevents catalog --keyword Quota
    """


@main.command()
@click.argument("ids", nargs=-1, required=True, metavar="ID_OR_SYMBOL...")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]),
              help="table: a panel per event (default on a terminal); json: one object a line.")
@no_color_option
def lookup(ids: tuple[str, ...], fmt: str | None, no_color: bool) -> None:
    """Explain event IDs or symbols offline: level, keywords, channel, message, payload.

    \b
    Examples:
      wcfevents lookup 4031
      wcfevents lookup DispatchSessionFailed 210 --format json
    """
    from wcfevents.api import lookup as find
    from wcfevents.output import entries

    fmt = choose_format(fmt, ("table", "json"))
    found, missing = [], []
    for item in ids:
        entry = find(item)
        (found if entry else missing).append(entry or item)
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
@click.option("--keyword", "-k", multiple=True, help="Keyword name (repeat or comma-separate).")
@click.option("--level", "-l", multiple=True, help="Level name or number (repeatable).")
@click.option("--channel", "-c", multiple=True, help="Analytic, Debug, Operational or a full name.")
@click.option("--search", "-s", help="Text in the symbol or message, any case.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]),
              help="Default: table on a terminal, json otherwise.")
@no_color_option
def catalog(keyword: tuple[str, ...], level: tuple[str, ...], channel: tuple[str, ...],
            search: str | None, fmt: str | None, no_color: bool) -> None:
    """Browse every event the provider documents, filtered.

    \b
    Examples:
      wcfevents catalog --keyword ActivationServices --level error
      wcfevents catalog --search throttle --format csv
    """
    from wcfevents.catalog import UnknownName
    from wcfevents.catalog import load as load_catalog
    from wcfevents.output import entries

    levels = level_list(level)
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
