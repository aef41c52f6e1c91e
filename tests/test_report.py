"""`wcfevents report`: the page's embedded figures are `summary`'s and `activities`' figures, its
events are `decode`'s, the caps hold, windows merged across workers equal one pass, and nothing a
trace carries becomes markup (the browser side is in test_report_browser.py)."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from report_helpers import HOSTILE, HOSTILE_COMPUTER, write_hostile

from wcfevents.api import make_filters
from wcfevents.cli import main
from wcfevents.parallel import encoded
from wcfevents.pipeline import Stats
from wcfevents.report import Collector, Feed, collect, report_data
from wcfevents.report.page import script_json

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
DATA_SCRIPT = re.compile(
    r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def invoke(*args: str, **kwargs: Any) -> Any:
    return CliRunner().invoke(main, list(args), **kwargs)


def make_report(tmp_path: Path, *args: str) -> tuple[dict[str, Any], str, int]:
    out = tmp_path / "r.html"
    result = invoke("report", *args, "-o", str(out))
    assert result.exit_code in (0, 1), result.output
    html = out.read_text("utf-8")
    return embedded(html), html, result.exit_code


def embedded(html: str) -> dict[str, Any]:
    found = DATA_SCRIPT.findall(html)
    assert len(found) == 1
    return json.loads(found[0])


def command_json(command: str, *args: str) -> tuple[Any, int]:
    result = invoke(command, *args, "--format", "json")
    text = result.stdout
    if command == "activities":
        return [json.loads(line) for line in text.splitlines()], result.exit_code
    return json.loads(text), result.exit_code


INPUTS = ["throttling.evtx", "service-call.evtx", "workflow.evtx", "activation-failure.evtx",
          "all-events.evtx", "damaged-chunk.evtx", "damaged-record.evtx",
          "throttling.tracerpt.xml", "workflow.wevtutil.xml", "activation-failure.toxml.xml",
          "svclog-service.svclog", "svclog-cut.svclog", "all-events.etl", "workflow.etl"]


@pytest.mark.parametrize("name", INPUTS)
def test_figures_equal_summary_and_activities(tmp_path: Path, name: str) -> None:
    path = str(FIXTURES / name)
    data, _, code = make_report(tmp_path, path)
    summary, summary_code = command_json("summary", path)
    assert data["summary"] == summary
    assert code == summary_code
    activities, _ = command_json("activities", path)
    shown = {a["activity_id"]: {k: v for k, v in a.items() if k != "events_kept"}
             for a in data["activities"]}
    assert shown == {a["activity_id"]: a for a in activities}
    assert data["activities_total"] == len(activities)
    # The timeline counts every matched event, by level, once.
    columns = data["timeline"]["levels"]
    by_level: Counter[str] = Counter()
    for row in data["timeline"]["bins"]:
        for column, count in zip(columns, row[1:], strict=True):
            by_level[column] += count
    assert sum(by_level.values()) + data["timeline"]["untimed"] == summary["records"]["matched"]
    assert +by_level == Counter(summary["levels"])


@pytest.mark.parametrize("name", ["throttling.evtx", "service-call.tracerpt.xml"])
def test_small_trace_embeds_every_event_as_decoded(tmp_path: Path, name: str) -> None:
    data, _, _ = make_report(tmp_path, str(FIXTURES / name))
    decoded = invoke("decode", str(FIXTURES / name), "--format", "json").stdout.splitlines()
    rows = [json.loads(line) for line in decoded]
    assert [e["n"] for e in data["events"]] == list(range(len(rows)))
    for mine, theirs in zip(data["events"], rows, strict=True):
        for key in ("record_id", "timestamp", "event_id", "symbol", "level", "message", "data",
                    "activity_id", "related_activity_id", "computer", "keywords"):
            assert mine[key] == theirs[key], key
    issues = [e["n"] for e in data["events"] if e["level"] in ("Critical", "Error", "Warning")]
    assert data["issues"] == issues and data["issues_total"] == len(issues)
    for event in data["events"]:
        if event["symbol"]:
            assert data["docs"][str(event["event_id"])].startswith("https://learn.microsoft.com/")


def test_one_job_gives_the_same_page_data(tmp_path: Path) -> None:
    path = str(FIXTURES / "damaged-record.evtx")
    one, _, one_code = make_report(tmp_path, path, "--jobs", "1")
    default, _, default_code = make_report(tmp_path, path)
    for data in (one, default):
        del data["generated"]
    assert one == default and one_code == default_code == 1


def test_filters_apply_as_in_summary(tmp_path: Path) -> None:
    path = str(FIXTURES / "all-events.evtx")
    data, _, _ = make_report(tmp_path, path, "--level", "warning+", "--keyword", "ServiceModel")
    summary, _ = command_json("summary", path, "--level", "warning+", "--keyword", "ServiceModel")
    assert data["summary"] == summary
    assert data["filters"] == ["level: warning+", "keyword: ServiceModel"]
    assert {e["level"] for e in data["events"]} <= {"Critical", "Error", "Warning"}


def collected(path: Path, **selection: Any) -> tuple[Collector, Stats]:
    collector, stats = Collector(), Stats()
    for block in encoded([str(path)], make_filters(**selection), Feed(collector), stats=stats,
                         on_damage=lambda d: None, workers=1):
        collector.absorb(block)
    return collector, stats


def test_caps_hold_and_are_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("HEAD_EVENTS", 5), ("MAX_ISSUES", 3), ("ACTIVITIES_WITH_EVENTS", 2),
                        ("EVENTS_PER_ACTIVITY", 4), ("MAX_ACTIVITIES", 3)):
        monkeypatch.setattr(collect, name, value)
    collector, stats = collected(FIXTURES / "all-events.evtx")
    data = report_data(collector, stats, ["all-events.evtx"], [])
    levels = data["summary"]["levels"]
    issues = sum(levels.get(name, 0) for name in ("Critical", "Error", "Warning"))
    assert issues > 3 and data["issues_total"] == issues and len(data["issues"]) == 3
    kept = [a for a in data["activities"] if a["events_kept"]]
    assert len(kept) == 2
    head, issued = set(range(5)), set(data["issues"])
    for activity in kept:  # each keeps its first 4 events (and any head or issue events)
        own = [e["n"] for e in data["events"] if e["activity_id"] == activity["activity_id"]]
        assert len([n for n in own if n not in head | issued]) <= 4
        assert len(own) >= min(4, activity["event_count"])
    kept_ids = {a["activity_id"] for a in kept}
    for event in data["events"]:  # nothing else is embedded
        assert event["n"] in head | issued or event["activity_id"] in kept_ids
    ranked = [a.activity_id for a in collector.tracker.ranked()[:3]]
    shown = {a["activity_id"] for a in data["activities"]}
    assert set(ranked) <= shown
    for activity in data["activities"]:  # every shown activity's parent chain is shown too
        assert activity["parent"] is None or activity["parent"] in shown
    assert data["activities_total"] == len(collector.tracker.activities) > len(shown)


def test_long_values_are_clipped() -> None:
    assert collect.clip("x" * 10) == "x" * 10
    long = collect.clip("y" * (collect.MAX_TEXT + 5))
    assert long.startswith("y" * collect.MAX_TEXT)
    assert long.endswith(f"[{collect.MAX_TEXT + 5:,} characters]")
    assert collect.clip(7) == 7 and collect.clip(None) is None


@pytest.mark.parametrize("selection", [{}, {"levels": ["warning+"]}])
@pytest.mark.parametrize("small_caps", [False, True])
def test_windows_across_workers_equal_one_pass(selection: dict[str, Any], small_caps: bool,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if small_caps:  # caps reached inside the first window and across windows (workers fork)
        for name, value in (("HEAD_EVENTS", 150), ("MAX_ISSUES", 40),
                            ("ACTIVITIES_WITH_EVENTS", 3), ("EVENTS_PER_ACTIVITY", 5),
                            ("MAX_ACTIVITIES", 10), ("TIMELINE_BUCKETS", 30)):
            monkeypatch.setattr(collect, name, value)
    path = FIXTURES / "all-events.evtx"
    one, one_stats = collected(path, **selection)
    many, many_stats = Collector(), Stats()
    for block in encoded([str(path)], make_filters(**selection), Feed(many), stats=many_stats,
                         on_damage=lambda d: None, workers=2, window_chunks=1):
        many.absorb(block)
    assert set(many.rows) == set(many.kept())  # the merge keeps no row beyond the caps
    first = report_data(one, one_stats, ["x"], [])
    second = report_data(many, many_stats, ["x"], [])
    for data in (first, second):
        del data["generated"]
    assert first == second


def test_timeline_coarsens_to_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(collect, "TIMELINE_BUCKETS", 4)
    line = collect.Timeline()
    for second in range(10):
        line.add(f"2024-05-14T08:00:{second:02d}.5000000Z", 2)
    line.add("<not a time>", 3)
    data = line.to_dict()
    assert data["step_ms"] == 60_000 and data["untimed"] == 1
    assert data["bins"][0][0] == 1715673600000 and data["bins"][0][3] == 10


def test_script_json_cannot_close_its_element() -> None:
    value = {"a": HOSTILE, "b": "</SCRIPT >&amp;<!--\u2028\u2029"}
    text = script_json(value)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == value


def strings(value: Any) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


class Markup(HTMLParser):
    """Every tag and attribute of a page, and the text of its scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_hostile_trace_stays_text(tmp_path: Path) -> None:
    evtx, xml = write_hostile(tmp_path)
    data, html, code = make_report(tmp_path, str(evtx), str(xml))
    assert code == 0
    # The values arrive intact in the data, and nowhere as markup.
    assert any(HOSTILE in text for text in strings(data))
    assert HOSTILE_COMPUTER in {e["computer"] for e in data["events"]}
    assert HOSTILE in {a["activity_id"].strip("{}") for a in data["activities"]}
    markup = DATA_SCRIPT.sub("", html)
    assert "<script>window" not in markup and "<img" not in markup
    assert "&lt;/script&gt;&lt;script&gt;window.__pwned" in markup  # the provider, as text
    parser = Markup()
    parser.feed(html)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert len(scripts) == 2
    policy = next(attrs["content"] for tag, attrs in parser.tags
                  if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in policy and "base-uri 'none'" in policy
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy).group(1)
    assert scripts[1].get("nonce") == nonce and scripts[0].get("type") == "application/json"
    for tag, attrs in parser.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "src" not in attrs, tag
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("#", "https://learn.microsoft.com/", "data:")), href


