"""From the activity list to the failing request: first errors on the rows (subtree included)
and short activity IDs, as the tables show them, wherever a GUID is accepted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wcfevents.cli import main
from wcfevents.model import short_ids
from wcfevents.testing.evtx_writer import write_evtx
from wcfevents.testing.scenarios import W3WP_CALC, TraceBuilder

PARENT = "11112222-3333-4444-8555-666677778888"
CHILD = "99990000-aaaa-4bbb-8ccc-ddddeeeeffff"
TWIN_A = "abcd1234-0000-4000-8000-000000000001"
TWIN_B = "abcd1234-0000-4000-8000-000000000002"
FAILURE = "System.TimeoutException: the order store did not answer"


@pytest.fixture(scope="module")
def trace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    b = TraceBuilder(21)
    events = [
        b.emit(213, W3WP_CALC, PARENT),
        b.emit(499, W3WP_CALC, PARENT, related=CHILD),
        b.emit(217, W3WP_CALC, CHILD),
        b.emit(219, W3WP_CALC, CHILD, ExceptionToString=FAILURE,
               ExceptionTypeName="System.TimeoutException"),
        b.emit(219, W3WP_CALC, CHILD, ExceptionToString="a later error",
               ExceptionTypeName="System.Exception"),
        b.emit(213, W3WP_CALC, TWIN_A),
        b.emit(213, W3WP_CALC, TWIN_B),
    ]
    path = tmp_path_factory.mktemp("drill") / "drill.evtx"
    write_evtx(path, events)
    return path


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def activities(trace: Path) -> dict[str, dict[str, Any]]:
    result = run("activities", str(trace), "--format", "json")
    assert result.exit_code == 0, result.output
    return {row["activity_id"]: row for row in map(json.loads, result.stdout.splitlines())}


def test_rows_carry_the_first_error_of_the_activity_and_its_subtree(trace: Path) -> None:
    rows = activities(trace)
    assert FAILURE in rows[CHILD]["first_error"]
    assert "a later error" not in rows[CHILD]["first_error"]
    assert rows[PARENT]["first_error"] == rows[CHILD]["first_error"]  # from its child
    assert rows[TWIN_A]["first_error"] is None


def test_the_table_shows_short_ids_and_the_error(trace: Path) -> None:
    result = CliRunner().invoke(main, ["activities", str(trace), "--format", "table"],
                                env={"COLUMNS": "240"})
    assert result.exit_code == 0
    short = short_ids(activities(trace))
    assert short[CHILD] == CHILD[:8] and short[TWIN_A] == TWIN_A  # twins need every character
    assert CHILD[:8] in result.stdout and CHILD not in result.stdout
    assert "System.TimeoutException" in result.stdout


def test_a_short_id_works_for_the_activity_timeline(trace: Path) -> None:
    result = run("activities", str(trace), "--activity", PARENT[:8], "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["activity_id"] == PARENT
    tree = run("activities", str(trace), "--activity", "1111", "--format", "table")
    assert tree.exit_code == 0 and FAILURE.split(":")[0] in tree.stdout
    assert "first error:" in tree.stdout  # the root carries its subtree's first error


@pytest.mark.parametrize("command", ["decode", "show"])
def test_a_short_id_works_for_decode_and_show(trace: Path, command: str) -> None:
    result = run(command, str(trace), "--activity", CHILD[:8], "--format", "json") \
        if command == "decode" else run(command, str(trace), "--activity", CHILD[:8])
    assert result.exit_code == 0, result.output
    if command == "decode":
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert len(rows) == 4  # the transfer into it, and its three events
        assert {CHILD} == {r["activity_id"] for r in rows} - {PARENT}
    else:
        assert result.stdout.count("── record ") == 4


def test_a_short_id_works_for_summary(trace: Path) -> None:
    result = run("summary", str(trace), "--activity", CHILD[:8], "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["records"]["matched"] == 4


@pytest.mark.parametrize("command", ["decode", "show", "summary", "activities"])
def test_an_ambiguous_prefix_is_a_clear_usage_error(trace: Path, command: str) -> None:
    result = run(command, str(trace), "--activity", TWIN_A[:12])
    assert result.exit_code == 2
    assert "abcd1234-0000" in result.output and "more of the ID" in result.output


def test_a_prefix_must_look_like_an_id(trace: Path) -> None:
    result = run("decode", str(trace), "--activity", "not-hex!")
    assert result.exit_code == 2 and "--activity" in result.output
