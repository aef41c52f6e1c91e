"""How one thing is measured: child processes (wall, CPU, peak memory of the process tree) and
in-process timings, repeated; a Measurement is the median of its runs."""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from settings import SOURCE

_STATS_LINE = re.compile(r"(\d+) records read, (\d+) matched")


@dataclass
class Sample:
    """One run: wall and CPU (user + sys) seconds; for children, memory in bytes: the largest
    process's ru_maxrss, and the sampled peak of RSS and PSS summed over the process tree."""

    wall: float
    cpu: float
    rss: int | None = None
    tree_rss: int | None = None
    tree_pss: int | None = None
    processes: int | None = None


@dataclass
class Measurement:
    """Repeated runs of one thing over one input; figures are medians."""

    key: str  # a..h
    label: str
    input: str
    records: int  # records each run went through
    samples: list[Sample] = field(default_factory=list)
    note: str = ""
    extrapolate_to: int | None = None  # records of the whole file, for partial reads

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def rate(self) -> float:
        return self.records / self.wall

    @property
    def peak_rss(self) -> int | None:
        """Peak memory of a run: the summed tree RSS, or the largest process if larger."""
        values = [max(s.rss, s.tree_rss or 0) for s in self.samples if s.rss is not None]
        return max(values) if values else None

    def _max(self, name: str) -> int | None:
        values = [getattr(s, name) for s in self.samples if getattr(s, name) is not None]
        return max(values) if values else None

    @property
    def memory(self) -> Memory | None:
        peak = self.peak_rss
        if peak is None:
            return None
        return Memory(peak, self._max("rss") or 0, self._max("tree_pss"),
                      self._max("processes") or 1)


@dataclass
class Memory:
    """Peak memory over the runs of one measurement, in bytes."""

    peak: int  # summed RSS of the process tree (or the largest process, if larger)
    largest: int  # the largest single process (ru_maxrss)
    pss: int | None  # summed PSS: shared pages counted once
    processes: int  # most processes seen at once


def median_of(samples: list[Sample]) -> float:
    return statistics.median(s.wall for s in samples)


def median_cpu(samples: list[Sample]) -> float:
    return statistics.median(s.cpu for s in samples)


# Linux folds the pre-exec memory of a process into its ru_maxrss: a child forked (or vforked,
# as posix_spawn and subprocess do) straight from this process would report this process's own
# peak. So a small launcher forks and execs the command and reports the child's usage from wait4.
_LAUNCHER = """
import os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(report, "w") as out:
    out.write(f"{wall} {usage.ru_utime + usage.ru_stime} {usage.ru_maxrss} "
              f"{os.waitstatus_to_exitcode(status)}")
"""


SAMPLE_INTERVAL = 0.1  # seconds between samples of a child's process tree


def _descendants(pid: int) -> list[int]:
    """Every process below pid (Linux /proc/PID/task/TID/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                kids = Path(f"/proc/{current}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for kid in map(int, kids):
                found.append(kid)
                todo.append(kid)
    return found


def _tree_memory(pid: int) -> tuple[int, int, int]:
    """Summed RSS and PSS (bytes) and the number of processes below pid, right now."""
    rss = pss = count = 0
    for kid in _descendants(pid):
        try:
            text = Path(f"/proc/{kid}/smaps_rollup").read_text()
        except OSError:
            continue
        count += 1
        for line in text.splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1]) * 1024
            elif line.startswith("Pss:"):
                pss += int(line.split()[1]) * 1024
    return rss, pss, count


def child(argv: list[str], stderr_path: Path | None = None,
          sample: bool = True, stdout_path: Path | None = None) -> tuple[Sample, int]:
    """Run argv with stdout to /dev/null (or a file) in a fresh child: its wall and CPU, its
    largest process's peak RSS, and (with `sample`) the peak of its process tree every 100 ms."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    out = str(stdout_path) if stdout_path is not None else os.devnull
    actions: list[tuple[Any, ...]] = [(os.POSIX_SPAWN_OPEN, 1, out, flags, 0o600)]
    if stderr_path is not None:
        actions.append((os.POSIX_SPAWN_OPEN, 2, str(stderr_path), flags, 0o600))
    # The measured package first on the path (the working tree or a --snapshot export).
    path = os.pathsep.join(filter(None, [str(SOURCE.path), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, NO_PROGRESS="1", NO_COLOR="1", PYTHONPATH=path)
    with tempfile.NamedTemporaryFile(prefix="wcfevents-bench-", suffix=".usage") as handle:
        launcher = [sys.executable, "-S", "-c", _LAUNCHER, handle.name, *argv]
        pid = os.posix_spawn(sys.executable, launcher, env, file_actions=actions)
        tree_rss = tree_pss = processes = 0
        while True:
            done, status, _ = os.wait4(pid, 0 if not sample else os.WNOHANG)
            if done:
                break
            rss, pss, count = _tree_memory(pid)  # the launcher itself is not counted
            tree_rss, tree_pss = max(tree_rss, rss), max(tree_pss, pss)
            processes = max(processes, count)
            time.sleep(SAMPLE_INTERVAL)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"launcher failed for {argv}")
        wall, cpu, maxrss, code = Path(handle.name).read_text().split()
    result = Sample(float(wall), float(cpu), int(maxrss) * 1024, tree_rss or None,
                    tree_pss or None, processes or None)
    return result, int(code)


def in_process(func: Callable[[], int]) -> tuple[Sample, int]:
    """Time a function in this process (CPU counts every thread of the process)."""
    cpu0, started = time.process_time(), time.perf_counter()
    count = func()
    return Sample(time.perf_counter() - started, time.process_time() - cpu0), count


def wcfevents_command() -> list[str]:
    """The installed `wcfevents` script next to this interpreter, else `python -m wcfevents`."""
    script = Path(sys.executable).parent / "wcfevents"
    return [str(script)] if script.exists() else [sys.executable, "-m", "wcfevents"]


@dataclass
class DecodeRuns:
    """Repeated `wcfevents decode` children: samples and the record accounting they printed."""

    samples: list[Sample]
    read: int
    matched: int
    codes: list[int]


def decode_runs(path: Path, extra: list[str], repeats: int, scratch: Path,
                command: str = "decode") -> DecodeRuns:
    """`wcfevents decode PATH --format json [extra] --stats > /dev/null`, `repeats` times
    (`command` "summary": its JSON's record accounting; "activities": none, -1)."""
    stats = ["--stats"] if command == "decode" else []
    argv = [*wcfevents_command(), command, str(path), "--format", "json", *extra, *stats]
    samples, codes, read, matched = [], [], -1, -1
    err = scratch / "decode.stderr"
    out = scratch / "summary.json" if command == "summary" else None
    for _ in range(repeats):
        sample, code = child(argv, err, stdout_path=out)
        samples.append(sample)
        codes.append(code)
        found = _STATS_LINE.search(err.read_text(errors="replace"))
        if found:
            read, matched = int(found.group(1)), int(found.group(2))
        elif out is not None:
            try:
                records = json.loads(out.read_text())["records"]
                read, matched = int(records["read"]), int(records["matched"])
            except (OSError, ValueError, KeyError, TypeError):
                pass
    return DecodeRuns(samples, read, matched, codes)


def repeat(func: Callable[[], int], repeats: int) -> tuple[list[Sample], int]:
    samples, count = [], 0
    for _ in range(repeats):
        sample, count = in_process(func)
        samples.append(sample)
    return samples, count


def codes_note(codes: list[int]) -> str:
    bad = [c for c in codes if c != 0]
    return f"exit codes {codes}" if bad else ""

