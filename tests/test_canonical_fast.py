"""The canonical helpers' shortcuts (per-second caches, the UTC fast path, the GUID cache) give
what the general rules give, on first sight and on every later one."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from wcfevents.model import canonical_guid, canonical_time, filetime_to_iso

_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?"
                  r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?(?:\s*UTC)?$")
_GUID = re.compile(
    r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")


def reference_time(text: str) -> str | None:
    """The documented rule, spelled out without shortcuts."""
    text = text.strip()
    if text.endswith(" UTC"):
        text = text[:-4]
    if not text:
        return None
    match = _ISO.match(text)
    if not match:
        return text
    day, clock, fraction, zone = match.groups()
    digits = ((fraction or "") + "0000000")[:7]
    if zone in (None, "Z", "UTC"):
        return f"{day}T{clock}.{digits}Z"
    sign = 1 if zone[0] == "+" else -1
    offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[-2:]))
    try:
        local = datetime(int(day[0:4]), int(day[5:7]), int(day[8:10]), int(clock[0:2]),
                         int(clock[3:5]), int(clock[6:8]))
    except ValueError:
        return text
    utc = local - offset
    return (f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T"
            f"{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}.{digits}Z")


DIGITS = st.sampled_from("0123456789")
times = st.builds(
    lambda y, mo, d, h, mi, s, sep, frac, zone: f"{y}-{mo}-{d}{sep}{h}:{mi}:{s}{frac}{zone}",
    st.sampled_from(["2024", "1601", "9998", "2x24", "٢٠٢٤"]),
    st.sampled_from(["01", "02", "12", "13"]), st.sampled_from(["01", "28", "30", "31"]),
    st.sampled_from(["00", "08", "23", "24"]), st.sampled_from(["00", "59", "60"]),
    st.sampled_from(["00", "07", "59", "61"]), st.sampled_from(["T", " ", "t"]),
    st.one_of(st.just(""), st.text(DIGITS, min_size=1, max_size=12).map(lambda f: "." + f),
              st.just(".12a")),
    st.sampled_from(["", "Z", " UTC", "+02:00", "-08:00", "+0530", " Z", "Z "]),
)


@settings(max_examples=400, deadline=None)
@given(times)
def test_canonical_time_shortcuts_follow_the_rule(text: str) -> None:
    expected = reference_time(text)
    assert canonical_time(text) == expected
    assert canonical_time(text) == expected  # the cached second too


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-10**12, max_value=2650467743999999999 + 10**8))
def test_filetime_text_follows_the_calendar(ticks: int) -> None:
    seconds, rest = divmod(ticks, 10_000_000)
    try:
        moment = datetime(1601, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds)
    except OverflowError:
        expected = None
    else:
        expected = moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{rest:07d}Z"
    assert filetime_to_iso(ticks) == expected
    assert filetime_to_iso(ticks) == expected


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()),
                 st.uuids().map(lambda u: f" {{{u}}} "), st.text(max_size=40)))
def test_canonical_guid_cache_follows_the_rule(text: str) -> None:
    stripped = text.strip()
    match = _GUID.match(stripped)
    expected = None if not stripped else match.group(1).lower() if match else stripped
    assert canonical_guid(text) == expected
    assert canonical_guid(text) == expected
