"""Throughput, memory and start-up benchmarks for wcfevents; writes docs/performance.md.

    .venv/bin/python benchmarks/run.py --quick     # 100k records, 3 repeats (< 3 min)
    .venv/bin/python benchmarks/run.py             # 100k and 1M records, plus a ~1 GB XML file

Every figure printed or written is measured in the run that prints it. Inputs are generated with
the project's own generators into --data-dir (outside the repository) and reused when present.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import cProfile
import datetime as dt
import hashlib
import importlib.metadata
import io
import json
import multiprocessing
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT  # the package source measured: the working tree, or a --snapshot export
DOC = ROOT / "docs" / "performance.md"
DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "wcfevents-bench"
EVENT_TAG = "{http://schemas.microsoft.com/win/2004/08/events/event}Event"
SELECTIVE_ID = "4031"
PYEVTX_RECORDS = 2_000
LOOKUP_RUNS = 15
XML_GB_BYTES = 1 << 30
PROFILE_TOP = 15
PACKAGES = ("wcfevents", "evtx", "python-evtx", "lxml", "orjson", "click", "rich")
_STATS_LINE = re.compile(r"(\d+) records read, (\d+) matched")

TARGETS = {  # name: (comparison, value, unit)
    "b/a": (">=", 0.5, ""),
    "c/a": (">=", 0.8, ""),
    "b/d": (">=", 1000.0, ""),
    "f/e": (">=", 0.5, ""),
    "rss": ("<=", 150.0, "MB"),
    "lookup": ("<=", 120.0, "ms"),
}


# -- measurements -------------------------------------------------------------------------------


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
          sample: bool = True) -> tuple[Sample, int]:
    """Run argv with stdout to /dev/null in a fresh child: its wall and CPU, its largest
    process's peak RSS, and (with `sample`) the peak of its process tree every 100 ms."""
    actions: list[tuple[Any, ...]] = [(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)]
    if stderr_path is not None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        actions.append((os.POSIX_SPAWN_OPEN, 2, str(stderr_path), flags, 0o600))
    env = dict(os.environ, NO_PROGRESS="1", NO_COLOR="1")
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


def bare_evtx(path: Path) -> int:
    """(a) the floor: iterate the Rust parser's JSON records, doing nothing with them."""
    import evtx

    count = 0
    for _ in evtx.PyEvtxParser(str(path)).records_json():
        count += 1
    return count


def python_evtx(path: Path, limit: int = PYEVTX_RECORDS) -> int:
    """(d) python-evtx: render the first `limit` records as XML."""
    import Evtx.Evtx

    count = 0
    with Evtx.Evtx.Evtx(str(path)) as log:
        for record in log.records():
            record.xml()
            count += 1
            if count >= limit:
                break
    return count


def bare_lxml(path: Path) -> int:
    """(e) the XML floor: iterparse each <Event> and clear it, nothing else."""
    from lxml import etree

    count = 0
    for _, elem in etree.iterparse(str(path), events=("end",), tag=EVENT_TAG, huge_tree=True):
        count += 1
        elem.clear(keep_tail=True)
        parent = elem.getparent()
        while elem.getprevious() is not None:
            del parent[0]
    return count


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


def decode_runs(path: Path, extra: list[str], repeats: int, scratch: Path) -> DecodeRuns:
    """`wcfevents decode PATH --format json [extra] --stats > /dev/null`, `repeats` times."""
    argv = [*wcfevents_command(), "decode", str(path), "--format", "json", *extra, "--stats"]
    samples, codes, read, matched = [], [], -1, -1
    err = scratch / "decode.stderr"
    for _ in range(repeats):
        sample, code = child(argv, err)
        samples.append(sample)
        codes.append(code)
        found = _STATS_LINE.search(err.read_text(errors="replace"))
        if found:
            read, matched = int(found.group(1)), int(found.group(2))
    return DecodeRuns(samples, read, matched, codes)


def repeat(func: Callable[[], int], repeats: int) -> tuple[list[Sample], int]:
    samples, count = [], 0
    for _ in range(repeats):
        sample, count = in_process(func)
        samples.append(sample)
    return samples, count


# -- inputs -------------------------------------------------------------------------------------


GENERATOR_FILES = (
    "wcfevents/testing", "tools/make_large_trace.py", "wcfevents/catalog/events.json",
)


