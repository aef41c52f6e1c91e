"""The inputs: .evtx files and their XML twins, generated once by the project's own generators
into the data directory (outside the repository) and reused, with a sidecar saying by which
generator source each was made."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from settings import XML_GB_BYTES

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

