"""`summary` and `activities` on the fixtures, against what the trace generator wrote.

Expectations are computed from the golden records (the generator's intent), grouping them the
way the documentation says: by ActivityID, with event 499 linking its ActivityID (parent) to its
RelatedActivityID (child).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from wcfevents.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def golden(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / f"{name}.golden.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def summary(name: str, *args: str) -> dict[str, Any]:
    result = run("summary", str(FIXTURES / f"{name}.evtx"), "--format", "json", *args)
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def test_summary_counts_equal_the_generator() -> None:
    rows = golden("all-events")
    got = summary("all-events")
    assert {e["event_id"]: e["count"] for e in got["events"]} == Counter(
        r["event_id"] for r in rows)
    assert got["levels"] == Counter(r["level"] for r in rows)
    assert got["keywords"] == Counter(k for r in rows for k in r["keywords"])
    assert got["channels"] == Counter(r["channel"] for r in rows)
    assert got["first"] == min(r["timestamp"] for r in rows)
    assert got["last"] == max(r["timestamp"] for r in rows)
    assert got["records"]["read"] == got["records"]["matched"] == len(rows)
    assert got["records"]["lost"] == 0


def test_summary_lists_errors_first() -> None:
    events = summary("all-events")["events"]
    order = {"Critical": 0, "Error": 1, "Warning": 2}
    ranks = [order.get(e["level"], 3) for e in events]
    assert ranks == sorted(ranks)
    assert events[0]["level"] == "Critical"


def test_summary_hints_for_trouble_events() -> None:
    got = summary("throttling")
    hinted = {h["event_id"] for h in got["hints"]}
    present = {r["event_id"] for r in golden("throttling")}
    assert {210, 224, 3552, 57398} & present <= hinted
    assert all(len(h["hint"]) > 40 for h in got["hints"])
    activation = summary("activation-failure")
    assert 4031 in {h["event_id"] for h in activation["hints"]}


def test_summary_reports_loss() -> None:
    result = run("summary", str(FIXTURES / "damaged-chunk.evtx"), "--format", "json")
    assert result.exit_code == 1
    got = json.loads(result.stdout)
    assert got["records"]["read"] == len(golden("damaged-chunk"))
    assert got["records"]["lost"] == 420 - len(golden("damaged-chunk"))


def test_summary_takes_the_filters() -> None:
    rows = golden("all-events")
    got = summary("all-events", "--level", "error")
    assert sum(e["count"] for e in got["events"]) == sum(1 for r in rows if r["level"] == "Error")
    assert got["records"]["filtered"] == len(rows) - got["records"]["matched"]


def expected_activities(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    children: dict[str, list[str]] = defaultdict(list)
    parents: dict[str, str] = {}
    for row in rows:
        if row["activity_id"]:
            groups[row["activity_id"]].append(row)
        if row["event_id"] == 499 and row["related_activity_id"]:
            children[row["activity_id"]].append(row["related_activity_id"])
            parents.setdefault(row["related_activity_id"], row["activity_id"])
    severity = {"Critical": 0, "Error": 1, "Warning": 2, "Information": 3, "LogAlways": 4,
                "Verbose": 5}
    result = {}
    for activity, members in groups.items():
        result[activity] = {
            "event_count": len(members),
            "first": min(m["timestamp"] for m in members),
            "last": max(m["timestamp"] for m in members),
            "worst_level": min((m["level"] for m in members), key=severity.__getitem__),
            "parent": parents.get(activity),
            "children": children.get(activity, []),
        }
    return result


def test_activities_equal_the_generator() -> None:
    for name in ("service-call", "workflow", "activation-failure"):
        result = run("activities", str(FIXTURES / f"{name}.evtx"), "--format", "json")
        assert result.exit_code == 0
        got = {a["activity_id"]: a for a in map(json.loads, result.stdout.splitlines())}
        expected = expected_activities(golden(name))
        assert set(got) == set(expected), name
        for activity, facts in expected.items():
            for key, value in facts.items():
                assert got[activity][key] == value, (name, activity, key)


def test_activities_failing_first() -> None:
    result = run("activities", str(FIXTURES / "service-call.evtx"), "--format", "json")
    levels = [json.loads(line)["worst_level"] for line in result.stdout.splitlines()]
    failing = [level in ("Critical", "Error") for level in levels]
    assert failing == sorted(failing, reverse=True)
    assert failing[0]


def test_activity_timeline_shows_the_call_and_its_children_in_order() -> None:
    rows = golden("service-call")
    expected = expected_activities(rows)
    root = next(a for a, facts in expected.items() if facts["children"])
    result = CliRunner().invoke(main, ["activities", str(FIXTURES / "service-call.evtx"),
                                       "--activity", root.upper(), "--format", "table"],
                                env={"COLUMNS": "250"})
    assert result.exit_code == 0
    text = result.output
    positions = [text.index(child) for child in expected[root]["children"]]
    assert positions == sorted(positions)  # children in the order they were transferred to
    first_child = expected[root]["children"][0]
    child_events = [r for r in rows if r["activity_id"] == first_child]
    after = text.index(first_child)
    spots = [text.index(r["timestamp"].replace("T", " ").rstrip("Z"), after)
             for r in child_events]
    assert spots == sorted(spots)  # the child's events, in time order, under it


def test_unknown_activity_is_one_line_exit_1() -> None:
    result = run("activities", str(FIXTURES / "service-call.evtx"), "--activity",
                 "00000000-0000-0000-0000-000000000001")
    assert result.exit_code == 1
    assert "no activity" in result.stderr
