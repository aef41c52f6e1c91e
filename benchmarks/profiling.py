"""Where the time goes: cProfile of the in-process decode to JSON Lines, top functions."""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from settings import PROFILE_TOP, SOURCE


@dataclass
class ProfileRow:
    function: str
    calls: int
    tottime: float
    cumtime: float
    per_record_us: float
    share: float


@dataclass
class Profile:
    input: str
    records: int
    total: float  # profiled wall seconds
    rows: list[ProfileRow]


def _where(filename: str, line: int, func: str) -> str:
    if filename == "~":
        return func
    for marker in ("/site-packages/", "/lib/python"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    else:
        try:
            filename = str(Path(filename).resolve().relative_to(SOURCE.path))
        except ValueError:
            filename = Path(filename).name
    return f"{filename}:{line}({func})"


def profile_decode(path: Path) -> Profile:
    """cProfile of pipeline.read + JSON Lines output to /dev/null; top functions by tottime.

    The input is read through once first, so that the profile shows the decoder's work rather
    than the disk: a file measured minutes earlier may have left the page cache since."""
    from wcfevents.output import jsonl
    from wcfevents.pipeline import read

    with open(path, "rb") as handle:
        while handle.read(1 << 20):
            pass

    profiler = cProfile.Profile()
    with open(os.devnull, "wb") as out:
        started = time.perf_counter()
        profiler.enable()
        count = jsonl.write(read([str(path)]), out)
        profiler.disable()
        total = time.perf_counter() - started
    stats: dict[Any, Any] = pstats.Stats(profiler).stats
    grand = sum(v[2] for v in stats.values()) or 1.0
    rows = [
        ProfileRow(_where(*key), calls, tt, ct, tt / max(count, 1) * 1e6, tt / grand)
        for key, (_, calls, tt, ct, _) in stats.items()
    ]
    rows.sort(key=lambda r: -r.tottime)
    return Profile(path.name, count, total, rows[:PROFILE_TOP])

