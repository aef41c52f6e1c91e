"""(g)–(i) `summary` and `activities` over the same inputs, against the bare iterations (a) and
(e) measured in the same run."""

from __future__ import annotations

from pathlib import Path

from measure import Measurement, codes_note, decode_runs
from results import Results


def measure(results: Results, path: Path, floor: Measurement, tag: str, reps: int,
            scratch: Path, suffix: str) -> None:
    """`summary` (g) and `activities` (i) of one input; `suffix` names the ratio (a or e)."""
    runs = decode_runs(path, [], reps, scratch, command="summary")
    records = runs.read if runs.read >= 0 else floor.records
    g = results.add(Measurement("g", "wcfevents summary --format json", path.name, records,
                                runs.samples, note=codes_note(runs.codes)))
    runs = decode_runs(path, [], reps, scratch, command="activities")
    i = results.add(Measurement("i", "wcfevents activities --format json", path.name,
                                floor.records, runs.samples, note=codes_note(runs.codes)))
    results.ratio(f"g/{suffix}", tag, g, floor)
    results.ratio(f"i/{suffix}", tag, i, floor)
    scope = "" if floor.records >= 1_000_000 else " (target is for 1M records)"
    results.memory_of(g, scope)
