"""`wcfevents report`: one self-contained HTML page (no network request of any kind) that shows
what a trace holds: overview, timeline, activities, errors and warnings, events.

collect.py gathers the data in one pass (bounded by its caps); page.py renders the page.
"""

from wcfevents.report.collect import CAPS, Collector, Feed
from wcfevents.report.page import render, report_data, write

__all__ = ["CAPS", "Collector", "Feed", "render", "report_data", "write"]
