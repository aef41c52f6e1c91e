"""Rows of a Parquet dataset turned back into `decode --format json` objects, by the README's
documented schema (written here independently of wcfevents.output.parquet)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson

from wcfevents.model import EVENT_KEYS

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def iso(nanoseconds: int | None) -> str | None:
    """The JSON text of a timestamp column value (nanoseconds since 1970, a multiple of 100)."""
    if nanoseconds is None:
        return None
    seconds, rest = divmod(nanoseconds, 1_000_000_000)
    assert rest % 100 == 0, "finer than 100 ns"
    moment = EPOCH + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{rest // 100:07d}Z"


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    """One row (timestamp as integer nanoseconds) as the JSON object: `untyped` wins; data and
    extra are JSON text."""
    untyped = json.loads(row["untyped"]) if row["untyped"] is not None else {}
    record: dict[str, Any] = {}
    for key in EVENT_KEYS:
        value = row[key]
        if key == "timestamp":
            value = iso(value)
        elif key in ("data", "extra"):
            value = json.loads(value)
        elif key == "keywords":
            value = list(value)
        record[key] = untyped.get(key, value)
    return record


def pyarrow_rows(directory: Path) -> list[dict[str, Any]]:
    """Every row of every file, files in name order, read with pyarrow."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows: list[dict[str, Any]] = []
    for path in sorted(directory.rglob("*.parquet")):
        table = pq.read_table(path)
        table = table.set_column(table.schema.get_field_index("timestamp"), "timestamp",
                                 table.column("timestamp").cast(pa.int64()))
        rows.extend(as_json(row) for row in table.to_pylist())
    return rows


def duckdb_rows(directory: Path) -> list[dict[str, Any]]:
    """Every row, read with DuckDB (the timestamp through epoch_ns, exact)."""
    import duckdb

    columns = ", ".join("epoch_ns(timestamp) as timestamp" if key == "timestamp" else key
                        for key in (*EVENT_KEYS, "untyped"))
    relation = duckdb.sql(
        f"select {columns} from read_parquet('{directory}/**/*.parquet', "
        "hive_partitioning = false)")
    names = relation.columns
    return [as_json(dict(zip(names, values, strict=True))) for values in relation.fetchall()]


def canonical(records: list[dict[str, Any]]) -> list[bytes]:
    """Records as sorted JSON bytes, to compare readers that do not promise row order."""
    return sorted(orjson.dumps(r) for r in records)
