"""`decode --format parquet`: every value equals `--format json`, read back with pyarrow and with
DuckDB; bounded row groups; hive partitions; values no typed column can hold survive."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from dataset_rows import canonical, duckdb_rows, pyarrow_rows

from wcfevents.cli import main
from wcfevents.model import Event
from wcfevents.pipeline import TRACE_SUFFIXES, read

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from wcfevents.output import parquet  # noqa: E402  (needs pyarrow)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
TRACES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in TRACE_SUFFIXES)


def invoke(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def json_records(*args: str) -> list[dict[str, Any]]:
    result = invoke("decode", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.stdout_bytes.splitlines()]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("parquet") / "out"
    result = invoke("decode", str(FIXTURES), "--format", "parquet", "-o", str(out))
    return out, result


def test_every_value_equals_json_with_pyarrow(dataset: tuple[Path, Any]) -> None:
    out, result = dataset
    expected = json_records(str(FIXTURES))
    assert {r["source"] for r in expected} == {str(p) for p in TRACES}  # every fixture
    assert result.exit_code == 1  # the damaged fixtures lose records, as with JSON
    assert pyarrow_rows(out) == expected  # every value, in input order


def test_every_value_equals_json_with_duckdb(dataset: tuple[Path, Any]) -> None:
    pytest.importorskip("duckdb")
    out, _ = dataset
    assert canonical(duckdb_rows(out)) == canonical(json_records(str(FIXTURES)))


def test_schema_types_and_json_text_columns(dataset: tuple[Path, Any]) -> None:
    out, _ = dataset
    table = pq.read_table(out)
    types = {f.name: f.type for f in table.schema}
    assert types["timestamp"] == pa.timestamp("ns", tz="UTC")
    assert types["record_id"] == types["event_id"] == types["process_id"] == pa.int64()
    assert types["keywords"] == pa.list_(pa.string())
    assert [f.name for f in table.schema][-1] == "untyped"
    # data and extra hold the very bytes JSON Lines writes for those values
    expected = json_records(str(FIXTURES))
    for key in ("data", "extra"):
        assert [v.encode() for v in table.column(key).to_pylist()] == [
            orjson.dumps(r[key]) for r in expected]


def test_summary_counts_equal_duckdb_group_by(dataset: tuple[Path, Any]) -> None:
    """The done-when check: duckdb's count per symbol over the dataset equals `summary`."""
    duckdb = pytest.importorskip("duckdb")
    out, _ = dataset
    counts = dict(duckdb.sql(f"select symbol, count(*) from '{out}/**/*.parquet' group by 1")
                  .fetchall())
    result = invoke("summary", str(FIXTURES), "--format", "json")
    expected: dict[str | None, int] = {}
    for row in json.loads(result.stdout)["events"]:
        expected[row["symbol"]] = expected.get(row["symbol"], 0) + row["count"]
    assert counts == expected and sum(counts.values()) > 1000


def test_values_no_typed_column_holds_survive(tmp_path: Path) -> None:
    odd = [
        Event(record_id=(1 << 63) + 5, timestamp="1601-01-01T00:00:00.0000000Z", event_id=1,
              task="7", opcode_id=12, data={"n": 1}, extra={}),
        Event(record_id=1, timestamp="not a time", event_id=2, task_id=3, opcode="Start"),
        Event(record_id=2, timestamp="2262-04-12T00:00:00.0000000Z", event_id=3),
        Event(record_id=3, timestamp="1677-09-22T00:00:00.0000001Z", event_id=4, keywords=["A"]),
        Event(record_id=4, timestamp=None, event_id=None, task=" 5", version=255),
        Event(record_id=5, timestamp="2024-02-30T00:00:00.0000000Z", event_id=5),
    ]
    with parquet.DatasetWriter(tmp_path / "odd") as writer:
        writer.write(odd)
    assert pyarrow_rows(tmp_path / "odd") == [e.to_dict() for e in odd]
    table = pq.read_table(tmp_path / "odd")
    assert table.column("timestamp").null_count == 5  # all but the 1677 time
    assert table.column("record_id").to_pylist()[0] is None


