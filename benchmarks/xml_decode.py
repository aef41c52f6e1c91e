"""(e)–(f) XML exports (tracerpt flavour): the bare lxml iterparse, and `decode` to JSON Lines
at the default worker count and with `--jobs 1`; the ~1 GiB file at the default count."""

from __future__ import annotations

from pathlib import Path

from measure import Measurement, codes_note, decode_runs, repeat
from results import Results
from settings import EVENT_TAG


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


def measure(results: Results, path: Path, tag: str, reps: int, scratch: Path) -> Measurement:
    """Rows e, f, f1; returns (e) for the ratios of other modules."""
    samples, count = repeat(lambda: bare_lxml(path), reps)
    e = results.add(Measurement("e", "bare lxml iterparse + clear", path.name, count, samples))
    runs = decode_runs(path, [], reps, scratch)
    f = results.add(Measurement("f", "wcfevents decode --format json", path.name, runs.read,
                                runs.samples, note=codes_note(runs.codes)))
    runs = decode_runs(path, ["--jobs", "1"], reps, scratch)
    f1 = results.add(Measurement("f1", "wcfevents decode --format json --jobs 1", path.name,
                                 runs.read, runs.samples, note=codes_note(runs.codes)))
    results.ratio("f/e", tag, f, e)
    results.ratio("f1/e", tag, f1, e)
    scope = "" if e.records >= 1_000_000 else " (target is for 1M records)"
    results.memory_of(f, scope)
    results.memory_of(f1, scope)
    return e


def measure_large(results: Results, path: Path, reps: int, scratch: Path) -> None:
    """The ~1 GiB tracerpt file: decode at the default worker count."""
    size = path.stat().st_size
    runs = decode_runs(path, [], reps, scratch)
    note = "; ".join(filter(None, [f"{size / 1e9:.2f} GB", codes_note(runs.codes)]))
    g = results.add(Measurement("f", "wcfevents decode --format json", path.name, runs.read,
                                runs.samples, note=note))
    if g.memory is not None:
        results.rss.append((f"f {path.name} ({size / 1e9:.2f} GB)", g.memory))
