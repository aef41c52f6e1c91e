"""WCF's legacy trace codes: the packaged catalog against its reference, lookup and catalog."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from wcfevents.catalog.tracecodes import is_wcf_trace_source
from wcfevents.catalog.tracecodes import load as load_tracecodes
from wcfevents.cli import main

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference" / "wcf-trace-codes.jsonl"
ROWS = [json.loads(line) for line in REFERENCE.read_text(encoding="utf-8").splitlines()]


def test_generated_catalog_is_current() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "build_tracecodes.py"),
                             "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_check_fails_on_a_stale_catalog(tmp_path: Path) -> None:
    """--check compares the packaged file: a copy of the tool beside a changed catalog fails."""
    (tmp_path / "tools").mkdir()
    (tmp_path / "data" / "reference").mkdir(parents=True)
    (tmp_path / "wcfevents" / "catalog").mkdir(parents=True)
    tool = tmp_path / "tools" / "build_tracecodes.py"
    tool.write_bytes((ROOT / "tools" / "build_tracecodes.py").read_bytes())
    shared = ROOT / "tools" / "generated.py"
    (tmp_path / "tools" / "generated.py").write_bytes(shared.read_bytes())
    (tmp_path / "data" / "reference" / "wcf-trace-codes.jsonl").write_bytes(
        REFERENCE.read_bytes())
    packaged = tmp_path / "wcfevents" / "catalog" / "tracecodes.json"
    packaged.write_text((ROOT / "wcfevents" / "catalog" / "tracecodes.json").read_text(
        encoding="utf-8").replace("ActivityBoundary", "Renamed"), encoding="utf-8")
    stale = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True,
                           text=True)
    assert stale.returncode == 1 and "stale" in stale.stderr
    assert subprocess.run([sys.executable, str(tool)], capture_output=True).returncode == 0
    assert subprocess.run([sys.executable, str(tool), "--check"]).returncode == 0


def test_every_reference_code_is_packaged() -> None:
    codes = load_tracecodes()
    assert len(codes) == len(ROWS) == 408
    for row in ROWS:
        code = codes.by_code(row["code"])
        assert code is not None and code.to_dict() == {k: row[k] for k in code.to_dict()}
        assert code.code >> 16 == int(row["hex"], 16) >> 16


def test_find_by_number_hex_and_name() -> None:
    codes = load_tracecodes()
    assert codes.find("131085").name == "ActivityBoundary"
    assert codes.find("0x2000D").code == 131085
    assert codes.find("activityboundary").group == "Diagnostics"
    assert codes.find("nope") is None and codes.find("0xZZ") is None


def test_wcf_sources() -> None:
    for name in ("System.ServiceModel", "System.ServiceModel.MessageLogging",
                 "System.IdentityModel", "System.Runtime.Serialization",
                 "System.Activities", "System.Workflow.Runtime"):
        assert is_wcf_trace_source(name), name
    for name in ("Calc.Orders", "System.Net", "System.Runtime.Serialization.Mine", "", None):
        assert not is_wcf_trace_source(name), name


def test_lookup_shows_a_trace_code() -> None:
    result = CliRunner().invoke(main, ["lookup", "131085", "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "code": 131085, "hex": "0x2000D", "name": "ActivityBoundary", "group": "Diagnostics",
        "defined_in": "System.ServiceModel", "description": None}
    table = CliRunner().invoke(main, ["lookup", "524293", "--format", "table"],
                               env={"COLUMNS": "200"})
    assert table.exit_code == 0
    for text in ("CommunicationObjectOpenFailed", "0x80005", "ServiceModel", "trace code"):
        assert text in table.stdout


def test_lookup_prefers_etw_ids_and_reports_unknowns() -> None:
    result = CliRunner().invoke(main, ["lookup", "4031", "131085", "99999", "--format", "json"])
    assert result.exit_code == 1
    first, second = map(json.loads, result.stdout.splitlines())
    assert first["symbol"] == "DispatchSessionFailed" and second["name"] == "ActivityBoundary"


def test_catalog_source_tracecodes() -> None:
    runner = CliRunner()
    every = runner.invoke(main, ["catalog", "--source", "tracecodes", "--format", "json"])
    assert every.exit_code == 0 and len(every.stdout.splitlines()) == 408
    found = runner.invoke(main, ["catalog", "--source", "tracecodes", "--search", "boundary",
                                 "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(found.stdout)))
    assert [r["name"] for r in rows] == ["ActivityBoundary"]
    refused = runner.invoke(main, ["catalog", "--source", "tracecodes", "--level", "error"])
    assert refused.exit_code == 2 and "--level" in refused.stderr
