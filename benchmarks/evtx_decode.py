"""(a)–(d) .evtx: the bare Rust parser, `decode` to JSON Lines (all records, then a selective
`--id`), at the default worker count and with `--jobs 1`, and python-evtx for scale."""

from __future__ import annotations

from pathlib import Path

from measure import Measurement, codes_note, decode_runs, repeat
from results import Results
from settings import PYEVTX_RECORDS, SELECTIVE_ID


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


def measure(results: Results, path: Path, tag: str, reps: int, scratch: Path,
            pyevtx: Measurement | None) -> tuple[Measurement, Measurement]:
    """Rows a, b, b1, c (and d once); returns (a, d) for the ratios of other modules."""
    samples, count = repeat(lambda: bare_evtx(path), reps)
    a = results.add(Measurement("a", "bare evtx records_json()", path.name, count, samples))

    runs = decode_runs(path, [], reps, scratch)
    b = results.add(Measurement("b", "wcfevents decode --format json", path.name, runs.read,
                                runs.samples, note=codes_note(runs.codes)))
    runs = decode_runs(path, ["--jobs", "1"], reps, scratch)
    b1 = results.add(Measurement("b1", "wcfevents decode --format json --jobs 1", path.name,
                                 runs.read, runs.samples, note=codes_note(runs.codes)))

    runs = decode_runs(path, ["--id", SELECTIVE_ID], reps, scratch)
    c = results.add(Measurement("c", f"wcfevents decode --id {SELECTIVE_ID} --format json",
                                path.name, runs.read, runs.samples, note=codes_note(runs.codes)))
    results.selectivity.append((path.name, runs.matched, runs.read))
    share = runs.matched / max(runs.read, 1)
    print(f"      --id {SELECTIVE_ID} matched {runs.matched:,} of {runs.read:,} records "
          f"({share:.3%})", flush=True)

    if pyevtx is None:
        samples, count = repeat(lambda: python_evtx(path), reps)
        pyevtx = results.add(Measurement("d", f"python-evtx records()+xml(), first {count:,}",
                                         path.name, count, samples))
    print(f"      python-evtx extrapolated to {a.records:,} records: "
          f"{a.records / pyevtx.rate / 60:,.1f} min", flush=True)

    for name, measured, base in (("b/a", b, a), ("b1/a", b1, a), ("c/a", c, a),
                                 ("b/d", b, pyevtx)):
        results.ratio(name, tag, measured, base)
    scope = "" if a.records >= 1_000_000 else " (target is for 1M records)"
    results.memory_of(b, scope)
    results.memory_of(b1, scope)
    return a, pyevtx
