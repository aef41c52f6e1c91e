"""How .svclog decoding scales: throughput against a bare lxml parse of the same fragments, and
peak memory on a large file (it must stay flat: a 1 GB file decodes in ≤ 150 MB).

    python benchmarks/bench_svclog.py --quick   # a 16 MB file (< 60 s)
    python benchmarks/bench_svclog.py           # a 1 GB file (minutes)

The input is written by the project's svclog writer under the temp directory (never the
repository) and reused when present. Every figure is measured in the run that prints it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA_DIR = Path(tempfile.gettempdir()) / "wcfevents-bench"
QUICK_MB = 16
FULL_MB = 1024
LIMIT_MB = 150

# A child's ru_maxrss only counts from its exec when a small launcher forks it (a child forked
# from this process would inherit this process's peak): the launcher reports wait4's figures.
_LAUNCHER = """
import os, sys, time
argv = sys.argv[1:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_WRONLY)
    os.dup2(fd, 1)
    try:
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - started, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def generate(size_mb: int) -> Path:
    """A trace log of about size_mb MiB: the scenario's trace and message records, repeated
    with fresh ActivityIDs and advancing times."""
    from wcfevents.model import filetime_to_iso, iso_to_filetime
    from wcfevents.testing.svclog_scenarios import message_log, trace_log
    from wcfevents.testing.svclog_writer import write_svclog

    path = DATA_DIR / f"svclog-{size_mb}mb.svclog"
    if path.exists() and path.stat().st_size >= size_mb << 20:
        return path
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    records = trace_log() + message_log()
    partial = path.with_suffix(".part")
    with partial.open("wb") as out:
        written, round_ = 0, 0
        while written < size_mb << 20:
            for record in records:
                shift = round_ * 600_000_000  # one minute a round
                record_time = filetime_to_iso(iso_to_filetime(record.time) + shift)
                clone = _renumbered(record, round_, record_time or record.time)
                data = write_svclog([clone])
                out.write(data)
                written += len(data)
            round_ += 1
    partial.rename(path)
    return path


def _renumbered(record: object, round_: int, time_text: str) -> object:
    import dataclasses

    def fresh(guid: str | None) -> str | None:
        return None if guid is None else f"{round_:08x}{guid[8:]}"

    return dataclasses.replace(record, time=time_text,  # type: ignore[type-var]
                               activity=fresh(record.activity),  # type: ignore[attr-defined]
                               related=fresh(record.related))  # type: ignore[attr-defined]


def run(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS in MiB) of a command, stdout discarded."""
    result = subprocess.run([sys.executable, "-c", _LAUNCHER, *args], capture_output=True,
                            text=True, check=True, cwd=ROOT)
    wall, maxrss_kib, code = result.stdout.split()
    if int(code) not in (0, 1):
        raise RuntimeError(f"{args} exited {code}")
    return float(wall), int(maxrss_kib) / 1024


def bare_parse_seconds(path: Path) -> float:
    """The floor: cut into fragments and parse each with lxml, nothing mapped or written."""
    from lxml import etree

    from wcfevents.sources.svclog_frames import Fragment, fragments

    parser = etree.XMLParser(recover=True, huge_tree=True, resolve_entities=False)
    started = time.perf_counter()
    with path.open("rb") as fh:
        for piece in fragments(fh):
            if isinstance(piece, Fragment):
                etree.fromstring(piece.data, parser)
    return time.perf_counter() - started


def measure(quick: bool) -> list[dict]:
    size = QUICK_MB if quick else FULL_MB
    path = generate(size)
    mib = path.stat().st_size / (1 << 20)
    floor = bare_parse_seconds(path)
    python = sys.executable
    decode_s, decode_rss = run([python, "-m", "wcfevents", "decode", str(path),
                                "--format", "json"])
    errors_s, errors_rss = run([python, "-m", "wcfevents", "decode", str(path),
                                "--level", "error+", "--format", "json"])
    _, idle_rss = run([python, "-m", "wcfevents", "lookup", "131085", "--format", "json"])
    note = f"{mib:.0f} MiB generated svclog"
    return [
        {"name": "svclog bare lxml parse", "value": round(mib / floor, 1), "unit": "MiB/s",
         "ratio": 1.0, "note": note},
        {"name": "svclog decode --format json", "value": round(mib / decode_s, 1),
         "unit": "MiB/s", "ratio": round(decode_s / floor, 2),
         "note": "wall time ÷ bare parse"},
        {"name": "svclog decode --level error+", "value": round(mib / errors_s, 1),
         "unit": "MiB/s", "ratio": round(errors_s / floor, 2),
         "note": "header pre-check skips the parse of other records"},
        {"name": "svclog decode peak RSS", "value": round(decode_rss, 1), "unit": "MiB",
         "ratio": round(decode_rss / idle_rss, 2),
         "note": f"÷ peak RSS of `lookup` ({idle_rss:.0f} MiB); limit {LIMIT_MB} MiB"},
        {"name": "svclog --level error+ peak RSS", "value": round(errors_rss, 1),
         "unit": "MiB", "ratio": round(errors_rss / idle_rss, 2), "note": ""},
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"a {QUICK_MB} MiB file")
    args = parser.parse_args()
    rows = measure(args.quick)
    for row in rows:
        print(f"{row['name']:<34} {row['value']:>9} {row['unit']:<6} ×{row['ratio']:<6} "
              f"{row['note']}")
    peak = max(r["value"] for r in rows if r["unit"] == "MiB")
    return 0 if peak <= LIMIT_MB else 1


if __name__ == "__main__":
    os.environ.setdefault("NO_PROGRESS", "1")
    sys.exit(main())
