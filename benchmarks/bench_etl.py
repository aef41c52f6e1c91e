"""Decoding .etl against .evtx: decode → JSON of the same WCF events, same run, default engine.

    python benchmarks/bench_etl.py --quick          # 20,000 events (< 60 s once generated)
    python benchmarks/bench_etl.py                  # 1,000,000 events
    python benchmarks/bench_etl.py --gigabyte       # also a ~1 GiB .etl: memory stays flat

The same deterministic mix (wcfevents.testing.scenarios) is written as .evtx and as .etl into
--data-dir (outside the repository; reused when present). Each input is decoded by
`python -m wcfevents decode FILE --format json` into /dev/null with the default options (so
large files use every core), timed, with peak memory sampled as the summed RSS of the whole
process tree. Rows: wall seconds of each, the speed ratio .evtx time / .etl time (≥ 1: .etl at
least as fast), and peak RSS of each.
"""

from __future__ import annotations

import argparse
import os
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA_DIR = Path(tempfile.gettempdir()) / "wcfevents-bench-etl"
SAMPLE_INTERVAL = 0.05


def _children(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                kids = Path(f"/proc/{current}/task/{task}/children").read_text().split()
                for kid in map(int, kids):
                    found.append(kid)
                    todo.append(kid)
        except OSError:
            continue
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_decode(path: Path, *extra: str) -> tuple[float, int]:
    """Wall seconds and peak summed tree RSS (bytes) of one decode → JSON into /dev/null."""
    command = [sys.executable, "-m", "wcfevents", "decode", str(path), "--format", "json",
               *extra]
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE, cwd=ROOT)
        peak = 0
        while process.poll() is None:
            peak = max(peak, sum(_rss(p) for p in [process.pid, *_children(process.pid)]))
            time.sleep(SAMPLE_INTERVAL)
        stderr = process.stderr.read() if process.stderr else b""
    wall = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{command}: exit {process.returncode}: {stderr[-500:]!r}")
    return wall, peak


def inputs(count: int, data_dir: Path) -> tuple[Path, Path]:
    """The mix of `count` events as .evtx and .etl (generated once, then reused)."""
    from wcfevents.testing.etl_writer import write_etl
    from wcfevents.testing.evtx_writer import write_evtx
    from wcfevents.testing.scenarios import generate

    data_dir.mkdir(parents=True, exist_ok=True)
    evtx, etl = data_dir / f"mix-{count}.evtx", data_dir / f"mix-{count}.etl"
    if not evtx.exists():
        write_evtx(evtx.with_suffix(".tmp"), generate("mix", seed=0, count=count))
        evtx.with_suffix(".tmp").rename(evtx)
    if not etl.exists():
        write_etl(etl.with_suffix(".tmp"), generate("mix", seed=0, count=count))
        etl.with_suffix(".tmp").rename(etl)
    return evtx, etl


def gigabyte_etl(data_dir: Path, size: int = 1 << 30) -> Path:
    """A ~1 GiB .etl: a 100,000-event trace whose data buffers are repeated, each copy's time
    stamps shifted past the one before, so the file stays a valid trace in time order."""
    from wcfevents.sources.etl import read_layout
    from wcfevents.sources.etl import records as rec
    from wcfevents.testing.etl_writer import write_etl
    from wcfevents.testing.scenarios import generate

    path = data_dir / "gigabyte.etl"
    if path.exists() and path.stat().st_size >= size * 0.95:
        return path
    base = data_dir / "gigabyte-base.etl"
    write_etl(base, generate("mix", seed=0, count=100_000))
    fd = os.open(base, os.O_RDONLY)
    layout = read_layout(fd, base.name)
    buffers = [bytearray(os.pread(fd, b.size, b.offset)) for b in layout.buffers]
    os.close(fd)
    stamp = struct.Struct("<q")
    span = max(stamp.unpack_from(bytes(b), 0x10)[0] for b in buffers[1:]) - layout.header.t0 + 1
    copies = max(1, size // sum(len(b) for b in buffers[1:]))
    with path.open("wb") as out:
        out.write(buffers[0])
        for copy in range(copies):
            for raw in buffers[1:]:
                shifted = bytearray(raw)
                end = max(struct.unpack_from("<I", raw, 4)[0],
                          struct.unpack_from("<I", raw, 0x30)[0])
                for position, kind, _ in rec.walk(bytes(raw[:end])):
                    if kind in (rec.EVENT_HEADER32, rec.EVENT_HEADER64):
                        value = stamp.unpack_from(raw, position + 16)[0] + copy * span
                        stamp.pack_into(shifted, position + 16, value)
                out.write(shifted)
    # BuffersWritten: the header's count of what the file holds.
    with path.open("r+b") as out:
        header_at = 0x48 + 32 + 0x24
        out.seek(header_at)
        out.write(struct.pack("<I", 1 + copies * (len(buffers) - 1)))
    base.unlink()
    return path


def measure(quick: bool, data_dir: Path = DATA_DIR, gigabyte: bool = False) -> list[dict]:
    count = 20_000 if quick else 1_000_000
    evtx, etl = inputs(count, data_dir)
    evtx_wall, evtx_rss = run_decode(evtx)
    etl_wall, etl_rss = run_decode(etl)
    rows = [
        {"name": f"decode→JSON {count:,} events from .evtx (default engine)", "value":
         round(evtx_wall, 2), "unit": "s", "note": f"{evtx.stat().st_size / 1e6:.0f} MB"},
        {"name": f"decode→JSON {count:,} events from .etl", "value": round(etl_wall, 2),
         "unit": "s", "note": f"{etl.stat().st_size / 1e6:.0f} MB"},
        {"name": ".etl speed relative to .evtx (evtx time / etl time)",
         "value": round(evtx_wall / etl_wall, 2), "unit": "ratio", "note": "target ≥ 1"},
        {"name": "peak RSS, .evtx decode (process tree)", "value": round(evtx_rss / 1e6, 1),
         "unit": "MB", "note": ""},
        {"name": "peak RSS, .etl decode (process tree)", "value": round(etl_rss / 1e6, 1),
         "unit": "MB", "note": "target ≤ 150"},
    ]
    if gigabyte:
        big = gigabyte_etl(data_dir)
        wall, rss = run_decode(big, "--count")
        rows.append({"name": f".etl of {big.stat().st_size / 2**30:.2f} GiB, decode --count",
                     "value": round(rss / 1e6, 1), "unit": "MB peak RSS",
                     "note": f"{wall:.0f} s"})
        wall, rss = run_decode(big, "--jobs", "1")
        rows.append({"name": f".etl of {big.stat().st_size / 2**30:.2f} GiB, one process, "
                             "decode → JSON", "value": round(rss / 1e6, 1),
                     "unit": "MB peak RSS", "note": f"{wall:.0f} s"})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--gigabyte", action="store_true")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    for row in measure(args.quick, args.data_dir, args.gigabyte):
        print(f"{row['name']}: {row['value']} {row['unit']}  {row['note']}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