def fingerprint(paths: Iterable[str], source: Path) -> str:
    """A short hash of the .py/.json files under `paths` (relative to the source tree)."""
    digest = hashlib.sha256()
    for top in paths:
        base = source / top
        for path in sorted([base] if base.is_file() else base.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".json"):
                digest.update(str(path.relative_to(source)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _atomic(path: Path, write: Callable[[Path], None], source: Path) -> None:
    """Write to a temporary name and rename, so an interrupted run leaves no half file; a
    sidecar records when and by which generator source the file was made."""
    partial = path.with_name(path.name + ".partial")
    generator = fingerprint(GENERATOR_FILES, source)
    write(partial)
    partial.replace(path)
    meta = {"generator": generator, "date": dt.datetime.now(dt.timezone.utc).isoformat()}
    _meta_path(path).write_text(json.dumps(meta))


def provenance(path: Path, current: str) -> str:
    """When an input was generated, and whether by the generator source now in the tree."""
    try:
        meta = json.loads(_meta_path(path).read_text())
    except (OSError, ValueError):
        return f"{path.name}: origin unknown (no sidecar); delete it to regenerate"
    when = str(meta.get("date", "?"))[:16].replace("T", " ")
    if meta.get("generator") == current:
        return f"{path.name}: generated {when} UTC by the current generator source"
    return (f"{path.name}: generated {when} UTC by an older generator source "
            f"({meta.get('generator')} != {current}); delete it to regenerate")


def make_evtx(source: Path, path: Path, count: int) -> str:
    """An .evtx of `count` mixed records, by tools/make_large_trace.py of the source tree."""
    def write(out: Path) -> None:
        subprocess.run(
            [sys.executable, str(source / "tools" / "make_large_trace.py"), "--count", str(count),
             "--out", str(out), "--scenario", "mix"],
            check=True, stdout=subprocess.DEVNULL,
        )
    started = time.perf_counter()
    _atomic(path, write, source)
    return f"{path.name}: generated in {time.perf_counter() - started:.1f} s"


def _until_size(events: Iterator[Any], handle: BinaryIO, size: int) -> Iterator[Any]:
    for event in events:
        if handle.tell() >= size:
            return
        yield event


def make_xml(source: Path, path: Path, count: int | None, size: int | None = None) -> str:
    """A tracerpt XML twin: the same mixed events (seed 0) written by testing.xml_writer.

    With `size`, events are written until the file reaches that many bytes.
    """
    from wcfevents.testing.scenarios import generate
    from wcfevents.testing.xml_writer import write_xml

    def write(out: Path) -> None:
        with out.open("wb") as handle:
            events = generate("mix", seed=0, count=count if count is not None else 10**9)
            if size is not None:
                events = _until_size(events, handle, size)
            write_xml(events, handle, "tracerpt")

    started = time.perf_counter()
    _atomic(path, write, source)
    return f"{path.name}: generated in {time.perf_counter() - started:.1f} s"


@dataclass
class Inputs:
    evtx: dict[int, Path]
    xml: dict[int, Path]
    xml_gb: Path | None
    generated: list[str]
    provenance: list[str]


def prepare_inputs(data_dir: Path, sizes: list[int], xml_gb: bool, source: Path) -> Inputs:
    """Generate the missing inputs (two at a time on two cores); reuse what exists."""
    data_dir.mkdir(parents=True, exist_ok=True)
    evtx_paths = {n: data_dir / f"mix-{n}.evtx" for n in sizes}
    xml_paths = {n: data_dir / f"mix-{n}-tracerpt.xml" for n in sizes}
    gb_path = data_dir / "mix-1gib-tracerpt.xml" if xml_gb else None
    # (rough cost: XML writes about four times slower than .evtx, 1 GiB is ~730k events)
    jobs: list[tuple[float, Callable[..., str], tuple[Any, ...]]] = []
    for n in sizes:
        if not xml_paths[n].exists():
            jobs.append((4.0 * n, make_xml, (source, xml_paths[n], n)))
        if not evtx_paths[n].exists():
            jobs.append((1.0 * n, make_evtx, (source, evtx_paths[n], n)))
    if gb_path is not None and not gb_path.exists():
        jobs.append((4.0 * 730_000, make_xml, (source, gb_path, None, XML_GB_BYTES)))
    jobs.sort(key=lambda job: -job[0])  # longest first, so two workers finish together
    generated: list[str] = []
    if jobs:
        print(f"generating {len(jobs)} input(s) in {data_dir} ...", flush=True)
        workers = max(1, min(len(jobs), os.cpu_count() or 1))
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = [pool.submit(func, *args) for _, func, args in jobs]
            for future in concurrent.futures.as_completed(futures):
                generated.append(future.result())
                print(f"  {generated[-1]}", flush=True)
    current = fingerprint(GENERATOR_FILES, source)
    paths = [*evtx_paths.values(), *xml_paths.values(), *([gb_path] if gb_path else [])]
    origins = [provenance(path, current) for path in paths]
    for line in origins:
        if "older generator" in line or "origin unknown" in line:
            print(f"  note: {line}", flush=True)
    return Inputs(evtx_paths, xml_paths, gb_path, generated, origins)


# -- machine ------------------------------------------------------------------------------------


def _proc_field(path: str, name: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine(snapshot: str | None) -> dict[str, str]:
    """Cores, memory, CPU model, Python, package versions, repository state, date."""
    info = {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": f"{os.cpu_count()} logical ({len(os.sched_getaffinity(0))} usable)",
        "os": f"{platform.system()} {platform.release()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
    }
    mem = _proc_field("/proc/meminfo", "MemTotal")
    if mem:
        info["memory"] = f"{int(mem.split()[0]) / 1024**2:.1f} GiB"
    for name in PACKAGES:
        try:
            info[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            info[name] = "not installed"
    git = ["git", "-C", str(ROOT)]
    if snapshot is not None:
        info["commit"] = f"{snapshot} (committed source, exported with git archive)"
        return info
    try:
        head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run([*git, "status", "--porcelain", "--", "wcfevents"],
                               capture_output=True, text=True, check=True).stdout.strip()
        info["commit"] = head + (" (package files modified in the working tree)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        info["commit"] = "unknown"
    return info


def code_state(source: Path) -> str:
    """A fingerprint of the package source now (catches edits made during the run)."""
    return fingerprint(["wcfevents"], source)


def export_snapshot(rev: str) -> tuple[Path, str]:
    """`wcfevents/` and `tools/` as committed at `rev`, in a temporary directory."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev],
                            capture_output=True, text=True, check=True).stdout.strip()
    target = Path(tempfile.mkdtemp(prefix="wcfevents-snapshot-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit,
                              "wcfevents", "tools"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target, commit


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


# -- profile ------------------------------------------------------------------------------------


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
            filename = str(Path(filename).resolve().relative_to(SOURCE))
        except ValueError:
            filename = Path(filename).name
    return f"{filename}:{line}({func})"


def profile_decode(path: Path) -> Profile:
    """cProfile of pipeline.read + JSON Lines output to /dev/null; top functions by tottime."""
    from wcfevents.output import jsonl
    from wcfevents.pipeline import read

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


# -- the run ------------------------------------------------------------------------------------


@dataclass
class Results:
    mode: str
    machine: dict[str, str]
    measurements: list[Measurement] = field(default_factory=list)
    ratios: list[tuple[str, str, float]] = field(default_factory=list)  # target, size, value
    rss: list[tuple[str, Memory]] = field(default_factory=list)  # label, peak memory
    lookup: tuple[list[Sample], list[Sample]] | None = None
    profiles: list[Profile] = field(default_factory=list)
    selectivity: list[tuple[str, int, int]] = field(default_factory=list)
    generated: list[str] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)
    load_start: str = ""
    code_start: str = ""
    code_end: str = ""
    load_end: str = ""
    elapsed: float = 0.0
    command: str = ""


def _size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"


def run(args: argparse.Namespace, scratch: Path) -> Results:
    """Every measurement, in order; `scratch` holds the children's stderr."""
    started = time.perf_counter()
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    repeats = args.repeats or (3 if args.quick else 5)
    large_repeats = args.large_repeats or min(repeats, 3)
    xml_gb = (not args.quick) if args.xml_gb is None else args.xml_gb
    results = Results("quick" if args.quick else "full", machine(args.snapshot_commit),
                      load_start=load(), code_start=code_state(SOURCE))
    results.command = " ".join(["benchmarks/run.py", *sys.argv[1:]])
    inputs = prepare_inputs(args.data_dir, sizes, xml_gb, SOURCE)
    results.generated = inputs.generated
    results.provenance = inputs.provenance
    add = results.measurements.append

    def say(m: Measurement) -> None:
        memory = m.memory
        rss = f", peak RSS {memory.peak / 1e6:.0f} MB" if memory else ""
        if memory and memory.processes > 1:
            rss += f" over {memory.processes} processes"
        print(f"  ({m.key}) {m.label} [{m.input}]: {m.wall:.2f} s median of "
              f"{len(m.samples)}, {m.rate:,.0f} records/s{rss}", flush=True)

    pyevtx: Measurement | None = None
    for n in sizes:
        reps = repeats if n <= 100_000 else large_repeats
        tag = _size_label(n)
        evtx_path, xml_path = inputs.evtx[n], inputs.xml[n]
        print(f"{tag} records ({reps} runs each), load {load()}", flush=True)

        samples, count = repeat(lambda p=evtx_path: bare_evtx(p), reps)
        a = Measurement("a", "bare evtx records_json()", evtx_path.name, count, samples)
        add(a)
        say(a)

        runs = decode_runs(evtx_path, [], reps, scratch)
        b = Measurement("b", "wcfevents decode --format json", evtx_path.name, runs.read,
                        runs.samples, note=_codes(runs.codes))
        add(b)
        say(b)

        runs = decode_runs(evtx_path, ["--id", SELECTIVE_ID], reps, scratch)
        c = Measurement("c", f"wcfevents decode --id {SELECTIVE_ID} --format json",
                        evtx_path.name, runs.read, runs.samples, note=_codes(runs.codes))
        add(c)
        say(c)
        results.selectivity.append((evtx_path.name, runs.matched, runs.read))
        share = runs.matched / max(runs.read, 1)
        print(f"      --id {SELECTIVE_ID} matched {runs.matched:,} of {runs.read:,} records "
              f"({share:.3%})", flush=True)

        if pyevtx is None:
            samples, count = repeat(lambda p=evtx_path: python_evtx(p), reps)
            pyevtx = Measurement("d", f"python-evtx records()+xml(), first {count:,}",
                                 evtx_path.name, count, samples)
            add(pyevtx)
            say(pyevtx)
        d = pyevtx
        print(f"      python-evtx extrapolated to {n:,} records: {n / d.rate / 60:,.1f} min",
              flush=True)

        samples, count = repeat(lambda p=xml_path: bare_lxml(p), reps)
        e = Measurement("e", "bare lxml iterparse + clear", xml_path.name, count, samples)
        add(e)
        say(e)

        runs = decode_runs(xml_path, [], reps, scratch)
        f = Measurement("f", "wcfevents decode --format json", xml_path.name, runs.read,
                        runs.samples, note=_codes(runs.codes))
        add(f)
        say(f)

        results.ratios += [
            ("b/a", tag, b.rate / a.rate),
            ("c/a", tag, c.rate / a.rate),
            ("b/d", tag, b.rate / d.rate),
            ("f/e", tag, f.rate / e.rate),
        ]
        scope = "" if n >= 1_000_000 else " (target is for 1M records)"
        for m in (b, f):
            if m.memory is not None:
                results.rss.append((f"{m.key} {m.input}{scope}", m.memory))

    if inputs.xml_gb is not None:
        size = inputs.xml_gb.stat().st_size
        print(f"~1 GB XML ({size / 1e9:.2f} GB, {large_repeats} runs), load {load()}",
              flush=True)
        runs = decode_runs(inputs.xml_gb, [], large_repeats, scratch)
        note = "; ".join(filter(None, [f"{size / 1e9:.2f} GB", _codes(runs.codes)]))
        g = Measurement("f", "wcfevents decode --format json", inputs.xml_gb.name, runs.read,
                        runs.samples, note=note)
        add(g)
        say(g)
        if g.memory is not None:
            results.rss.append((f"f {inputs.xml_gb.name} ({size / 1e9:.2f} GB)", g.memory))

    print(f"lookup ({LOOKUP_RUNS} runs each, interleaved), load {load()}", flush=True)
    results.lookup = lookup_runs()
    lookup, python = results.lookup
    print(f"  (h) wcfevents lookup {SELECTIVE_ID} --format json: "
          f"{median_of(lookup) * 1000:.0f} ms median (CPU {median_cpu(lookup) * 1000:.0f} ms); "
          f"python -c pass: {median_of(python) * 1000:.0f} ms "
          f"(CPU {median_cpu(python) * 1000:.0f} ms)", flush=True)

    print(f"profiles (cProfile, {_size_label(sizes[0])} records), load {load()}", flush=True)
    for path in (inputs.evtx[sizes[0]], inputs.xml[sizes[0]]):
        prof = profile_decode(path)
        results.profiles.append(prof)
        print(f"  {path.name}: {prof.total:.1f} s under the profiler; top: "
              f"{prof.rows[0].function} {prof.rows[0].share:.0%}", flush=True)
    results.load_end = load()
    results.code_end = code_state(SOURCE)
    if results.code_end != results.code_start:
        print("warning: the package source changed during the run; figures mix versions",
              flush=True)
    results.elapsed = time.perf_counter() - started
    return results


def _codes(codes: list[int]) -> str:
    bad = [c for c in codes if c != 0]
    return f"exit codes {codes}" if bad else ""


def lookup_runs() -> tuple[list[Sample], list[Sample]]:
    """(h) `wcfevents lookup 4031 --format json` and `python -c pass`, interleaved."""
    lookup_argv = [*wcfevents_command(), "lookup", SELECTIVE_ID, "--format", "json"]
    python_argv = [sys.executable, "-c", "pass"]
    child(lookup_argv, sample=False)  # warm the .pyc and page caches; not counted
    child(python_argv, sample=False)
    lookup, python = [], []
    for _ in range(LOOKUP_RUNS):
        lookup.append(child(lookup_argv, sample=False)[0])
        python.append(child(python_argv, sample=False)[0])
    return lookup, python


# -- reporting ----------------------------------------------------------------------------------


def verdict(name: str, value: float) -> str:
    """'met' or how far short, in the target's terms."""
    op, target, unit = TARGETS[name]
    if (value >= target) if op == ">=" else (value <= target):
        return "met"
    if op == ">=":
        return f"short: {target / value:.1f}x too slow" if value > 0 else "short"
    return f"short: {value - target:.0f} {unit} over"


def _target_text(name: str) -> str:
    op, target, unit = TARGETS[name]
    sign = "≥" if op == ">=" else "≤"
    return f"{sign} {target:g}{(' ' + unit) if unit else ''}"


def table_rows(results: Results) -> list[list[str]]:
    rows = []
    for m in results.measurements:
        memory = m.memory
        rss = f"{memory.peak / 1e6:.0f}" if memory else ""
        procs = str(memory.processes) if memory else ""
        rows.append([m.key, m.label, m.input, f"{m.records:,}", f"{m.wall:.2f}",
                     f"{m.cpu:.2f}", f"{m.rate:,.0f}", rss, procs, m.note])
    return rows


def target_rows(results: Results) -> list[list[str]]:
    rows = [[name, size, f"{value:,.2f}", _target_text(name), verdict(name, value)]
            for name, size, value in results.ratios]
    for label, memory in results.rss:
        detail = f"{memory.peak / 1e6:.0f} MB"
        if memory.processes > 1:
            pss = f"PSS {memory.pss / 1e6:.0f} MB, " if memory.pss else ""
            detail += (f" ({memory.processes} processes: {pss}largest "
                       f"{memory.largest / 1e6:.0f} MB)")
        rows.append(["peak RSS", label, detail, _target_text("rss"),
                     verdict("rss", memory.peak / 1e6)])
    if results.lookup:
        ms = median_of(results.lookup[0]) * 1000
        rows.append(["lookup", f"lookup {SELECTIVE_ID}", f"{ms:.0f} ms", _target_text("lookup"),
                     verdict("lookup", ms)])
    return rows


def render(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
                  for row in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in out)


MEASURE_HEADERS = ["", "measurement", "input", "records", "wall s", "CPU s", "records/s",
                   "peak RSS MB", "procs", "note"]
TARGET_HEADERS = ["target", "input", "measured", "target", "verdict"]


def print_results(results: Results) -> None:
    print()
    print(render(MEASURE_HEADERS, table_rows(results), markdown=False))
    print()
    print(render(TARGET_HEADERS, target_rows(results), markdown=False))
    print(f"\nload average at start {results.load_start}, at end {results.load_end}; "
          f"whole run {results.elapsed / 60:.1f} min")


def profile_section(prof: Profile, reference: Measurement | None) -> str:
    per_record = prof.total / max(prof.records, 1) * 1e6
    lines = [f"### {prof.input} ({prof.records:,} records)", ""]
    text = (f"{prof.total:.1f} s under cProfile, {per_record:.1f} µs per record")
    if reference is not None:
        text += (f" (unprofiled, as a child process: "
                 f"{reference.wall / max(reference.records, 1) * 1e6:.1f} µs per record)")
    lines += [text + ".", ""]
    rows = [[r.function, f"{r.calls:,}", f"{r.tottime:.2f}", f"{r.per_record_us:.2f}",
             f"{r.share:.1%}", f"{r.cumtime:.2f}"] for r in prof.rows]
    headers = ["function", "calls", "tottime s", "µs/record (own)", "share", "cumtime s"]
    lines.append(render(headers, rows, True))
    return "\n".join(lines)


def write_doc(results: Results, path: Path) -> None:
    """docs/performance.md from this run's figures only."""
    info = results.machine
    machine_rows = [[k, v] for k, v in info.items() if k not in PACKAGES]
    version_rows = [[k, info[k]] for k in PACKAGES]
    references = {m.input: m for m in results.measurements if m.key in ("b", "f")}
    changed = results.code_start != results.code_end
    selectivity = "; ".join(
        f"{name}: {matched:,} of {read:,} records ({matched / max(read, 1):.3%})"
        for name, matched, read in results.selectivity
    )
    parts = [
        "# Performance",
        "",
        f"Generated by `{results.command}` ({results.mode} run) on {info['date']}; every figure "
        "below was measured in that run. Do not edit by hand: rerun the script.",
        "",
        *(["**Warning:** the package source changed while this run was measuring (other "
           "work landed), so the figures below mix code versions; rerun for clean figures.",
           ""] if changed else []),
        "## Targets",
        "",
        "Ratios are records/s of the first over records/s of the second (b/a = decode throughput "
        "over the bare parser's).",
        "",
        render(TARGET_HEADERS, target_rows(results), True),
        "",
        "## Figures",
        "",
        "Wall and CPU seconds are medians of the runs; CPU is user + system of the child and "
        "the processes it waited for (subprocess rows) or of this process (in-process rows). "
        "Each subprocess run is forked and reaped (`wait4`) by a small launcher, so the "
        "benchmark's own memory is not counted in it. Peak RSS is the largest over the runs of "
        "the RSS summed over the run's process tree (sampled every "
        f"{SAMPLE_INTERVAL * 1000:.0f} ms from /proc), or of the largest single process's "
        "`ru_maxrss` if that is larger; procs is the most processes seen at once. Summed RSS "
        "counts pages shared between processes once per process, so for several processes "
        "it overstates; the targets table also gives the summed PSS.",
        "",
        render(MEASURE_HEADERS, table_rows(results), True),
        "",
        f"Selectivity of `--id {SELECTIVE_ID}`: {selectivity or 'not measured'}.",
        "",
    ]
    if results.lookup:
        lookup, python = results.lookup
        low, high = (min(s.wall for s in lookup) * 1000, max(s.wall for s in lookup) * 1000)
        parts += [
            f"Start-up: `wcfevents lookup {SELECTIVE_ID} --format json` "
            f"{median_of(lookup) * 1000:.0f} ms median (min {low:.0f}, max {high:.0f}; CPU "
            f"{median_cpu(lookup) * 1000:.0f} ms) against `python -c pass` "
            f"{median_of(python) * 1000:.0f} ms median (CPU {median_cpu(python) * 1000:.0f} "
            f"ms), {LOOKUP_RUNS} interleaved runs each; the decode rows above include one such "
            "start-up each. The target is on wall time, which other processes inflate; CPU time "
            "much less so.",
            "",
        ]
    parts += ["## Where the time goes", "",
              "cProfile of `wcfevents.pipeline.read` + `output.jsonl.write` to /dev/null, in "
              "process, top functions by own time (tottime). Profiling inflates the cost of "
              "Python calls, so read the shares, not the absolute figures. C code called from a "
              "`for` loop (the Rust parser's iterator, lxml's iterparse) is not a call cProfile "
              "sees: its time is in the tottime of the generator that loops over it.",
              ""]
    for prof in results.profiles:
        parts += [profile_section(prof, references.get(prof.input)), ""]
    parts += [
        "## Machine",
        "",
        render(["", ""], machine_rows, True),
        "",
        f"Load average (1, 5, 15 min) at start {results.load_start}, at end "
        f"{results.load_end}. Other processes were free to run during the benchmark: where "
        "a child's CPU seconds fall well short of its wall seconds, it was probably waiting "
        f"for a core. Whole run: {results.elapsed / 60:.1f} min.",
        "",
        f"Package source fingerprint (sha256 of `wcfevents/**/*.py,json`): "
        f"{results.code_start} at the start, {results.code_end} at the end"
        + (" — **changed during the run**." if changed else " (unchanged)."),
        "",
        render(["package", "version"], version_rows, True),
        "",
        "## Inputs",
        "",
        "- `.evtx`: `tools/make_large_trace.py --count N --scenario mix` (seed 0).",
        "- XML twin: the same `scenarios.generate(\"mix\", seed=0, count=N)` events written by "
        "`wcfevents.testing.xml_writer.write_xml` in the tracerpt flavour, which adds "
        "tracerpt's EventTrace header event (N + 1 events).",
        "- `--xml-gb`: the same stream written until the file reaches 1 GiB.",
        "- (d) renders only the first "
        f"{PYEVTX_RECORDS:,} records of the smallest .evtx; its records/s is extrapolated to "
        "the other sizes (all files share the same first records).",
        "",
    ]
    if results.generated:
        parts += ["Generated in this run: " + "; ".join(results.generated) + ".", ""]
    parts += [*(f"- {line}" for line in results.provenance), ""]
    parts += [
        "## How to run",
        "",
        "```sh",
        ".venv/bin/python benchmarks/run.py --quick      # 100k records, 3 runs each",
        ".venv/bin/python benchmarks/run.py              # 100k + 1M records and a 1 GiB XML",
        ".venv/bin/python benchmarks/run.py --data-dir /big/disk --repeats 7 --no-xml-gb",
        ".venv/bin/python benchmarks/run.py --snapshot HEAD  # the committed code, not edits",
        "```",
        "",
        f"Inputs go to `--data-dir` (default `{DEFAULT_DATA_DIR}`), are generated once and "
        "reused; delete them to regenerate. `--repeats` sets the runs per measurement (default "
        "5, or 3 with `--quick`), `--large-repeats` the runs on 1M records and the 1 GiB XML "
        "(default 3). The script rewrites this file (`--doc` to write elsewhere).",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k records only, 3 runs each")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help=f"where inputs are generated and reused (default {DEFAULT_DATA_DIR})")
    parser.add_argument("--repeats", type=int, help="runs per measurement (5; 3 with --quick)")
    parser.add_argument("--large-repeats", type=int,
                        help="runs per measurement on 1M records and the 1 GiB XML (3)")
    parser.add_argument("--xml-gb", action=argparse.BooleanOptionalAction, default=None,
                        help="decode a ~1 GiB tracerpt file too (default: on, off with --quick)")
    parser.add_argument("--doc", type=Path, default=DOC, help="markdown report to write")
    parser.add_argument("--snapshot", metavar="REV",
                        help="measure wcfevents as committed at REV (e.g. HEAD), not the working "
                             "tree that others may be editing")
    args = parser.parse_args(argv)
    if args.data_dir.resolve().is_relative_to(ROOT):
        parser.error("--data-dir must be outside the repository")
    args.snapshot_commit = None
    if args.snapshot:
        global SOURCE
        SOURCE, args.snapshot_commit = export_snapshot(args.snapshot)
        # First on the path of this process, of every child and of the generator workers.
        sys.path.insert(0, str(SOURCE))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")]))
        import wcfevents

        if not Path(wcfevents.__file__).resolve().is_relative_to(SOURCE.resolve()):
            parser.error(f"could not import the snapshot (got {wcfevents.__file__})")
        print(f"measuring the source committed at {args.snapshot_commit} ({SOURCE})")
    try:
        with tempfile.TemporaryDirectory(prefix="wcfevents-bench-") as scratch:
            results = run(args, Path(scratch))
    finally:
        if args.snapshot_commit is not None:
            shutil.rmtree(SOURCE, ignore_errors=True)
    print_results(results)
    write_doc(results, args.doc)
    print(f"wrote {args.doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
