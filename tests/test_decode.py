"""`decode` on the fixture traces: both engines against the goldens, every filter, every output.

Expected values come from the golden files, which hold what the trace generator meant to write;
the decoder never produced them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wcfevents.api import read as api_read
from wcfevents.cli import main
from wcfevents.model import EVENT_KEYS
from wcfevents.pipeline import Stats, read

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
INTACT = ["activation-failure", "service-call", "throttling", "workflow", "all-events"]
DAMAGED = ["damaged-chunk", "damaged-record"]
WCF = "Microsoft-Windows-Application Server-Applications"


def golden(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / f"{name}.golden.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def decoded(name: str, engine: str = "auto", **selection: Any) -> list[dict[str, Any]]:
    records = []
    for event in read([str(FIXTURES / f"{name}.evtx")], engine=engine,
                      on_damage=lambda d: None, **selection):
        record = event.to_dict()
        record["source"] = Path(record["source"]).name
        records.append(record)
    return records


def by_record(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda r: r["record_id"])


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.mark.parametrize("engine", ["rust", "python"])
@pytest.mark.parametrize("name", INTACT[:-1] + DAMAGED)
def test_engine_matches_golden(name: str, engine: str) -> None:
    """Record for record and in file order (records recovered after damage keep their place)."""
    assert decoded(name, engine) == golden(name)


def test_all_events_fixture_rust_matches_golden_and_holds_every_id() -> None:
    records = decoded("all-events", "rust")
    assert by_record(records) == by_record(golden("all-events"))
    catalog_ids = {json.loads(line)["event_id"]
                   for line in invoke("catalog", "--format", "json").output.splitlines()}
    assert {r["event_id"] for r in records} >= catalog_ids
    assert len(catalog_ids) == 481
    assert all(list(r) == list(EVENT_KEYS) for r in records)


def test_all_events_fixture_python_engine_agrees_with_rust() -> None:
    """The differential check on the largest fixture (python-evtx is slow: one run)."""
    assert by_record(decoded("all-events", "python")) == by_record(decoded("all-events", "rust"))


def test_activation_failure_keyword_symbols() -> None:
    result = invoke("decode", str(FIXTURES / "activation-failure.evtx"), "--keyword",
                    "ActivationServices", "--format", "json")
    assert result.exit_code == 0
    symbols = [json.loads(line)["symbol"] for line in result.output.splitlines()]
    expected = [r["symbol"] for r in golden("activation-failure")
                if "ActivationServices" in r["keywords"]]
    assert symbols == expected
    assert "DispatchSessionFailed" in symbols


def count(name: str, *args: str) -> int:
    result = invoke("decode", str(FIXTURES / f"{name}.evtx"), "--count", *args)
    assert result.exit_code == 0, result.output
    return int(result.output.strip())


def test_filter_counts_equal_the_goldens() -> None:
    rows = golden("all-events")
    name = "all-events"
    assert count(name) == len(rows)
    assert count(name, "--id", "4001-4035,214") == sum(
        1 for r in rows if 4001 <= r["event_id"] <= 4035 or r["event_id"] == 214)
    assert count(name, "--id", "4031") == sum(1 for r in rows if r["event_id"] == 4031)
    assert count(name, "--level", "warning+") == sum(1 for r in rows if 1 <= r["level_value"] <= 3)
    assert count(name, "--level", "error", "--level", "critical") == sum(
        1 for r in rows if r["level_value"] in (1, 2))
    assert count(name, "--channel", "Debug") == sum(
        1 for r in rows if r["channel"].endswith("/Debug"))
    assert count(name, "--wcf-only") == sum(1 for r in rows if r["provider"] == WCF)
    assert count(name, "--provider", "c651f5f6-1c0d-492e-8ae1-b4efd7c9d503") == sum(
        1 for r in rows if r["provider"] == WCF)
    pid = rows[len(rows) // 2]["process_id"]
    assert count(name, "--pid", str(pid)) == sum(1 for r in rows if r["process_id"] == pid)
    times = sorted(r["timestamp"] for r in rows)
    middle = times[len(times) // 2]
    assert count(name, "--since", middle) == sum(1 for t in times if t >= middle)
    assert count(name, "--until", middle) == sum(1 for t in times if t <= middle)
    grep = "throttle"
    assert count(name, "--grep", grep.upper()) == sum(
        1 for r in rows if grep in "\n".join(
            [r["message"] or "", r["symbol"] or ""]
            + [str(v) for v in r["data"].values() if v is not None]).lower())


def test_keyword_filter_uses_recorded_or_documented_keywords() -> None:
    rows = golden("all-events")
    documented = {json.loads(line)["event_id"] for line in invoke(
        "catalog", "--keyword", "Quota", "--format", "json").output.splitlines()}
    assert count("all-events", "--keyword", "quota") == sum(
        1 for r in rows if "Quota" in r["keywords"] or r["event_id"] in documented)


def test_activity_filter() -> None:
    rows = golden("service-call")
    activity = next(r["activity_id"] for r in rows if r["activity_id"])
    expected = sum(1 for r in rows
                   if activity in (r["activity_id"], r["related_activity_id"]))
    assert count("service-call", "--activity", "{" + activity.upper() + "}") == expected


def test_filters_combine_with_and() -> None:
    rows = golden("all-events")
    assert count("all-events", "--level", "error", "--channel", "analytic") == sum(
        1 for r in rows if r["level_value"] == 2 and r["channel"].endswith("/Analytic"))


def test_json_is_the_default_off_a_terminal_and_fields_pick_keys() -> None:
    result = invoke("decode", str(FIXTURES / "throttling.evtx"), "--fields",
                    "event_id,symbol,message", "--limit", "3")
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 3
    expected = [{k: r[k] for k in ("event_id", "symbol", "message")}
                for r in golden("throttling")[:3]]
    assert lines == expected


def test_csv_output() -> None:
    result = invoke("decode", str(FIXTURES / "throttling.evtx"), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    gold = golden("throttling")
    assert list(rows[0]) == list(EVENT_KEYS)
    assert len(rows) == len(gold)
    assert [r["symbol"] for r in rows] == [g["symbol"] or "" for g in gold]
    assert json.loads(rows[0]["data"]) == gold[0]["data"]


def test_table_output_is_readable() -> None:
    result = CliRunner().invoke(main, ["decode", str(FIXTURES / "activation-failure.evtx"),
                                       "--format", "table", "--id", "4031"],
                                env={"COLUMNS": "160"})
    assert result.exit_code == 0
    assert "DispatchSessionFailed" in result.output
    assert "Session dispatch failed." in result.output
    assert "\x1b[" not in result.output  # no colour codes off a terminal


def test_bad_options_are_usage_errors() -> None:
    for args in (["--level", "loud"], ["--keyword", "Nope"], ["--id", "x"],
                 ["--since", "yesterday"], ["--fields", "nope"]):
        result = CliRunner().invoke(main, ["decode", str(FIXTURES / "throttling.evtx"), *args])
        assert result.exit_code == 2, args
        assert "Traceback" not in result.output


def test_damaged_chunk_warns_counts_and_exits_1() -> None:
    result = CliRunner().invoke(main, ["decode", str(FIXTURES / "damaged-chunk.evtx"),
                                       "--format", "json"])
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == len(golden("damaged-chunk"))
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    assert "damaged-chunk.evtx" in warnings[0] and "chunk 1" in warnings[0]
    assert "offset 69632" in warnings[0]
    assert "lost" in result.stderr.splitlines()[-1]


def test_damaged_record_accounting() -> None:
    stats = Stats()
    damage: list[Any] = []
    events = list(read([str(FIXTURES / "damaged-record.evtx")], stats=stats,
                       on_damage=damage.append))
    assert len(events) == len(golden("damaged-record")) == stats.read
    assert stats.lost == 1 and len(damage) == 1
    assert not stats.complete


def test_a_directory_and_stdin() -> None:
    names = sorted(p.name for p in FIXTURES.glob("*.evtx"))
    stats = Stats()
    events = list(read([str(FIXTURES)], stats=stats, on_damage=lambda d: None,
                       on_unreadable=lambda e: None))
    assert {Path(e.source).name for e in events} >= set(names)
    with (FIXTURES / "throttling.evtx").open("rb") as fh:
        result = subprocess.run([*command(), "decode", "-", "--count"], stdin=fh,
                                capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == len(golden("throttling"))


def command() -> list[str]:
    found = shutil.which("wcfevents", path=os.path.dirname(sys.executable))
    return [found] if found else [sys.executable, "-m", "wcfevents"]


def test_missing_file_is_one_line_exit_2() -> None:
    result = subprocess.run([*command(), "decode", "no-such-file.evtx"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "wcfevents: error: no-such-file.evtx: No such file or directory",
        "wcfevents: 0 records read, 0 matched, 0 filtered out, 0 lost; 1 of 1 inputs unreadable",
    ]


def test_piping_into_head_is_quiet() -> None:
    pipeline = subprocess.run(
        f"'{command()[0]}' decode '{FIXTURES / 'all-events.evtx'}' --format json | head -n 1"
        if len(command()) == 1 else
        f"'{sys.executable}' -m wcfevents decode '{FIXTURES / 'all-events.evtx'}' | head -n 1",
        shell=True, capture_output=True, text=True)
    assert pipeline.returncode == 0
    assert len(pipeline.stdout.splitlines()) == 1
    assert pipeline.stderr == ""


def test_python_api_is_what_the_cli_prints() -> None:
    import wcfevents

    api = [e.to_dict() for e in wcfevents.read(str(FIXTURES / "throttling.evtx"),
                                               levels=["warning+"])]
    cli = [json.loads(line) for line in invoke(
        "decode", str(FIXTURES / "throttling.evtx"), "--level", "warning+").output.splitlines()]
    assert api == cli and api
    assert wcfevents.lookup("MessageThrottleExceeded").event_id == 210


def fixture_written(name: str) -> int:
    """How many records the fixture's file holds on disk: its record IDs run 1…N."""
    from wcfevents.sources.evtx_layout import read_file_header

    with (FIXTURES / f"{name}.evtx").open("rb") as fh:
        header = read_file_header(fh)
    assert header is not None
    return header.next_record_id - 1


@pytest.mark.parametrize("engine", ["rust", "python"])
@pytest.mark.parametrize("name", INTACT[:-1] + DAMAGED)
def test_accounting_on_every_fixture(name: str, engine: str) -> None:
    """Records on disk = decoded + lost, and decoded = matched + filtered out."""
    stats = Stats()
    rows = golden(name)
    list(api_read([str(FIXTURES / f"{name}.evtx")], engine=engine, stats=stats,
                  on_damage=lambda d: None, levels=["warning+"]))
    assert stats.read == len(rows)
    assert stats.matched == sum(1 for r in rows if 1 <= r["level_value"] <= 3)
    assert stats.read == stats.matched + stats.filtered
    assert stats.read + stats.lost == fixture_written(name)
    assert stats.unknown_loss == 0
