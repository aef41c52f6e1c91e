"""What a new user types in the first hour: ordinary inputs that must be accepted, and mistakes
that must get one clear line instead of a traceback or a silent empty result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.shell_completion import BashComplete
from click.testing import CliRunner

from wcfevents.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
TRACE = str(FIXTURES / "service-call.evtx")


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def golden(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / f"{name}.golden.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.mark.parametrize("command", ["decode", "activities"])
def test_a_huge_limit_means_no_limit(command: str) -> None:
    result = invoke(command, TRACE, "--limit", "99999999999999999999", "--format", "json")
    assert result.exit_code == 0
    if command == "decode":
        assert len(result.stdout.splitlines()) == len(golden("service-call"))


@pytest.mark.parametrize("typed", ["2024-05-14T08:00", "2024-05-14 08:00", "2024-05-14 08:00Z",
                                   "2024-05-14T10:00+02:00"])
def test_since_takes_the_iso_forms_people_type(typed: str) -> None:
    stamps = sorted(r["timestamp"] for r in golden("service-call"))
    middle = stamps[len(stamps) // 2]
    # The minute the middle record falls in, typed without seconds.
    minute = middle[:16]
    expected = sum(1 for s in stamps if s >= minute + ":00.0000000Z")
    assert minute == "2024-05-14T08:00"  # the fixture's clock; the forms above name this minute
    result = invoke("decode", TRACE, "--since", typed, "--count")
    assert result.exit_code == 0, result.output
    assert int(result.stdout) == expected


def test_since_after_until_says_the_window_is_empty() -> None:
    result = CliRunner().invoke(main, ["decode", TRACE, "--since", "2024-05-15",
                                       "--until", "2024-05-14T08:00"])
    assert result.exit_code == 2
    assert "empty" in result.output and "--since" in result.output


@pytest.mark.parametrize("name", ["all-events", "service-call"])
def test_task_and_opcode_are_always_strings(name: str) -> None:
    result = invoke("decode", str(FIXTURES / f"{name}.evtx"), "--format", "json")
    records = [json.loads(line) for line in result.stdout.splitlines()]
    for key in ("task", "opcode"):
        kinds = {type(r[key]) for r in records}
        assert kinds <= {str, type(None)}, (key, kinds)
    numbered = [r for r in records if r["task"] is not None and r["task"].isdigit()]
    # What the jq filter does: startswith on every record.
    activation = [r for r in records if (r["task"] or "").startswith("Activation")]
    if name == "all-events":
        assert numbered  # tasks the catalog has no name for keep their number, as text
        assert activation


def test_decode_reads_stdin_when_no_path_is_given() -> None:
    with (FIXTURES / "throttling.evtx").open("rb") as fh:
        result = subprocess.run([sys.executable, "-m", "wcfevents", "decode", "--count"],
                                stdin=fh, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == len(golden("throttling"))
    with (FIXTURES / "throttling.evtx").open("rb") as fh:
        result = subprocess.run([sys.executable, "-m", "wcfevents", "summary", "--format",
                                 "json"], stdin=fh, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["records"]["read"] == len(golden("throttling"))


def test_lookup_table_shows_the_payload_fields() -> None:
    result = invoke("lookup", "4031", "--format", "table")
    payload = [line for line in result.stdout.splitlines() if "Payload" in line]
    assert payload and "AppDomain" in payload[0]


def completions(args: list[str], incomplete: str) -> list[str]:
    complete = BashComplete(main, {}, "wcfevents", "_WCFEVENTS_COMPLETE")
    return [item.value for item in complete.get_completions(args, incomplete)]


def test_completion_offers_catalog_names() -> None:
    assert completions(["decode", "x", "--keyword"], "Activ") == ["ActivationServices"]
    assert "Warning+" in completions(["summary", "x", "--level"], "warn")
    assert set(completions(["catalog", "--channel"], "")) >= {"Analytic", "Operational"}
    assert "DispatchSessionFailed" in completions(["lookup"], "DispatchSess")
    assert completions(["decode", "x", "-k"], "ServiceHost,Activ") == [
        "ServiceHost,ActivationServices"]
    assert "symbol,data.MethodName" in completions(["decode", "x", "--fields"], "symbol,data.Meth")