def test_default_output_beside_the_input_and_open(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    trace = tmp_path / "calls.evtx"
    shutil.copy(FIXTURES / "service-call.evtx", trace)
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", opened.append)
    result = invoke("report", str(trace), "--open")
    assert result.exit_code == 0, result.output
    page = tmp_path / "calls.evtx.html"
    assert page.is_file() and "report written to" in result.stderr
    assert opened == [page.resolve().as_uri()]


def test_stdin_writes_report_html(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    raw = (FIXTURES / "throttling.evtx").read_bytes()
    result = invoke("report", "-", input=raw)
    assert result.exit_code == 0, result.output
    data = embedded((tmp_path / "report.html").read_text("utf-8"))
    assert data["summary"]["records"]["read"] == 91 and data["inputs"] == ["-"]


def test_exit_codes_as_decode(tmp_path: Path) -> None:
    data, _, code = make_report(tmp_path, str(FIXTURES / "damaged-chunk.evtx"))
    assert code == 1 and data["damage"] and data["damage_total"] == len(data["damage"])
    assert data["summary"]["records"]["lost"] > 0
    junk = tmp_path / "junk.evtx"
    junk.write_bytes(b"not a trace at all")
    out = tmp_path / "none.html"
    result = invoke("report", str(junk), "-o", str(out))
    assert result.exit_code == 2 and not out.exists()
    assert invoke("report", str(junk), "--level", "nonsense").exit_code == 2
