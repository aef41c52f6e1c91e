"""Canonical forms, message rendering, enrichment and filter parsing, on values alone."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from wcfevents.catalog import load as load_catalog
from wcfevents.enrich import coerce, enrich
from wcfevents.filters import FilterError, Filters, parse_ids, parse_levels, parse_time
from wcfevents.model import (
    EVENT_KEYS,
    Event,
    canonical_guid,
    canonical_time,
    filetime_to_iso,
    iso_to_filetime,
)
from wcfevents.render import render

WCF = "c651f5f6-1c0d-492e-8ae1-b4efd7c9d503"


@pytest.mark.parametrize(("raw", "expected"), [
    ("{C651F5F6-1C0D-492E-8AE1-B4EFD7C9D503}", WCF),
    ("C651F5F6-1C0D-492E-8AE1-B4EFD7C9D503", WCF),
    ("", None),
    (None, None),
])
def test_guid_forms(raw: str | None, expected: str | None) -> None:
    assert canonical_guid(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("2016-07-08T18:12:51.7752409Z", "2016-07-08T18:12:51.7752409Z"),
    ("2016-07-08T18:12:51.775240Z", "2016-07-08T18:12:51.7752400Z"),
    ("2016-07-08 18:12:51.775242+00:00", "2016-07-08T18:12:51.7752420Z"),
    ("2016-07-08T10:12:51.1234567-08:00", "2016-07-08T18:12:51.1234567Z"),
    ("2016-07-08T23:42:51.5+05:30", "2016-07-08T18:12:51.5000000Z"),
    ("2016-07-08T18:12:51.123456789Z", "2016-07-08T18:12:51.1234567Z"),
    ("2016-07-08T18:12:51.7752409Z UTC", "2016-07-08T18:12:51.7752409Z"),
    ("", None),
])
def test_time_forms(raw: str, expected: str | None) -> None:
    assert canonical_time(raw) == expected


def test_filetime_round_trip() -> None:
    ticks = 131124751717752409
    text = filetime_to_iso(ticks)
    assert text == "2016-07-08T18:12:51.7752409Z"
    assert iso_to_filetime(text) == ticks


def test_render_forms() -> None:
    assert render("The '%1' throttle limit of '%2' was hit.", ["MaxConcurrentCalls", 16]) == (
        "The 'MaxConcurrentCalls' throttle limit of '16' was hit.")
    assert render("100%% done by %1!s!", ["me"]) == "100% done by me"
    assert render("%1!d! items, %2!04x!", [7, 255]) == "7 items, 00ff"
    assert render("a%nb%tc", []) == "a\nb\tc"


def test_render_keeps_a_missing_value_visible() -> None:
    assert render("Action '%1' on '%2'.", ["Add"]) == "Action 'Add' on '%2'."


def test_enrich_wcf_event() -> None:
    event = Event(
        provider_guid=WCF, event_id=210, level_value=3, task_id=0, opcode_id=0,
        keywords_mask=0x20000000004E0004,
        data={"ThrottleName": "MaxConcurrentCalls", "Limit": "16", "HostReference": None,
              "AppDomain": "/LM/W3SVC/1/ROOT/calc-1-1"},
    )
    enrich(event)
    assert event.symbol == "MessageThrottleExceeded"
    assert event.level == "Warning"
    assert event.data["Limit"] == 16
    assert "Quota" in event.keywords  # from the record's own mask, not the docs
    assert event.channel == "Microsoft-Windows-Application Server-Applications/Analytic"
    assert event.message == "The 'MaxConcurrentCalls' throttle limit of '16' was hit."
    assert event.provider == "Microsoft-Windows-Application Server-Applications"
    assert list(event.to_dict()) == list(EVENT_KEYS)


def test_enrich_falls_back_to_documented_keywords_and_channel() -> None:
    event = enrich(Event(provider_guid=WCF, event_id=4031, level_value=2, data={}))
    assert event.keywords == ["ActivationServices"]
    assert event.channel.endswith("/Analytic")
    assert event.message == "Session dispatch failed."


def test_enrich_channel_from_mask_bit() -> None:
    event = enrich(Event(provider_guid=WCF, event_id=4031, keywords_mask=0x1000000000000800))
    assert event.channel.endswith("/Debug")


def test_other_providers_and_unknown_ids_keep_their_shape() -> None:
    other = enrich(Event(provider="EventLog", event_id=6005, level_value=4, data={"1": "x"}))
    assert other.symbol is None and other.message is None and other.data == {"1": "x"}
    unknown = enrich(Event(provider_guid=WCF, event_id=9, level_value=4, data={"a": "1"}))
    assert unknown.symbol is None and unknown.data == {"a": "1"}
    assert set(unknown.to_dict()) == set(EVENT_KEYS)


@pytest.mark.parametrize(("value", "type_name", "expected"), [
    ("42", "win:Int32", 42),
    ("0x10", "win:UInt64", 16),
    ("{ABCDEF01-2345-6789-ABCD-EF0123456789}", "win:GUID", "abcdef01-2345-6789-abcd-ef0123456789"),
    ("2020-01-01T00:00:00.123456Z", "win:FILETIME", "2020-01-01T00:00:00.1234560Z"),
    ("", "win:UnicodeString", ""),
    ("  ", "win:UnicodeString", "  "),
    ("", "win:Int32", ""),
    (None, "win:UnicodeString", None),
    ("not a number", "win:Int32", "not a number"),
])
def test_coerce(value: str, type_name: str, expected: object) -> None:
    assert coerce(value, type_name) == expected


def test_parse_ids_and_levels() -> None:
    assert parse_ids(["4001-4035,214", "57398"]) == [(4001, 4035), (214, 214), (57398, 57398)]
    with pytest.raises(FilterError):
        parse_ids(["12-3"])
    assert parse_levels(["warning+"]) == {1, 2, 3}
    assert parse_levels(["error", "5"]) == {2, 5}
    assert parse_levels(["Informational"]) == {4}
    with pytest.raises(FilterError, match="Verbose"):
        parse_levels(["loud"])


def test_parse_time() -> None:
    now = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
    assert parse_time("2h", now) == "2024-05-01T10:00:00.0000000Z"
    assert parse_time("1d", now) == "2024-04-30T12:00:00.0000000Z"
    assert parse_time("2024-05-01T04:00:00-08:00") == "2024-05-01T12:00:00.0000000Z"
    assert parse_time("2024-05-01") == "2024-05-01T00:00:00.0000000Z"
    with pytest.raises(FilterError):
        parse_time("yesterday")


def test_filters_on_events() -> None:
    catalog = load_catalog()
    events = [
        enrich(Event(provider_guid=WCF, event_id=4031, level_value=2, process_id=7,
                     timestamp="2024-05-01T10:00:00.0000000Z",
                     activity_id="11111111-1111-1111-1111-111111111111", data={})),
        enrich(Event(provider_guid=WCF, event_id=214, level_value=4, process_id=8,
                     keywords_mask=0x2000000000080004,
                     timestamp="2024-05-01T11:00:00.0000000Z",
                     related_activity_id="11111111-1111-1111-1111-111111111111",
                     data={"MethodName": "Add", "Duration": "5"})),
        enrich(Event(provider="EventLog", event_id=6005, level_value=4,
                     timestamp="2024-05-01T12:00:00.0000000Z", data={})),
    ]

    def ids(**kwargs: object) -> list[int]:
        raw, enriched = Filters(**kwargs).build(catalog)  # type: ignore[arg-type]
        return [e.event_id for e in events
                if (raw is None or raw(e)) and (enriched is None or enriched(e))]

    assert ids() == [4031, 214, 6005]
    assert ids(ids=[(4001, 4035)]) == [4031]
    assert ids(levels={1, 2, 3}) == [4031]
    assert ids(keywords=["activationservices"]) == [4031]
    assert ids(keywords=["ServiceModel"]) == [214]
    assert ids(wcf_only=True) == [4031, 214]
    assert ids(providers=["eventlog"]) == [6005]
    assert ids(providers=["{C651F5F6-1C0D-492E-8AE1-B4EFD7C9D503}"]) == [4031, 214]
    assert ids(since="2024-05-01T10:30:00.0000000Z") == [214, 6005]
    assert ids(until="2024-05-01T11:00:00.0000000Z") == [4031, 214]
    assert ids(activities=["{11111111-1111-1111-1111-111111111111}"]) == [4031, 214]
    assert ids(pids={8}) == [214]
    assert ids(grep=["ADD"]) == [214]
    assert ids(channels=["analytic"]) == [4031, 214]
    assert ids(levels={4}, wcf_only=True) == [214]
