"""The HTML page: a Jinja2 template with the stylesheet, the script and the data inline.

Everything in the data came from a trace that anyone could have written, so: the template
autoescapes (the overview is rendered here, as text); the data for the script is JSON escaped so
that it cannot end its <script> element; the script shows every value with textContent; the only
links are the catalog's learn.microsoft.com pages; and a Content-Security-Policy forbids every
load from elsewhere and every script but ours (a fresh nonce per page).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from wcfevents import __version__
from wcfevents.catalog import Catalog
from wcfevents.catalog import load as load_catalog
from wcfevents.pipeline import Stats
from wcfevents.report.collect import CAPS, MAX_DAMAGE, Collector

DOC_PREFIX = "https://learn.microsoft.com/"
TOP_EVENTS = 25  # event IDs listed in the overview

# JSON inside <script>: nothing may close the element, open a comment or end a JS line.
_SCRIPT_ESCAPES = ((b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
                   ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"))


def script_json(data: Any) -> str:
    """JSON that is safe as the text of a <script> element (and still JSON.parse-able)."""
    raw = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    for char, escape in _SCRIPT_ESCAPES:
        raw = raw.replace(char, escape)
    return raw.decode("utf-8")


def doc_url(catalog: Catalog, event_id: Any, symbol: Any) -> str | None:
    """The catalog's documentation page of a WCF event (symbol set by enrichment), or None.
    Never a URL from the trace."""
    if symbol is None or not isinstance(event_id, int):
        return None
    entry = catalog.by_id(event_id)
    url = entry.doc_url if entry is not None else None
    return url if url and url.startswith(DOC_PREFIX) else None


def report_data(collector: Collector, stats: Stats, inputs: list[str],
                filters: list[str]) -> dict[str, Any]:
    """Everything the page shows, as plain data (the part for the script is embedded as JSON)."""
    catalog = load_catalog()
    summary = collector.summary.to_dict(stats.to_dict())
    rows = collector.rows
    events = []
    for ordinal in collector.kept():
        row = dict(rows[ordinal])
        row["n"] = ordinal
        events.append(row)
    docs: dict[int, str] = {}
    for item in (*summary["events"], *events):
        url = doc_url(catalog, item["event_id"], item["symbol"])
        if url:
            docs[item["event_id"]] = url
    activities = []
    for activity in collector.shown_activities():
        facts = activity.to_dict()
        facts["events_kept"] = activity.activity_id in collector.activity_events
        activities.append(facts)
    return {
        "tool": f"wcfevents {__version__}",
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "inputs": inputs,
        "filters": filters,
        "summary": summary,
        "damage": [str(d) for d in stats.damage[:MAX_DAMAGE]],
        "damage_total": len(stats.damage),
        "timeline": collector.timeline.to_dict(),
        "activities": activities,
        "activities_total": len(collector.tracker.activities),
        "without_activity": collector.tracker.without_activity,
        "events": events,
        "events_total": collector.count,
        "issues": collector.issues,
        "issues_total": collector.issues_total,
        "docs": docs,
        "caps": CAPS,
    }


def _asset(name: str) -> str:
    return resources.files("wcfevents.report").joinpath("assets", name).read_text("utf-8")


def render(data: dict[str, Any]) -> str:
    """The page's HTML text."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    from markupsafe import Markup

    env = Environment(loader=PackageLoader("wcfevents.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    summary = data["summary"]
    top = [dict(row, doc=data["docs"].get(row["event_id"]))
           for row in summary["events"][:TOP_EVENTS]]
    return env.get_template("report.html.j2").render(
        data=data, summary=summary, records=summary["records"], top=top,
        nonce=secrets.token_urlsafe(18),
        # Our own files (not data): inline, unescaped.
        style=Markup(_asset("report.css")), script=Markup(_asset("report.js")),
        payload=Markup(script_json(data)),
    )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write(path: Path, data: dict[str, Any]) -> int:
    """Write the page atomically (a reader never sees half a page); returns its size in bytes."""
    text = render(data).encode("utf-8")
    directory = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=".wcfevents-", suffix=".html", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(text)
