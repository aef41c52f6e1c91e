"""The terminal table: fast enough for a large trace, readable at any width, and telling where
each row came from and whether it comes from a damaged part of a file."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wcfevents.api import read as api_read
from wcfevents.cli import main
from wcfevents.model import Event
from wcfevents.output import table
from wcfevents.pipeline import read

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
URI = re.compile(r"\b[a-z.]+://\S+")


def golden(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / f"{name}.golden.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def decode(*args: str, columns: int = 120) -> str:
    result = CliRunner().invoke(main, ["decode", *args, "--format", "table"],
                                env={"COLUMNS": str(columns)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_rows_stream_as_events_arrive() -> None:
    out = io.BytesIO()
    events = list(read([str(FIXTURES / "service-call.evtx")]))[:3]

    def arriving() -> Any:
        for index, event in enumerate(events):
            if index:  # the previous row is out before the next event is even read
                assert out.getvalue().count(b"\n") >= index + 1
            yield event

    assert table.write(arriving(), out, table.layout(200)) == 3


@pytest.mark.parametrize("columns", [80, 100, 120, 160])
def test_uris_are_never_broken(columns: int) -> None:
    output = decode(str(FIXTURES / "service-call.evtx"), columns=columns)
    uris = {u.rstrip(".'") for r in golden("service-call") for u in URI.findall(r["message"] or "")}
    assert uris
    for uri in uris:
        assert uri in output, (columns, uri)


def test_the_message_column_gets_the_room_on_narrow_terminals() -> None:
    for columns in (80, 100, 120):
        lay = table.layout(columns)
        sizes = dict(zip(lay.names, lay.widths, strict=True))
        assert sizes["message"] == max(sizes.values())
        assert lay.message_start + sizes["message"] == columns
    output = decode(str(FIXTURES / "service-call.evtx"), columns=80)
    narrow = table.layout(80)
    room = narrow.widths[narrow.names.index("message")]
    # Only a word longer than the whole message column (kept whole) may run past the edge.
    assert all(len(line) <= 80 or len(line.split()[-1]) > room
               for line in output.splitlines())


def test_symbols_are_whole_at_200_columns() -> None:
    output = decode(str(FIXTURES / "all-events.evtx"), columns=200)
    symbols = {r["symbol"] for r in golden("all-events") if r["symbol"]}
    assert max(map(len, symbols)) > 40
    assert all(symbol in output for symbol in symbols)


def test_several_inputs_get_a_source_column() -> None:
    output = decode(str(FIXTURES / "service-call.evtx"), str(FIXTURES / "throttling.evtx"),
                    columns=160)
    assert "Source" in output.splitlines()[0]
    rows = [line for line in output.splitlines() if line.startswith("2024-")]
    assert {("service-call" in r, "throttling" in r) for r in rows} == {(True, False),
                                                                        (False, True)}
    assert "Source" not in decode(str(FIXTURES / "service-call.evtx")).splitlines()[0]


def test_a_record_of_a_damaged_chunk_is_marked() -> None:
    events = list(read([str(FIXTURES / "service-call.evtx")]))[:2]
    events[1].extra["integrity"] = "chunk checksum mismatch"
    text = table.encode(events, table.layout(160)).decode()
    first, second = [line for line in text.splitlines() if line.startswith("2024-")]
    assert "DAMAGED" not in first
    assert "DAMAGED: chunk checksum mismatch" in second


def test_fields_take_payload_paths_for_table_csv_and_json() -> None:
    path = str(FIXTURES / "service-call.evtx")
    expected = [r["data"].get("MethodName") for r in golden("service-call")]
    assert any(expected)
    result = CliRunner().invoke(main, ["decode", path, "--format", "csv", "--fields",
                                       "record_id,data.MethodName"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["data.MethodName"] or None for r in rows] == expected
    result = CliRunner().invoke(main, ["decode", path, "--format", "json", "--fields",
                                       "data.MethodName"])
    assert [json.loads(line)["data.MethodName"] for line in result.stdout.splitlines()] == expected
    output = decode(path, "--fields", "symbol,data.MethodName", columns=120)
    assert output.splitlines()[0].split() == ["Symbol", "MethodName"]
    shown = [line.split()[1] for line in output.splitlines()[1:] if len(line.split()) > 1]
    assert shown == [m for m in expected if m]
    bad = CliRunner().invoke(main, ["decode", path, "--fields", "data."])
    assert bad.exit_code == 2


def test_no_colour_off_a_terminal_and_colour_on_one() -> None:
    events = list(api_read([str(FIXTURES / "throttling.evtx")], levels=["warning"]))
    plain = table.encode(events, table.layout(120)).decode()
    coloured = table.encode(events, table.layout(120, color=True)).decode()
    assert "\x1b[" not in plain and "\x1b[33m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_cell_text_of_a_bare_event() -> None:
    assert table.cell_text(Event(event_id=7), "event_id") == "7"
