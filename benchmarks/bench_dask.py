"""Many traces: 16 .evtx files decoded into Parquet on a 2-worker Dask LocalCluster against one
process, Parquet writing against JSON Lines writing, and peak RSS per worker — all in one run.

    python benchmarks/bench_dask.py --quick     # 16 × 5k records, 1 run (< 60 s once generated)
    python benchmarks/bench_dask.py             # 16 × 50k records, 3 runs

Figures are the fastest of the runs (other load on the machine only ever slows a run down);
CPU seconds are given beside wall seconds, as they suffer less from a busy machine.

Inputs are generated with the project's own writer (seeds 0-15, the random mix) under
/tmp/wcfevents-bench-dask and reused when present.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = Path(tempfile.gettempdir()) / "wcfevents-bench-dask"
TRACES = 16


def inputs(records: int) -> Path:
    """16 different traces of `records` records each (generated once, then reused)."""
    from wcfevents.testing.evtx_writer import write_evtx
    from wcfevents.testing.scenarios import generate

    folder = DATA / f"{TRACES}x{records}"
    folder.mkdir(parents=True, exist_ok=True)
    for seed in range(TRACES):
        path = folder / f"trace-{seed:02d}.evtx"
        if not path.exists():
            partial = path.with_suffix(".tmp")
            write_evtx(partial, generate("mix", seed=seed, count=records))
            partial.rename(path)
    return folder


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "wcfevents", "decode", *args]


def timed(argv: list[str], stdout: Any = subprocess.DEVNULL) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one child process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_PROGRESS": "1"}
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise RuntimeError(f"{argv} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def _worker_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def in_process_writing(folder: Path) -> tuple[float, float, int]:
    """Seconds to write already-decoded events as JSON Lines and as Parquet (best of 3)."""
    from wcfevents.output import jsonl, parquet
    from wcfevents.pipeline import read

    events = list(read([str(folder / "trace-00.evtx")]))
    json_best = parquet_best = float("inf")
    for _ in range(3):
        with open(os.devnull, "wb") as sink:
            started = time.perf_counter()
            for start in range(0, len(events), 2000):
                sink.write(jsonl.encode(events[start:start + 2000]))
            json_best = min(json_best, time.perf_counter() - started)
        with tempfile.TemporaryDirectory() as scratch:
            started = time.perf_counter()
            with parquet.DatasetWriter(Path(scratch) / "out") as writer:
                writer.write(events)
            parquet_best = min(parquet_best, time.perf_counter() - started)
    return json_best, parquet_best, len(events)


def measure(quick: bool) -> list[dict[str, Any]]:
    from distributed import LocalCluster

    records, repeats = (5_000, 1) if quick else (50_000, 3)
    folder = inputs(records)
    total = TRACES * records
    scratch = Path(tempfile.mkdtemp(prefix="wcfevents-bench-"))
    rows: list[dict[str, Any]] = []
    runs: dict[str, list[tuple[float, float, int]]] = {"json": [], "parquet": [], "cluster": []}
    try:
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            from distributed import Client

            with Client(cluster) as client:
                for attempt in range(repeats):  # interleaved, so load hits all alike
                    runs["json"].append(timed(command(str(folder), "--format", "json",
                                                      "--jobs", "1")))
                    runs["parquet"].append(timed(command(
                        str(folder), "--format", "parquet", "-o", str(scratch / f"one{attempt}"),
                        "--jobs", "1")))
                    runs["cluster"].append(timed(command(
                        str(folder), "--format", "parquet", "-o", str(scratch / f"dask{attempt}"),
                        "--scheduler", cluster.scheduler_address)))
                peaks = sorted(client.run(_worker_peak).values())
        json_write, parquet_write, written = in_process_writing(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    one_json, one_parquet, cluster_run = (
        (min(r[0] for r in runs[k]), min(r[1] for r in runs[k]), max(r[2] for r in runs[k]))
        for k in ("json", "parquet", "cluster"))
    note = f"{TRACES} traces × {records:,} records, .evtx"
    rows += [
        {"name": "one process: decode --format parquet --jobs 1", "value": round(one_parquet[0], 2),
         "unit": "s", "note": f"{total / one_parquet[0]:,.0f} records/s; {note}"},
        {"name": "2-worker LocalCluster: decode --scheduler ADDR --format parquet",
         "value": round(cluster_run[0], 2), "unit": "s",
         "note": f"{total / cluster_run[0]:,.0f} records/s; client process and scheduling "
                 "included; workers warm"},
        {"name": "speed-up, cluster over one process", "value":
         round(one_parquet[0] / cluster_run[0], 2), "unit": "ratio", "note": "2 workers, 2 cores"},
        {"name": "decode: parquet wall / JSON Lines wall (one process)",
         "value": round(one_parquet[0] / one_json[0], 2), "unit": "ratio",
         "note": f"target ≤ 1.5; JSON {one_json[0]:.2f} s, CPU {one_parquet[1]:.1f}/"
                 f"{one_json[1]:.1f} s"},
        {"name": "writing only: parquet / JSON Lines (in process)",
         "value": round(parquet_write / json_write, 2), "unit": "ratio",
         "note": f"{written:,} decoded events: {parquet_write * 1e6 / written:.1f} vs "
                 f"{json_write * 1e6 / written:.1f} µs/event"},
        {"name": "peak RSS, one process parquet", "value": one_parquet[2], "unit": "MB",
         "note": f"JSON Lines: {one_json[2]} MB"},
        {"name": "peak RSS per worker", "value": max(peaks), "unit": "MB",
         "note": "workers: " + ", ".join(f"{p} MB" for p in peaks)},
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    for row in measure(args.quick):
        print(f"{row['name']:<66} {row['value']:>8} {row['unit']:<5} {row['note']}")


if __name__ == "__main__":
    main()
