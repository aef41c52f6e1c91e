"""wcfevents.dask on a real 2-worker LocalCluster (separate processes): the same records as one
process, filters inside the partitions, damage reported and never raised, and `decode
--scheduler ADDRESS --format parquet` writing the same dataset as one process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from dataset_rows import as_json, canonical, pyarrow_rows

from wcfevents.cli import main
from wcfevents.pipeline import TRACE_SUFFIXES, Stats, read

pytest.importorskip("pyarrow")
pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import wcfevents.dask as wdask  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SMALL_BLOCKS = 2 * 65536  # two chunks a partition, so .evtx fixtures split into windows


@pytest.fixture(scope="module")
def client() -> Any:
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as connected:
        yield connected


def single_process(paths: list[str], **selection: Any) -> tuple[list[dict[str, Any]], Stats]:
    """One process, file after file (a partition holds one file's records in file order)."""
    stats = Stats()
    records = [e.to_dict() for path in paths
               for e in read([path], stats=stats, on_damage=lambda d: None,
                             on_unreadable=lambda e: None, **_filters(selection))]
    return records, stats


def _filters(selection: dict[str, Any]) -> dict[str, Any]:
    from wcfevents.api import make_filters

    return {"filters": make_filters(**selection)}


def rows(frame: Any) -> list[dict[str, Any]]:
    """Computed rows as JSON objects (timestamps as exact integer nanoseconds)."""
    table = frame.copy()
    table["timestamp"] = table["timestamp"].astype("int64[pyarrow]")
    return [as_json(r) for r in table.astype(object).where(table.notna(), None)
            .to_dict("records")]


def test_cluster_gives_exactly_the_single_process_records(client: Any) -> None:
    frame = wdask.read(str(FIXTURES / "**" / "*.evtx"), blocksize=SMALL_BLOCKS)
    files = sorted(FIXTURES.rglob("*.evtx"))
    assert frame.npartitions > len(files)  # large files split into chunk windows
    computed, stats = wdask.compute(frame)
    expected, expected_stats = single_process([str(p) for p in files])
    assert rows(computed) == expected
    assert stats.to_dict() == expected_stats.to_dict()
    assert [str(d) for d in stats.damage] == [str(d) for d in expected_stats.damage]
    workers = client.run(lambda: __import__("os").getpid())
    assert len(set(workers.values())) == 2  # real worker processes did the work


def test_filters_apply_inside_partitions(client: Any) -> None:
    selection = {"levels": ["warning+"], "keywords": ["ServiceModel"]}
    paths = [str(FIXTURES / "service-call.evtx"), str(FIXTURES / "all-events.evtx"),
             str(FIXTURES / "throttling.tracerpt.xml")]
    frame = wdask.read(paths, blocksize=SMALL_BLOCKS, **selection)
    computed, stats = wdask.compute(frame)
    expected, expected_stats = single_process(paths, **selection)
    assert rows(computed) == expected and len(expected) > 0
    assert (stats.read, stats.matched, stats.filtered) == (
        expected_stats.read, expected_stats.matched, expected_stats.filtered)
    assert stats.filtered > 0


def test_damage_and_unreadable_inputs_are_reported_not_raised(client: Any,
                                                              tmp_path: Path) -> None:
    junk = tmp_path / "junk.evtx"
    junk.write_bytes(b"ElfFile\x00" + b"\xff" * 5000)
    paths = [str(FIXTURES / "damaged-chunk.evtx"), str(junk)]
    frame = wdask.read(paths, blocksize=SMALL_BLOCKS)
    computed, stats = wdask.compute(frame[frame.level == "Error"])
    expected, expected_stats = single_process(paths)
    assert stats.lost == expected_stats.lost > 0
    assert stats.damaged == expected_stats.damaged
    assert [str(d) for d in stats.damage] == [str(d) for d in expected_stats.damage]
    assert stats.unreadable == expected_stats.unreadable
    assert rows(computed) == [r for r in expected if r["level"] == "Error"]


def test_scheduler_address_writes_the_one_process_dataset(client: Any, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["decode", str(FIXTURES), "--format", "parquet", "--level", "information+"]
    here = runner.invoke(main, [*args, "-o", str(tmp_path / "one")], catch_exceptions=False)
    there = runner.invoke(main, [*args, "-o", str(tmp_path / "cluster"), "--scheduler",
                                 client.scheduler.address], catch_exceptions=False)
    assert there.exit_code == here.exit_code == 1
    assert canonical(pyarrow_rows(tmp_path / "cluster")) == canonical(pyarrow_rows(
        tmp_path / "one"))
    lines = runner.invoke(main, [*args[:-2], "--level", "information+", "--format", "json"])
    assert pyarrow_rows(tmp_path / "one") == [json.loads(x) for x in lines.stdout.splitlines()]
    # The warnings, in input order, and the accounting are those of each file decoded alone
    # (one process decoding several inputs at once merges them in time order).
    warnings: list[str] = []
    for path in sorted(p for p in FIXTURES.rglob("*") if p.suffix in TRACE_SUFFIXES):
        alone = runner.invoke(main, ["decode", str(path), "--format", "json", "--level",
                                     "information+"])
        warnings += [x for x in alone.stderr.splitlines() if x.startswith("wcfevents: warning")]
    _, stats = single_process([str(p) for p in sorted(FIXTURES.rglob("*"))
                               if p.suffix in TRACE_SUFFIXES], levels=["information+"])
    reported = there.stderr.splitlines()
    assert reported[:-1] == warnings
    assert reported[-1].startswith(
        f"wcfevents: {stats.read} records read, {stats.matched} matched, "
        f"{stats.filtered} filtered out, {stats.lost} lost")


def test_no_match_for_a_glob_is_an_error() -> None:
    with pytest.raises(FileNotFoundError):
        wdask.read(str(FIXTURES / "*.nothing"))
