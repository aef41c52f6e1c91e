"""The Python API over the same pipeline the command line uses.

    >>> import wcfevents
    >>> for event in wcfevents.read(["trace.evtx"], keywords=["ActivationServices"]):
    ...     print(event.timestamp, event.symbol, event.message)
    >>> rows = [e.to_dict() for e in wcfevents.read(["trace.xml"], levels=["warning+"])]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from wcfevents.catalog import CatalogEvent
from wcfevents.catalog import load as load_catalog
from wcfevents.filters import FilterError, Filters, parse_ids, parse_levels, parse_time
from wcfevents.model import Event, guid_or_prefix
from wcfevents.pipeline import Stats
from wcfevents.sources import Damage, InputError


def lookup(id_or_symbol: int | str) -> CatalogEvent | None:
    """The catalog entry of an event ID (4031) or symbol (DispatchSessionFailed), or None."""
    return load_catalog().find(id_or_symbol)


def make_filters(
    ids: Iterable[str | int] = (),
    levels: Iterable[str | int] = (),
    keywords: Iterable[str] = (),
    channels: Iterable[str] = (),
    providers: Iterable[str] = (),
    wcf_only: bool = False,
    since: str | None = None,
    until: str | None = None,
    activities: Iterable[str] = (),
    pids: Iterable[int] = (),
    grep: Iterable[str] = (),
    records: Iterable[int] = (),
) -> Filters:
    """Filters from friendly values: `ids=["4001-4035", 214]`, `levels=["warning+"]`.

    A time window that is empty by construction (since after until) is an error, not a silent
    empty result.
    """
    filters = Filters(
        ids=parse_ids(str(i) for i in ids),
        levels=parse_levels(str(level) for level in levels),
        keywords=list(keywords),
        channels=list(channels),
        providers=list(providers),
        wcf_only=wcf_only,
        since=parse_time(since) if since else None,
        until=parse_time(until) if until else None,
        activities=[_activity(a) for a in activities],
        pids=set(pids),
        grep=list(grep),
        records=set(records),
    )
    if filters.since and filters.until and filters.since > filters.until:
        raise FilterError(f"--since {filters.since} is after --until {filters.until}: "
                          "the time window is empty")
    return filters


def _activity(value: str) -> str:
    """A whole activity GUID, or the start of one as tables show it."""
    try:
        return guid_or_prefix(value)
    except ValueError as exc:
        raise FilterError(f"--activity: {exc}") from None


def read(
    paths: str | Iterable[str],
    *,
    engine: str = "auto",
    input_format: str = "auto",
    strict: bool = False,
    stats: Stats | None = None,
    on_damage: Callable[[Damage], None] | None = None,
    on_unreadable: Callable[[InputError], None] | None = None,
    filters: Filters | None = None,
    **selection: object,
) -> Iterator[Event]:
    """Decoded, enriched events of .evtx, XML and .svclog traces, filtered as `wcfevents decode`
    does; several inputs are merged in time order.

    `selection` takes the keyword arguments of `make_filters`. Damaged parts are skipped and
    passed to `on_damage`; an input that cannot be read raises InputError unless `on_unreadable`
    is given. Pass a `Stats` to learn how many records were read, matched, filtered and lost.
    """
    from wcfevents import pipeline

    if isinstance(paths, str):
        paths = [paths]
    if filters is None:
        filters = make_filters(**selection)  # type: ignore[arg-type]
    return pipeline.read(paths, filters, engine=engine, input_format=input_format,
                         strict=strict, stats=stats, on_damage=on_damage,
                         on_unreadable=on_unreadable)
