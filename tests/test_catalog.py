"""The catalog against the reference facts it is built from, and the lookup/catalog commands."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from wcfevents.catalog import PROVIDER_GUID, UnknownName, level_value
from wcfevents.catalog import load as load_catalog
from wcfevents.cli import main

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference" / "wcf-etw-events.jsonl"
LOOKUP_KEYS = ["event_id", "symbol", "level", "level_value", "keywords", "channel", "task",
               "opcode", "version", "message", "fields", "doc_url", "documented"]


def reference_rows() -> list[dict]:
    with REFERENCE.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


ROWS = reference_rows()


def test_catalog_holds_every_reference_event() -> None:
    catalog = load_catalog()
    assert len(catalog) == len(ROWS) == 481
    assert sum(1 for e in catalog if e.documented) == 474
    assert sorted(e.event_id for e in catalog if not e.documented) == [
        3561, 57405, 57406, 57407, 57408, 57409, 57410]
    assert catalog.provider_guid == PROVIDER_GUID


@pytest.mark.parametrize("row", ROWS, ids=lambda r: str(r["id"]))
def test_entry_agrees_with_reference(row: dict) -> None:
    entry = load_catalog().by_id(row["id"])
    assert entry is not None
    assert entry.symbol == row["symbol"]
    assert entry.level_value == row["level_value"]
    assert entry.level == {"Informational": "Information"}.get(row["level"], row["level"])
    assert list(entry.keywords) == row["keywords"]
    assert entry.channel == row["channel_full"]
    assert entry.channel.startswith("Microsoft-Windows-Application Server-Applications/")
    assert entry.task == row["task"]
    assert entry.opcode == row["opcode"]
    assert entry.version == row["version"]
    expected_message = row["message_table"] if row["message_table"] is not None else row["message"]
    assert entry.message == expected_message
    assert [(f.name, f.type) for f in entry.fields] == [
        (f["name"], f["inType"]) for f in row["manifest_fields"]]
    if row["documented"]:
        path = row["doc_path"].removeprefix("docs/").removesuffix(".md")
        assert entry.doc_url == "https://learn.microsoft.com/dotnet/" + path
    else:
        assert entry.doc_url is None
    if row["keywords_mask"]:
        assert entry.keywords_mask == int(row["keywords_mask"], 16)


def test_disagreements_stay_visible() -> None:
    catalog = load_catalog()
    note_218 = " ".join(catalog.by_id(218).notes)
    assert "ServiceChannelCallStop" in note_218
    assert any("Quota" in n for n in catalog.by_id(210).notes)
    assert any("Debug" in n for n in catalog.by_id(201).notes)
    assert any("1%" in n for n in catalog.by_id(1400).notes)
    assert catalog.by_id(1400).message == "%1"


def test_catalog_is_current() -> None:
    """The packaged data is exactly what the committed build script makes of the reference."""
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "build_catalog.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_names_any_case() -> None:
    catalog = load_catalog()
    assert catalog.keyword("activationservices") == "ActivationServices"
    assert catalog.channel("analytic").endswith("/Analytic")
    assert catalog.channel("DEBUG").endswith("/Debug")
    assert level_value("Informational") == 4
    assert level_value("warning") == 3
    with pytest.raises(UnknownName, match="ActivationServices"):
        catalog.keyword("nope")
    assert catalog.find("dispatchsessionfailed").event_id == 4031
    assert catalog.find(" 4031 ").symbol == "DispatchSessionFailed"


def test_lookup_json_4031() -> None:
    result = CliRunner().invoke(main, ["lookup", "4031", "--format", "json"])
    assert result.exit_code == 0
    record = json.loads(result.output)
    assert list(record) == LOOKUP_KEYS
    assert record["symbol"] == "DispatchSessionFailed"
    assert record["level"] == "Error"
    assert record["keywords"] == ["ActivationServices"]
    assert record["channel"] == "Microsoft-Windows-Application Server-Applications/Analytic"
    assert record["message"] == "Session dispatch failed."


def test_lookup_unknown_is_one_line_exit_1() -> None:
    result = CliRunner().invoke(main, ["lookup", "99999", "--format", "json"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == ["wcfevents: unknown event ID or symbol: 99999"]


def test_lookup_table_shows_the_facts() -> None:
    result = CliRunner().invoke(main, ["lookup", "218", "--format", "table"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for text in ("ClientOperationCompleted", "ServiceChannelCallStop", "%1", "Action",
                 "218-clientoperationcompleted"):
        assert text in result.output


def test_catalog_json_has_every_event() -> None:
    result = CliRunner().invoke(main, ["catalog", "--format", "json"])
    lines = result.output.splitlines()
    assert len(lines) == 481
    by_id = {row["id"]: row for row in ROWS}
    for line in lines:
        record = json.loads(line)
        row = by_id[record["event_id"]]
        if row["documented"]:
            assert record["symbol"] == row["symbol"]
            assert record["level_value"] == row["level_value"]
            assert record["keywords"] == row["keywords"]
            assert record["channel"] == row["channel_full"]


def test_catalog_filters() -> None:
    runner = CliRunner()

    def ids(*args: str) -> set[int]:
        result = runner.invoke(main, ["catalog", "--format", "json", *args])
        assert result.exit_code == 0, result.output
        return {json.loads(line)["event_id"] for line in result.output.splitlines()}

    expected = {r["id"] for r in ROWS if "ActivationServices" in r["keywords"]}
    assert ids("--keyword", "activationservices") == expected
    errors = {r["id"] for r in ROWS
              if r["level_value"] == 2 and "ActivationServices" in r["keywords"]}
    assert ids("-k", "ActivationServices", "--level", "error") == errors
    assert 4031 in errors
    operational = {r["id"] for r in ROWS if r["channel_full"].endswith("/Operational")}
    assert ids("--channel", "operational") == operational

    def text(row: dict) -> str:
        message = row["message_table"] if row["message_table"] is not None else row["message"]
        return (row["symbol"] + " " + (message or "")).lower()

    assert ids("--search", "THROTTLE") == {r["id"] for r in ROWS if "throttle" in text(r)}


def test_catalog_bad_names_list_valid_ones() -> None:
    result = CliRunner().invoke(main, ["catalog", "--level", "loud"])
    assert result.exit_code == 2
    assert "Verbose" in result.output and "Traceback" not in result.output


def test_catalog_csv() -> None:
    result = CliRunner().invoke(main, ["catalog", "--format", "csv", "--keyword", "Quota"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {r["event_id"] for r in rows} == {
        str(r["id"]) for r in ROWS if "Quota" in r["keywords"]}


def installed_command() -> list[str]:
    found = shutil.which("wcfevents", path=os.path.dirname(sys.executable))
    return [found] if found else [sys.executable, "-m", "wcfevents"]


def test_installed_command_lookup() -> None:
    result = subprocess.run([*installed_command(), "lookup", "4031", "--format", "json"],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert json.loads(result.stdout)["symbol"] == "DispatchSessionFailed"


def test_installed_command_unknown_has_no_traceback() -> None:
    result = subprocess.run([*installed_command(), "lookup", "NoSuchEvent"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_installed_command_catalog_count() -> None:
    result = subprocess.run([*installed_command(), "catalog", "--format", "json"],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) == 481


def test_version_and_help() -> None:
    result = subprocess.run([*installed_command(), "--version"], capture_output=True, text=True)
    assert result.stdout.strip().endswith("0.1.0")
    for command in ("lookup", "catalog", "completion"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
