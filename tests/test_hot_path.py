"""The .evtx hot path's shortcuts give what the general rules give.

The Rust engine remembers per distinct text what every record repeats (the provider's GUID, the
keyword mask, the quick filter's verdict on "EventID…Level"); these tests hold each shortcut to
the rule it stands for, on the records of every fixture and on texts shaped unlike ours.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import evtx
import orjson
import pytest

from wcfevents.filters import Filters
from wcfevents.model import canonical_guid, parse_int
from wcfevents.sources.evtx_rust import QuickText, event_from_json, quick_fields

FIXTURES = sorted((Path(__file__).resolve().parent.parent / "fixtures").glob("*.evtx"))


def _texts() -> list[str]:
    texts = []
    for path in FIXTURES:
        parser = evtx.PyEvtxParser(str(path), skip_errors=True)  # some fixtures are damaged
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            texts += [raw["data"] for raw in parser.records_json()]
    return texts


ODD_TEXTS = [
    # Level before EventID, EventID with Qualifiers, no Level at all, no EventID at all.
    '{"Event":{"System":{"Level":2,"EventID":4031}}}',
    '{"Event":{"System":{"EventID":{"#attributes":{"Qualifiers":16384},"#text":4031},'
    '"Version":0,"Level":2}}}',
    '{"Event":{"System":{"EventID":4031}}}',
    '{"Event":{"System":{"Level":4}}}',
    # One event ID at two levels: the verdict is the pair's, not the ID's.
    '{"Event":{"System":{"EventID":4031,"Version":0,"Level":2}}}',
    '{"Event":{"System":{"EventID":4031,"Version":0,"Level":4}}}',
]


@pytest.mark.parametrize("filters", [
    Filters(ids=[(4031, 4031)]),
    Filters(levels={2, 3}),
    Filters(ids=[(200, 3399), (4031, 4031)], levels={4}),
])
def test_quick_text_gives_the_rule_s_verdict(filters: Filters) -> None:
    quick = filters.quick()
    assert quick is not None
    passes = QuickText(quick)
    texts = _texts() + ODD_TEXTS
    verdicts = [passes(text) for text in texts + texts]  # the second round from memory
    expected = [quick(*quick_fields(text)) for text in texts + texts]
    assert verdicts == expected
    assert any(verdicts) and not all(verdicts)


def _raw(system: dict) -> dict:
    return {"event_record_id": 7, "data": orjson.dumps({"Event": {"System": system}}).decode()}


@pytest.mark.parametrize("guid", ["{C651F5F6-1C0D-492E-8AE1-B4EFD7C9D503}",
                                  " c651f5f6-1c0d-492e-8ae1-b4efd7c9d503 ", "not a guid", "", None])
@pytest.mark.parametrize("keywords", ["0x1000000000000004", " 0x10 ", "12", "many", "", None])
def test_remembered_guid_and_mask_equal_the_rules(guid: str | None,
                                                  keywords: str | None) -> None:
    system = {"Provider": {"#attributes": {"Name": "P", "Guid": guid}}, "EventID": 1,
              "Keywords": keywords}
    for _ in range(2):  # first computed, then remembered
        event = event_from_json(_raw(system), "x")
        assert event.provider_guid == canonical_guid(guid)
        assert event.keywords_mask == parse_int(keywords.strip() if keywords else None)


@pytest.mark.parametrize("attributes", [
    {"Name": "Application Error", "EventSourceName": "Application Error"},
    {"Name": "P", "Guid": "{C651F5F6-1C0D-492E-8AE1-B4EFD7C9D503}", "EventSourceName": "S"},
])
def test_a_classic_source_name_is_kept_whatever_else_the_provider_says(attributes: dict) -> None:
    event = event_from_json(_raw({"Provider": {"#attributes": attributes}, "EventID": 1000}), "x")
    assert event.extra["EventSourceName"] == attributes["EventSourceName"]
