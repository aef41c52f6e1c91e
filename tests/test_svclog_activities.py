"""Activities of .svclog files (names, the tree rule, joining inputs by ActivityID) and several
inputs merged in time order, on the fixtures our writer made."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from wcfevents.analysis.activities import track
from wcfevents.api import read
from wcfevents.cli import main
from wcfevents.model import Event
from wcfevents.pipeline import Stats
from wcfevents.testing.svclog_scenarios import guid, trace_log
from wcfevents.testing.svclog_writer import Record, write_svclog

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TRACE = FIXTURES / "svclog-service.svclog"
MESSAGES = FIXTURES / "svclog-service.messages.svclog"
HOST, LISTEN = guid(1), guid(2)


def test_transfers_form_a_tree_and_returns_link_nothing() -> None:
    tracker = track(read([str(TRACE)]))
    got = {a.activity_id: a for a in tracker.activities.values()}
    assert got[HOST].parent is None
    assert got[LISTEN].parent == HOST  # the transfer back LISTEN → HOST linked nothing
    for number in (10, 20):
        process, execute = guid(number), guid(number + 1)
        assert got[process].parent == LISTEN and got[execute].parent == process
        assert got[process].children == [execute]  # execute → process (back) linked nothing
    assert got[LISTEN].children == [guid(10), guid(20)]
    assert got[HOST].children == [LISTEN]


def test_first_start_names_the_activity() -> None:
    tracker = track(read([str(TRACE)]))
    assert tracker.activities[HOST].name == "Construct ServiceHost 'Calc.Service'."
    assert tracker.activities[guid(21)].name == "Execute 'Calc.ICalculator.Divide'."
    assert tracker.activities[guid(20)].to_dict()["name"] == (
        "Process action 'http://tempuri.org/ICalculator/Divide'.")


def test_a_reused_id_keeps_its_first_name() -> None:
    t0 = "2026-03-02T09:15:00.0000000Z"
    records = [Record(t0, "Start", 131085, activity=guid(5), description="b",
                      extended=[("ActivityName", name)]) for name in ("first", "second")]
    events = read_bytes(write_svclog(records))
    assert track(events).activities[guid(5)].name == "first"


def read_bytes(data: bytes) -> list[Event]:
    from wcfevents.pipeline import read_inputs
    from wcfevents.sources import Input

    return list(read_inputs([Input("-", stream=io.BytesIO(data))]))


def _etw(activity: str, related: str, event_id: int = 499, opcode_id: int = 0) -> Event:
    return Event(timestamp="2026-03-02T09:15:00.0000000Z", event_id=event_id, level_value=4,
                 activity_id=activity, related_activity_id=related, opcode_id=opcode_id)


def test_etw_transfers_follow_the_same_rule() -> None:
    a, b, c = guid(1), guid(2), guid(3)
    tracker = track([_etw(a, b), _etw(b, c), _etw(c, a), _etw(b, a), _etw(b, b),
                     _etw(a, c)])
    got = tracker.activities
    assert (got[a].parent, got[b].parent, got[c].parent) == (None, a, b)
    assert got[a].children == [b] and got[b].children == [c] and got[c].children == []


def test_etw_start_with_related_id_links_unless_a_cycle() -> None:
    a, b = guid(1), guid(2)
    tracker = track([_etw(a, b), _etw(a, b, event_id=1, opcode_id=1)])
    assert tracker.activities[b].parent == a and tracker.activities[a].parent is None


def test_trace_and_message_logs_join_by_activity_id() -> None:
    result = CliRunner().invoke(main, ["activities", str(TRACE), str(MESSAGES), "--format",
                                       "json"])
    assert result.exit_code == 0
    rows = {r["activity_id"]: r for r in map(json.loads, result.stdout.splitlines())}
    alone = {r["activity_id"]: r for r in map(json.loads, CliRunner().invoke(
        main, ["activities", str(TRACE), "--format", "json"]).stdout.splitlines())}
    for number in (10, 20):
        assert rows[guid(number)]["event_count"] == alone[guid(number)]["event_count"] + 2
        assert rows[guid(number)]["name"].startswith("Process action")
    assert list(rows[guid(10)]) == list(alone[guid(10)])
    assert "name" in rows[guid(10)]


def test_one_request_timeline_across_both_logs() -> None:
    result = CliRunner().invoke(main, ["activities", str(TRACE), str(MESSAGES), "--activity",
                                       guid(20), "--format", "table"], env={"COLUMNS": "220"})
    assert result.exit_code == 0
    out = result.stdout
    assert f"activity {guid(20)} — Process action" in out
    assert f"activity {guid(21)} — Execute 'Calc.ICalculator.Divide'." in out
    assert "TransportReceive http://tempuri.org/ICalculator/Divide" in out
    assert "ServiceLevelSendReply" in out
    assert "ThrowingException" in out
    assert out.index("TransportReceive") < out.index("ServiceLevelSendReply")


def test_several_inputs_merge_in_time_order_with_ties_in_input_order(tmp_path: Path) -> None:
    records = trace_log()
    left, right = tmp_path / "left.svclog", tmp_path / "right.svclog"
    left.write_bytes(write_svclog(records[0::2]))
    right.write_bytes(write_svclog([Record(r.time, r.subtype, r.event_id, activity=r.activity,
                                           related=r.related, process_id=9)
                                    for r in records]))
    stats = Stats()
    events = list(read([str(right), str(left)], stats=stats))
    assert stats.read == stats.matched == len(records) + len(records[0::2])
    keys = [(e.timestamp, 0 if e.process_id == 9 else 1) for e in events]
    assert keys == sorted(keys)  # equal times: the first input first
    assert stats.inputs == 2 and stats.complete


@pytest.mark.parametrize("fmt", ["json", "csv", "count"])
def test_merged_output_is_the_same_whatever_the_jobs(fmt: str) -> None:
    inputs = [str(TRACE), str(MESSAGES), str(FIXTURES / "service-call.evtx")]
    chosen = ["--count"] if fmt == "count" else ["--format", fmt]
    outputs = set()
    for jobs in ("1", "2", "4"):
        result = CliRunner().invoke(main, ["decode", *inputs, "--jobs", jobs, *chosen])
        assert result.exit_code == 0
        outputs.add(result.stdout)
    assert len(outputs) == 1
    # The streaming path (--limit) gives the same records in the same order.
    limited = CliRunner().invoke(main, ["decode", *inputs, "--limit", "1000000", *chosen])
    assert limited.exit_code == 0
    if fmt != "count":
        assert limited.stdout == outputs.pop()


@pytest.mark.parametrize("written", ["2026-03-02T09:15:00.02K0000Z", "yesterday",
                                     "2026-13-45T09:15:00.0000000Z"])
def test_a_time_that_is_not_one_costs_the_duration_only(tmp_path: Path, written: str) -> None:
    a = guid(1)
    records = [Record("2026-03-02T09:15:00.0000000Z", "Start", 0x2000D, activity=a),
               Record("2026-03-02T09:15:01.0000000Z", "Stop", 0x2000D, activity=a)]
    data = write_svclog(records).replace(b"2026-03-02T09:15:01.0000000Z", written.encode())
    path = tmp_path / "odd-time.svclog"
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["activities", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert row["event_count"] == 2 and row["duration_ms"] is None
