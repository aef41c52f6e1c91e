"""The real .svclog samples in ../shared/samples/svclog, pinned to the figures of their README
(measured there without an XML library). The tests skip when ../shared is absent."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wcfevents.api import read
from wcfevents.cli import main
from wcfevents.model import Event
from wcfevents.pipeline import Stats
from wcfevents.sources import Damage

SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "samples" / "svclog"
TRACE_LOG = SAMPLES / "faiteo-Client_web_tracelog.svclog"
MESSAGE_LOG = SAMPLES / "faiteo-Client_web_messages.svclog"


def readme_facts() -> dict[str, dict[str, Any]]:
    """Per file: the overview row, SubType counts and EventID counts (with names)."""
    readme = SAMPLES / "README.md"
    if not readme.exists():
        return {}
    facts: dict[str, dict[str, Any]] = {}
    current = None
    for line in readme.read_text(encoding="utf-8").splitlines():
        row = re.match(r"^\| `([^`]+)` \| ([\d,]+) \| (\d[\d,]*) \| (\d+) \| (\d+) \| (\d+) \| "
                       r"(\d+) \| (\d+) \| (\d+) \| (\S+) \| (\S+) \|$", line)
        if row:
            numbers = [int(g.replace(",", "")) for g in row.groups()[1:9]]
            facts[row.group(1)] = dict(zip(
                ("bytes", "records", "Start", "Stop", "Transfer", "activities", "zero",
                 "processes"), numbers, strict=True), first=row.group(10), last=row.group(11))
            continue
        head = re.match(r"^\*\*`([^`]+)`\*\*", line)
        if head:
            current = head.group(1)
        elif current and line.startswith("SubType: "):
            facts[current]["subtypes"] = {
                name: int(n) for name, n in re.findall(r"(\w+) (\d+)", line[9:])}
        elif current and line.startswith("EventID: "):
            facts[current]["event_ids"] = {
                int(i): (name, int(n))
                for i, name, n in re.findall(r"(\d+) \(([^)]+)\) ×(\d+)", line[9:])}
    return facts


FACTS = readme_facts()
needs_samples = pytest.mark.skipif(not FACTS, reason="../shared/samples/svclog is not present")


def decode(path: Path) -> tuple[list[Event], Stats, list[Damage]]:
    stats = Stats()
    damage: list[Damage] = []
    events = list(read([str(path)], stats=stats, on_damage=damage.append))
    return events, stats, damage


@needs_samples
def test_readme_was_read() -> None:
    assert len(FACTS) == 9
    assert all("subtypes" in f and "event_ids" in f for f in FACTS.values())


@needs_samples
@pytest.mark.parametrize("name", sorted(FACTS))
def test_sample_matches_its_readme(name: str) -> None:
    facts = FACTS[name]
    events, stats, damage = decode(SAMPLES / name)
    assert damage == [] and stats.complete
    assert len(events) == stats.read == stats.matched == facts["records"]
    subtypes = Counter(e.extra["SubType"] for e in events)
    assert subtypes == facts["subtypes"]
    for kind in ("Start", "Stop", "Transfer"):
        assert subtypes.get(kind, 0) == facts[kind]
        assert sum(e.opcode == kind for e in events) == facts[kind]
    assert Counter(e.event_id for e in events) == {
        i: n for i, (_, n) in facts["event_ids"].items()}
    for event in events:  # the README's names are the catalog's; 0 has none
        expected = facts["event_ids"][event.event_id][0]
        assert event.symbol == (None if event.event_id == 0 else expected)
    assert len({e.activity_id for e in events if e.activity_id}) == facts["activities"]
    assert sum(e.activity_id is None for e in events) == facts["zero"]
    assert len({e.process_id for e in events}) == facts["processes"]
    assert events[0].timestamp == facts["first"] and events[-1].timestamp == facts["last"]


@needs_samples
@pytest.mark.parametrize("name", sorted(FACTS))
def test_sample_exits_0(name: str) -> None:
    result = CliRunner().invoke(main, ["decode", str(SAMPLES / name), "--count"])
    assert result.exit_code == 0, result.stderr
    assert int(result.stdout) == FACTS[name]["records"]


def _blocks(block: dict[str, Any]) -> list[dict[str, Any]]:
    found = [block]
    if "InnerException" in block:
        found += _blocks(block["InnerException"])
    return found


@needs_samples
def test_exceptions_read_as_a_developer_reads_them() -> None:
    events, _, _ = decode(TRACE_LOG)
    outer = [e.data["Exception"] for e in events if isinstance(e.data.get("Exception"), dict)]
    assert len(outer) == 10
    blocks = [b for block in outer for b in _blocks(block)]
    assert len(blocks) - len(outer) == 17
    assert sum("NativeErrorCode" in b for b in blocks) == 7
    texts = [b[k] for b in blocks for k in ("Message", "StackTrace", "ExceptionString") if b[k]]
    assert not any("&amp;" in t or "&gt;" in t or "&lt;" in t for t in texts)
    assert any("MessageData& msgData" in t for t in texts)
    assert any("---> System.Net.WebException" in t for t in texts)
    leaf = [e.data["Exception"] for e in events if isinstance(e.data.get("Exception"), str)]
    assert len(leaf) == 1 and "---> System.Net.WebException" in leaf[0]  # escaped once only
    assert "Socket& socket" in leaf[0]


@needs_samples
def test_event_log_values_unescaped() -> None:
    events, _, _ = decode(SAMPLES / "laoluolapegba-finservice_Web_tracelog.svclog")
    logged = [e for e in events if e.event_id == 131074]
    assert len(logged) == 4
    values = [v for e in logged for k, v in e.data.items() if re.fullmatch(r"Value\d+", k)]
    assert any("---> System.InvalidOperationException" in v for v in values)
    assert not any("&gt;" in v or "&amp;" in v for v in values)


@needs_samples
def test_records_mirrored_from_etw_carry_their_channel() -> None:
    events, _, _ = decode(SAMPLES / "Friend502-PWcf_SdrConfigExample.e2e")
    channels = Counter((e.event_id, e.channel) for e in events if e.channel)
    prefix = "Microsoft-Windows-Application Server-Applications/"
    assert channels == {(131076, prefix + "Analytic"): 2, (131073, prefix + "Debug"): 1}


@needs_samples
def test_message_logs_carry_addressing_and_bodies() -> None:
    events, _, _ = decode(SAMPLES / "srijhbdfbdb-sample1_Traces.svclog")
    assert all(e.extra["Envelope"].startswith("<s:Envelope") for e in events)
    assert sum("MessageID" in e.data for e in events) > 0
    assert sum("RelatesTo" in e.data for e in events) > 0
    help_pages, _, _ = decode(SAMPLES / "Friend502-PWcf_web_messages.svclog")
    bodies = [e.extra.get("Envelope", "") for e in help_pages]
    assert any(b.startswith("<HTML") for b in bodies)
    assert any(b.startswith("<wsdl:definitions") for b in bodies)


def _activities(*paths: Path, focus: str | None = None) -> tuple[int, list[dict[str, Any]]]:
    args = ["activities", *map(str, paths), "--format", "json"]
    if focus:
        args += ["--activity", focus]
    result = CliRunner().invoke(main, args)
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def _has_cycle(by_id: dict[str, dict[str, Any]]) -> bool:
    for start in by_id:
        seen, current = set(), start
        while current in by_id and by_id[current]["parent"]:
            if current in seen:
                return True
            seen.add(current)
            current = by_id[current]["parent"]
    return False


@needs_samples
@pytest.mark.parametrize("name", ["faiteo-Client_web_tracelog.svclog",
                                  "laoluolapegba-finservice_Web_tracelog.svclog",
                                  "Friend502-PWcf_SdrConfigExample.e2e"])
def test_trace_logs_give_trees(name: str) -> None:
    code, rows = _activities(SAMPLES / name)
    assert code == 0
    by_id = {r["activity_id"]: r for r in rows}
    assert len(by_id) == FACTS[name]["activities"]
    assert not _has_cycle(by_id)
    for row in rows:
        for child in row["children"]:
            assert by_id[child]["parent"] == row["activity_id"]
    named = [r for r in rows if r["name"]]
    assert named and all(isinstance(r["name"], str) for r in named)


@needs_samples
def test_trace_log_and_message_log_join_by_activity() -> None:
    code, rows = _activities(TRACE_LOG, MESSAGE_LOG)
    assert code == 0
    by_id = {r["activity_id"]: r for r in rows}
    traced = Counter(e.activity_id for e in decode(TRACE_LOG)[0])
    messages = Counter(e.activity_id for e in decode(MESSAGE_LOG)[0])
    assert len(messages) == 383 and len(by_id) == FACTS[TRACE_LOG.name]["activities"]
    for activity_id, count in messages.items():
        joined = by_id[activity_id]
        assert traced[activity_id] > 0
        assert joined["event_count"] == traced[activity_id] + count
        assert joined["name"]  # the trace log's Start names the message log's activity


@needs_samples
def test_one_request_across_both_files() -> None:
    messages = Counter(e.activity_id for e in decode(MESSAGE_LOG)[0])
    focus = min(messages)
    result = CliRunner().invoke(main, ["activities", str(TRACE_LOG), str(MESSAGE_LOG),
                                       "--activity", focus, "--format", "table"],
                                env={"COLUMNS": "250"})
    assert result.exit_code == 0
    assert f"activity {focus}" in result.stdout
    assert "ActivityBoundary Start" in result.stdout  # from the trace log
    assert re.search(r"Transport(Send|Receive)|ServiceLevel", result.stdout)  # message log


@needs_samples
def test_merged_decode_is_in_time_order_and_identical_with_jobs() -> None:
    runner = CliRunner()
    outputs = []
    for jobs in ("1", "4"):
        result = runner.invoke(main, ["decode", str(TRACE_LOG), str(MESSAGE_LOG), "--format",
                                      "json", "--jobs", jobs])
        assert result.exit_code == 0
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    records = [json.loads(line) for line in outputs[0].splitlines()]
    assert len(records) == FACTS[TRACE_LOG.name]["records"] + FACTS[MESSAGE_LOG.name]["records"]
    stamps = [r["timestamp"] for r in records]
    assert stamps == sorted(stamps)
