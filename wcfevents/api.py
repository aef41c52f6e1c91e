"""The Python API over the same pipeline the command line uses."""

from __future__ import annotations

from wcfevents.catalog import CatalogEvent
from wcfevents.catalog import load as load_catalog


def lookup(id_or_symbol: int | str) -> CatalogEvent | None:
    """The catalog entry of an event ID (4031) or symbol (DispatchSessionFailed), or None."""
    return load_catalog().find(id_or_symbol)