def test_row_groups_are_bounded(tmp_path: Path) -> None:
    events = list(read([str(FIXTURES / "all-events.evtx")]))
    with parquet.DatasetWriter(tmp_path / "rg", row_group_rows=100) as writer:
        writer.write(events, batch=70)
    (path,) = writer.files
    metadata = pq.ParquetFile(path).metadata
    sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
    assert sum(sizes) == len(events) and max(sizes) == 100
    assert metadata.num_row_groups == -(-len(events) // 100)


@pytest.mark.parametrize("by", ["date", "computer", "provider"])
def test_partitions(tmp_path: Path, by: str) -> None:
    out = tmp_path / by
    result = invoke("decode", str(FIXTURES), "--format", "parquet", "-o", str(out),
                    "--partition-by", by)
    assert result.exit_code == 1
    expected = json_records(str(FIXTURES))
    assert canonical(pyarrow_rows(out)) == canonical(expected)
    folders = {p.parent.name for p in out.rglob("*.parquet")}
    assert all(f.startswith(f"{by}=") for f in folders)
    key = (lambda r: r["timestamp"][:10]) if by == "date" else (lambda r: r[by])
    wanted = {key(r) if key(r) is not None else "__HIVE_DEFAULT_PARTITION__" for r in expected}
    assert {f.split("=", 1)[1] for f in folders} == {parquet.directory_name(by, v).split("=")[1]
                                                     for v in wanted}
    # each directory holds exactly its value's records; pyarrow's hive reader agrees
    import pyarrow.dataset as ds

    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == len(expected)
    if by != "date":
        for folder in out.iterdir():
            values = set(pq.read_table(folder).column(by).to_pylist())
            name = folder.name.split("=", 1)[1]
            assert values == ({None} if name == "__HIVE_DEFAULT_PARTITION__" else
                              {v for v in values if parquet.directory_name(by, v) == folder.name})


def test_awkward_partition_values_are_encoded(tmp_path: Path) -> None:
    events = [Event(record_id=i, timestamp="2024-05-01T00:00:00.0000000Z", computer=name)
              for i, name in enumerate(["a/b", "..", "x=y%z", "WEB 01"])]
    with parquet.DatasetWriter(tmp_path / "p", "computer") as writer:
        writer.write(events)
    folders = sorted(p.name for p in (tmp_path / "p").iterdir())
    assert all("/" not in f and not f.split("=", 1)[1].startswith(".") for f in folders)
    import pyarrow.dataset as ds

    table = ds.dataset(tmp_path / "p", format="parquet", partitioning="hive").to_table()
    assert sorted(table.column("computer").to_pylist()) == sorted(e.computer for e in events)


def test_usage_errors_are_one_line(tmp_path: Path) -> None:
    result = invoke("decode", str(FIXTURES / "throttling.evtx"), "--format", "parquet")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and "-o DIR" in result.stderr
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    result = invoke("decode", str(FIXTURES / "throttling.evtx"), "--format", "parquet",
                    "-o", str(tmp_path / "full"))
    assert result.exit_code == 2 and "not empty" in result.stderr
    result = invoke("decode", str(FIXTURES / "throttling.evtx"), "--format", "csv",
                    "-o", str(tmp_path / "new"))
    assert result.exit_code == 2 and "--format parquet" in result.stderr


def test_no_match_still_has_the_schema(tmp_path: Path) -> None:
    result = invoke("decode", str(FIXTURES / "throttling.evtx"), "--format", "parquet",
                    "-o", str(tmp_path / "none"), "--id", "1")
    assert result.exit_code == 0
    table = pq.read_table(tmp_path / "none")
    assert table.num_rows == 0 and table.schema == parquet.schema()


def test_limit_and_filters(tmp_path: Path) -> None:
    args = [str(FIXTURES / "service-call.evtx"), "--level", "warning+"]
    invoke("decode", *args, "--format", "parquet", "-o", str(tmp_path / "w"), "--limit", "3")
    assert pyarrow_rows(tmp_path / "w") == json_records(*args, "--limit", "3")


def test_missing_pyarrow_is_one_line(tmp_path: Path) -> None:
    """Without pyarrow installed (imports of it fail), the user is told what to install."""
    code = ("import sys; sys.modules['pyarrow'] = None; from wcfevents.cli import entry_point; "
            f"entry_point(['decode', {str(FIXTURES / 'throttling.evtx')!r}, '--format', "
            f"'parquet', '-o', {str(tmp_path / 'x')!r}])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr == ("wcfevents: --format parquet needs pyarrow: "
                             "pip install 'wcfevents[parquet]'\n")
