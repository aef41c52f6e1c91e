"""wcfevents: decode WCF and Workflow ETW traces (.evtx and exported XML) on any OS."""

from __future__ import annotations

__version__ = "0.1.0"
