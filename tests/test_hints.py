"""`summary` hints: per trouble event, one per distinct cause with a count, each saying what to
change where, and agreeing with the event's own catalog message. Codes explained from the table."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wcfevents.catalog import load as load_catalog
from wcfevents.catalog.codes import explain, in_text, sources
from wcfevents.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TROUBLE = {"Critical", "Error", "Warning"}


def golden(name: str) -> list[dict[str, Any]]:
    with (FIXTURES / f"{name}.golden.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def hints(name: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(main, ["summary", str(FIXTURES / f"{name}.evtx"), "--format",
                                       "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["hints"]


def test_activation_failure_hints_only_trouble_events_once_per_cause() -> None:
    records = golden("activation-failure")
    level_of = {r["event_id"]: r["level"] for r in records}
    got = hints("activation-failure")
    assert got
    assert all(level_of[h["event_id"]] in TROUBLE for h in got)
    # Success and progress events of the activation range get nothing.
    assert not {4026, 4030, 4035, 4011} & {h["event_id"] for h in got}
    causes = [(h["event_id"], h["cause"]) for h in got]
    assert len(causes) == len(set(causes))
    # The counts add up to the trouble events of each hinted ID in the trace.
    per_id = Counter[int]()
    for h in got:
        per_id[h["event_id"]] += h["count"]
    written = Counter(r["event_id"] for r in records)
    assert all(per_id[i] == written[i] for i in per_id)
    assert len({h["hint"] for h in got}) == len(got)  # no two identical texts


def test_a_cause_from_the_payload_splits_one_event_into_hints() -> None:
    records = [r for r in golden("throttling") if r["event_id"] == 210]
    names = Counter(r["data"]["ThrottleName"] for r in records)
    assert len(names) >= 2  # the fixture hits two throttles
    got = [h for h in hints("throttling") if h["event_id"] == 210]
    assert {h["cause"]: h["count"] for h in got} == dict(names)
    for h in got:
        attribute = h["cause"][0].lower() + h["cause"][1:]
        assert attribute in h["hint"] and "<serviceThrottling>" in h["hint"]


def test_3552_follows_its_own_message() -> None:
    message = load_catalog().by_id(3552).message
    assert "BufferedReceiveServiceBehavior" in message
    text = next(h["hint"] for h in hints("throttling") if h["event_id"] == 3552)
    assert "BufferedReceiveServiceBehavior" in text and "receive context" not in text.lower()


@pytest.mark.parametrize(("event_id", "says"), [
    (4209, ["connectionString", "<sqlWorkflowInstanceStore>"]),
    (1416, ["maxReceivedMessageSize", "bindings"]),
    (1420, ["<readerQuotas>"]),
    (3355, ["clientCredentialType", "<identity>"]),
    (5404, ["errorMessage", "revocationMode"]),
    (3561, [".svc", "<serviceActivations>"]),
])
def test_common_support_cases_say_what_to_change_where(event_id: int, says: list[str]) -> None:
    got = [h for h in hints("all-events") if h["event_id"] == event_id]
    assert len(got) == 1
    assert all(word in got[0]["hint"] for word in says), got[0]["hint"]
    assert "open/send/receive/close timeouts" not in got[0]["hint"]  # no generic advice


def test_status_codes_in_hints_are_explained() -> None:
    records = [r for r in golden("activation-failure") if r["event_id"] == 4025]
    got = [h for h in hints("activation-failure") if h["event_id"] == 4025]
    assert got
    for h in got:
        code = explain(h["cause"])
        assert code is not None and code.text in h["hint"]
    assert {h["cause"] for h in got} == {r["data"]["hresult"] for r in records}


def test_codes_table() -> None:
    access = explain("0x80070005")
    assert access is not None
    assert (access.name, access.text) == ("E_ACCESSDENIED", "Access is denied.")
    assert explain(-2147024891) == access  # an Int32 field carries it negative
    assert explain(5).name == "ERROR_ACCESS_DENIED"
    wrapped = explain("0x80070002")
    assert wrapped.name == "HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)"
    assert explain("not a code") is None and explain(0x1234567) is None
    assert [c.code for c in in_text("failed (Exception from HRESULT: 0x80070005), 0x80070005")] \
        == ["0x80070005"]
    assert all(url.startswith("https://learn.microsoft.com/") for url in sources())
