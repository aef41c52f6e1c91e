"""wcfevents: decode WCF and Workflow ETW traces (.evtx and exported XML) on any OS.

The public API: `read(paths, **filters)` yields `Event` records (`.to_dict()` is the documented
JSON form), `lookup(id_or_symbol)` explains an event ID offline.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Event", "Stats", "lookup", "read"]


def __getattr__(name: str) -> Any:
    """Import lazily, so `wcfevents --version` and `lookup` start fast."""
    if name in ("read", "lookup"):
        from wcfevents import api

        return getattr(api, name)
    if name == "Event":
        from wcfevents.model import Event

        return Event
    if name == "Stats":
        from wcfevents.pipeline import Stats

        return Stats
    raise AttributeError(name)
