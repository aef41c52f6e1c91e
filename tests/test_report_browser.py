"""The report in a real headless Chromium (Debian's `chromium`, driven by playwright), with every
network request aborted and counted: no request, no console error, the overview's figures, an
activity's events, the events table's filters, and a hostile trace that runs nothing whatever
is clicked. Skips when Chromium or playwright is not installed."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from report_helpers import HOSTILE, write_hostile

from wcfevents.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CHROMIUM = os.environ.get("WCFEVENTS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
if not Path(CHROMIUM).is_file():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as exc:  # a broken install: say so, as a skip
            pytest.skip(f"Chromium does not start: {exc}")
        yield launched
        launched.close()


@dataclass
class Opened:
    page: Any
    url: str
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def open_page(browser: Any, path: Path) -> Opened:
    """The page at 1366×768; any request but the page itself is aborted and recorded."""
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.set_default_timeout(10_000)
    opened = Opened(page, path.resolve().as_uri())

    def route(request_route: Any) -> None:
        if request_route.request.url == opened.url:
            request_route.continue_()
        else:
            opened.requests.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.on("requestfailed", lambda r: r.url != opened.url and opened.requests.append(r.url))
    page.on("console", lambda m: m.type in ("error", "warning") and opened.console.append(m.text))
    page.on("pageerror", lambda e: opened.console.append(str(e)))

    def dialog(d: Any) -> None:
        opened.dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", dialog)
    page.goto(opened.url)
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    return opened


def write_report(tmp_path: Path, *inputs: Path) -> Path:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["report", *map(str, inputs), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def golden(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / f"{name}.golden.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def visible_rows(page: Any) -> int:
    return page.locator("#ev-table tbody tr.ev").count()


def test_page_offline_figures_activity_and_filters(browser: Any, tmp_path: Path) -> None:
    path = write_report(tmp_path, FIXTURES / "throttling.evtx")
    summary = json.loads(CliRunner().invoke(
        main, ["summary", str(FIXTURES / "throttling.evtx"), "--format", "json"]).stdout)
    rows = golden("throttling")
    opened = open_page(browser, path)
    page = opened.page
    records, levels = summary["records"], summary["levels"]
    assert page.text_content("#ov-read") == f"{records['read']:,}"
    assert page.text_content("#ov-matched") == f"{records['matched']:,}"
    assert page.text_content("#ov-lost") == f"{records['lost']:,}"
    errors = levels.get("Error", 0) + levels.get("Critical", 0)
    assert page.text_content("#ov-errors") == str(errors)
    assert page.text_content("#ov-warnings") == str(levels.get("Warning", 0))
    assert page.locator("#ov-top tbody tr").count() == min(25, len(summary["events"]))

    # The timeline: bars whose counts add up to the events; a click on one zooms in.
    bars = page.locator("#tl-chart svg g.bar")
    assert bars.count() > 1
    whole = page.text_content("#tl-range")
    assert f"{records['matched']:,} events" in whole
    bars.first.click()
    assert page.text_content("#tl-range") != whole
    page.click("#tl-out")
    assert page.text_content("#tl-range") == whole

    # An activity: its events, in order, with their rendered messages.
    counts = Counter(r["activity_id"] for r in rows if r["activity_id"])
    chosen = max(counts, key=lambda a: (counts[a], a))
    page.click(f'#act-gantt .row[data-activity="{chosen}"]')
    items = page.locator("#act-events > li")
    assert items.count() == counts[chosen]
    own = [r for r in rows if r["activity_id"] == chosen]
    assert items.first.locator(".msg").text_content() == own[0]["message"]
    assert page.locator("#act-detail h3").text_content().endswith(chosen)

    # The events table: level, ID and text filters.
    assert visible_rows(page) == len(rows)
    for box in page.locator("#ev-levels input").all():
        if box.get_attribute("value") != "Error":
            box.uncheck()
    assert visible_rows(page) == sum(1 for r in rows if r["level"] == "Error")
    for box in page.locator("#ev-levels input").all():
        box.check()
    page.fill("#ev-id", "210,224")
    page.wait_for_timeout(300)
    assert visible_rows(page) == sum(1 for r in rows if r["event_id"] in (210, 224))
    page.fill("#ev-id", "")
    page.fill("#ev-text", "maxconcurrentsessions")
    page.wait_for_timeout(300)
    expected = [r for r in rows if "maxconcurrentsessions" in json.dumps(
        [r["message"], r["data"]]).lower()]
    assert 0 < visible_rows(page) == len(expected)
    page.select_option("#ev-keyword", "Quota")
    assert visible_rows(page) == sum(1 for r in expected if "Quota" in r["keywords"])

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert opened.requests == [] and opened.console == [] and opened.dialogs == []
    page.close()


def test_hostile_trace_runs_nothing(browser: Any, tmp_path: Path) -> None:
    path = write_report(tmp_path, *write_hostile(tmp_path))
    opened = open_page(browser, path)
    page = opened.page
    # Click everything a reader could: every activity, every button, every group, every row.
    for row in page.locator("#act-gantt .row:not(.axis)").all():
        row.click()
        buttons = page.locator("#act-detail button")
        if buttons.count():
            buttons.first.click()  # selects the parent or a child: the panel is drawn again
    for group in page.locator("#issues details").all():
        group.evaluate("node => { node.open = true; }")
    for index in range(min(page.locator("#issues button").count(), 10)):
        page.locator("#issues button").nth(index).click()
    for row in page.locator("#ev-table tbody tr.ev").all()[:15]:
        row.click(position={"x": 5, "y": 5})
    page.locator("#events").scroll_into_view_if_needed()
    for summary in page.locator("details.payload > summary").all()[:15]:
        summary.click()
    page.fill("#ev-text", HOSTILE)
    page.fill("#act-search", HOSTILE)
    page.wait_for_timeout(300)
    page.fill("#ev-text", "window.__pwned")
    page.wait_for_timeout(300)
    assert visible_rows(page) > 0  # the values are there, as text
    assert page.get_by_text('window.__pwned="script"').count() > 0
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.scripts.length") == 2
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("""[...document.querySelectorAll('*')].filter(
        n => [...n.attributes].some(a => a.name.startsWith('on'))).length""") == 0
    hrefs = page.evaluate(
        "[...document.querySelectorAll('[href]')].map(n => n.getAttribute('href'))")
    assert all(h.startswith(("#", "https://learn.microsoft.com/", "data:")) for h in hrefs)
    assert opened.dialogs == [] and opened.requests == [] and opened.console == []
    page.close()
