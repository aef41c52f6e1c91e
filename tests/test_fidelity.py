"""Every value exactly as recorded, every record exactly once (issue 11), in both .evtx engines.

Each test reads bytes our writers wrote (fixtures/ and damaged copies of them) and compares with
the events they were written from; the real-sample tests skip when ../shared is absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tools import make_fixtures
from wcfevents.enrich import enrich
from wcfevents.pipeline import Stats, read
from wcfevents.testing import damage, scenarios
from wcfevents.testing.evtx_writer import write_evtx

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SAMPLES = ROOT.parent / "shared" / "samples"
ENGINES = ["rust", "python"]


def decode(path: Path, engine: str, **options: Any) -> tuple[list[dict[str, Any]], Stats, list]:
    stats = Stats()
    reports: list[Any] = []
    rows = []
    for event in read([str(path)], engine=engine, stats=stats, on_damage=reports.append,
                      **options):
        row = event.to_dict()
        row.pop("source")
        rows.append(row)
    return rows, stats, reports


def written(name: str) -> list[dict[str, Any]]:
    rows = []
    for line in (FIXTURES / f"{name}.golden.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        row.pop("source")
        rows.append(row)
    return rows


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "wcfevents", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)


@pytest.mark.parametrize("engine", ENGINES)
def test_times_strings_and_user_data_as_written(engine: str) -> None:
    rows, stats, reports = decode(FIXTURES / "fidelity.evtx", engine)
    assert rows == written("fidelity") and not reports and stats.complete
    # 1: TimeCreated and FILETIME payloads to the 100 ns tick (not µs padded with a 0).
    assert sum(not r["timestamp"].endswith("0Z") for r in rows) > len(rows) // 2
    times = [v for r in rows for k, v in r["data"].items() if k == "EventTime"]
    assert times and any(not t.endswith("0Z") for t in times)
    # 2: "" and whitespace stay, absent is None.
    values = [v for r in rows for v in r["data"].values()]
    assert "" in values and "  " in values and "\t" in values and None in values
    # 3: UserData flattened to the wrapper's children, message rendered from them.
    user = [r for r in rows if "UserDataElement" in r["extra"]]
    assert user and all(r["extra"]["UserDataElement"].startswith("Wcf") for r in user)
    assert all(r["data"] and not any(isinstance(v, dict) for v in r["data"].values())
               for r in user)
    assert all("%" not in (r["message"] or "") for r in user)


@pytest.mark.parametrize("engine", ENGINES)
def test_forwarded_events_are_counted_by_file_record_number(engine: str) -> None:
    rows, _stats, reports = decode(FIXTURES / "forwarded.evtx", engine)
    assert rows == written("forwarded") and len(rows) == 59 and not reports
    assert all(r["extra"]["file_record_number"] + 5000 == r["record_id"] for r in rows)
    result = cli("decode", "--engine", engine, "--format", "json", "fixtures/forwarded.evtx")
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 59
    assert "warning" not in result.stderr


@pytest.mark.skipif(not (SAMPLES / "MSExchange_Management_wec.evtx").exists(),
                    reason="../shared/samples is not present")
def test_real_forwarded_sample_is_read_whole_by_both_engines() -> None:
    path = SAMPLES / "MSExchange_Management_wec.evtx"
    rust, rust_stats, rust_reports = decode(path, "rust")
    python, _, python_reports = decode(path, "python")
    assert rust == python and len(rust) == 1 and not rust_reports and not python_reports
    assert rust[0]["record_id"] == 3229 and rust[0]["extra"]["file_record_number"] == 1
    assert rust[0]["timestamp"] == "2021-11-19T16:52:33.8337335Z"
    assert rust_stats.complete


@pytest.mark.parametrize("engine", ENGINES)
def test_a_flipped_record_number_is_damage_not_a_second_record(tmp_path: Path,
                                                               engine: str) -> None:
    path = tmp_path / "flip.evtx"
    shutil.copy(FIXTURES / "all-events.evtx", path)
    places = list(damage.records(path))
    victim = places[len(places) // 3]
    damage.flip_record_number(path, victim.record_id, bits=1 << 55)
    rows, stats, reports = decode(path, engine)
    ids = [r["record_id"] for r in rows]
    assert len(ids) == len(set(ids)) == len(places) - 1 == stats.read
    assert victim.record_id not in ids and stats.lost == 1
    assert [r for r in rows] == [r for r in written("all-events")
                                 if r["record_id"] != victim.record_id]
    assert len(reports) == 1 and "1 record lost" in str(reports[0])


@pytest.mark.parametrize("engine", ENGINES)
def test_checksum_failure_marks_records_and_strict_drops_them(tmp_path: Path,
                                                              engine: str) -> None:
    path = tmp_path / "crc.evtx"
    shutil.copy(FIXTURES / "all-events.evtx", path)
    damage.corrupt_chunk_records_crc(path, 1)
    in_chunk = {p.record_id for p in damage.records(path) if p.chunk == 1}
    rows, stats, reports = decode(path, engine)
    marked = {r["record_id"] for r in rows if "integrity" in r["extra"]}
    assert marked == in_chunk and stats.complete and stats.lost == 0
    assert all(r["extra"]["integrity"] == "chunk records checksum mismatch"
               for r in rows if r["record_id"] in marked)
    assert len(reports) == 1 and "extra.integrity" in str(reports[0])
    strict, strict_stats, _ = decode(path, engine, strict=True)
    assert {r["record_id"] for r in strict} == {r["record_id"] for r in rows} - in_chunk
    assert strict_stats.lost == len(in_chunk)


def test_exit_codes_follow_the_accounting(tmp_path: Path) -> None:
    crc = tmp_path / "crc.evtx"
    shutil.copy(FIXTURES / "service-call.evtx", crc)
    damage.corrupt_chunk_header_crc(crc, 0)
    result = cli("decode", "--format", "json", str(crc))
    assert result.returncode == 0 and "warning" in result.stderr  # a warning alone
    # A file holding its header only: the header counts 3,000 records, all lost.
    events = list(scenarios.random_mix(seed=1, count=3000))
    full = tmp_path / "full.evtx"
    write_evtx(full, events)
    header_only = tmp_path / "header-only.evtx"
    header_only.write_bytes(full.read_bytes()[:4096])
    result = cli("decode", "--format", "json", str(header_only))
    assert result.returncode == 1 and "3000 records" in result.stderr
    # A closed pipe is not a loss.
    pipe = subprocess.run(f"{sys.executable} -m wcfevents decode --format json "
                          "fixtures/all-events.evtx | head -1", shell=True, cwd=ROOT,
                          capture_output=True, text=True, executable="/bin/bash")
    assert pipe.returncode == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_cut_file_gives_one_plain_line_per_damaged_part(tmp_path: Path, engine: str) -> None:
    path = tmp_path / "cut.evtx"
    shutil.copy(FIXTURES / "all-events.evtx", path)
    damage.cut_file(path, 4096 + 3 * 65536 + 20001)
    rows, stats, reports = decode(path, engine)
    lines = [str(r) for r in reports]
    assert len(lines) == 2, lines  # the cut chunk, and the chunks beyond the end
    assert [r.offset for r in reports] == sorted(r.offset for r in reports)
    assert "chunk 3: chunk cut short" in lines[0] and "the file ends" in lines[1]
    assert not any("Tried to parse" in line or "0x" in line for line in lines)
    assert stats.read + stats.lost == len(written("all-events"))
    marked = [r for r in rows if r["extra"].pop("integrity", None) == "chunk cut short"]
    assert marked and rows == written("all-events")[:len(rows)]


def test_fixture_texts_fit_their_events() -> None:
    rows = {r["event_id"]: r for r in written("all-events")}
    assert "idle timeout" in rows[1402]["message"].lower()
    assert "negotiation state cache" in rows[1422]["message"].lower()
    for event in scenarios.all_events(seed=5):
        enriched = enrich(event)
        if enriched.event_id in (1402, 1422):
            assert enriched.message == rows[enriched.event_id]["message"]


def test_goldens_are_what_the_tool_writes(tmp_path: Path) -> None:
    for name in ("fidelity", "forwarded"):
        fixture = make_fixtures.FIXTURES[name]
        evtx_path, golden_path = make_fixtures.build(fixture, tmp_path)
        assert evtx_path.read_bytes() == (FIXTURES / evtx_path.name).read_bytes()
        assert golden_path.read_bytes() == (FIXTURES / golden_path.name).read_bytes()


REAL = sorted(SAMPLES.glob("*.evtx")) if SAMPLES.exists() else []


@pytest.mark.skipif(not REAL, reason="../shared/samples is not present")
@pytest.mark.parametrize("path", REAL, ids=[p.name for p in REAL])
def test_engines_read_the_same_records_of_real_samples(path: Path) -> None:
    rust, rust_stats, rust_reports = decode(path, "rust")
    python, python_stats, python_reports = decode(path, "python")
    assert [r["record_id"] for r in rust] == [r["record_id"] for r in python]
    for a, b in zip(rust, python, strict=True):
        for key in ("timestamp", "event_id", "extra", "computer", "channel", "activity_id"):
            assert a[key] == b[key], (a["record_id"], key)
    for a, b in zip(rust, python, strict=True):
        assert json.dumps(a) == json.dumps(b), a["record_id"]
    assert rust_stats.lost == python_stats.lost
    assert [str(r) for r in rust_reports] == [str(r) for r in python_reports]


@pytest.mark.parametrize("engine", ENGINES)
def test_empty_null_and_control_values_as_written(tmp_path: Path, engine: str) -> None:
    """UserData and EventData values the Rust parser prints alike ("" and NULL as null,
    control characters python-evtx drops) come back exactly as written, from both engines."""
    events = list(scenarios.fidelity())
    user = next(e for e in events if "UserDataElement" in e.extra)
    plain = next(e for e in events if "UserDataElement" not in e.extra and len(e.data) > 2)
    names = list(user.data)
    user.data[names[0]], user.data[names[1]] = "", None
    user.data[names[2]] = "\x03"
    names = [k for k, v in plain.data.items() if isinstance(v, str)]
    plain.data[names[0]] = "a\x01b\x86"
    user.record_id, plain.record_id = 1, 2
    path = tmp_path / "values.evtx"
    write_evtx(path, [user, plain])
    rows, _, reports = decode(path, engine)
    assert not reports
    assert rows[0]["data"] == user.data and rows[1]["data"][names[0]] == "a\x01b\x86"


def test_a_user_data_element_keeps_its_own_attributes(tmp_path: Path) -> None:
    """As the Rust engine prints system.evtx's UMDF <Service clsid=… name=…/>: attributes kept."""
    path = tmp_path / "export.xml"
    path.write_text(
        '<Events><Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'
        '<Provider Name="P"/><EventID>10001</EventID><Level>4</Level>'
        '<TimeCreated SystemTime="2017-07-20T11:08:38.3527403Z"/><EventRecordID>510'
        '</EventRecordID></System><UserData><Install xmlns="urn:x">'
        '<Service clsid="112DE495-AC4C-46F8-B663-6A4266C53313" name="WpdFs"/>'
        '<Note lang="en">text</Note><Empty/></Install></UserData></Event></Events>',
        encoding="utf-8")
    rows, _, reports = decode(path, "rust")
    assert not reports and rows[0]["data"] == {
        "Service": {"#attributes": {"clsid": "112DE495-AC4C-46F8-B663-6A4266C53313",
                                    "name": "WpdFs"}},
        "Note": {"#attributes": {"lang": "en"}, "#text": "text"},
        "Empty": "",
    }
