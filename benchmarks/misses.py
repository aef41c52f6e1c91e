"""For each ratio target a run misses: how far the design can go on this machine, from the run's
own CPU figures, and what would close the rest."""

from __future__ import annotations

import os

from results import Results
from targets import TARGETS, verdict

# Why each measurement costs what it does per record, and what would close a miss.
WHY = {
    "b": ("the Rust parser prints each record as JSON (all of the floor's cost); Python then "
          "parses that JSON, maps about 25 values to an Event, makes its times exact from the "
          "record's bytes, enriches it from the catalog and writes JSON (the profile below gives "
          "each step's share)",
          "the record mapping and output in native code (a decoder compiled per BinXml "
          "template that writes each output record straight from the substitution values, "
          "without the parser's JSON), or more cores: the parts are independent, so the rate "
          "grows with the cores until the parent's writing is the limit"),
    "c": ("every record is still printed by the Rust parser, walked for the accounting and has "
          "its ID read off its text; only the matches are decoded",
          "the event ID read from the record's substitution values before the parser prints "
          "it (a native template decoder), or more cores"),
    "f": ("lxml builds each <Event> element (the floor's cost) and Python reads about 25 "
          "values out of it, then enriches and writes the record as for .evtx",
          "a mapping in native code (lxml's C API, or an XML reader that yields the values "
          "without element objects), or more cores"),
    "g": ("summary reads every record as decode does (only the payload's enrichment and the "
          "output are skipped), so it costs nearly what decode costs",
          "a reader of the header values alone, in native code, or more cores"),
}


def miss_lines(results: Results) -> list[str]:
    """Markdown lines, one paragraph per missed ratio target (none when all are met)."""
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)
    lines: list[str] = []
    for (name, tag), (measured, base) in results.pairs.items():
        if name not in TARGETS:
            continue
        value = measured.rate / base.rate
        if verdict(name, value) == "met":
            continue
        target = TARGETS[name][1]
        cpu_us = measured.cpu / max(measured.records, 1) * 1e6
        floor_us = base.wall / max(base.records, 1) * 1e6
        ceiling = workers * floor_us / cpu_us
        needed = workers * floor_us / target
        why, close = WHY.get(measured.key[0], ("", ""))
        lines += [
            f"- **{name} at {tag}: {value:.2f} against ≥ {target:g}.** `{measured.label}` spent "
            f"{cpu_us:.1f} µs of CPU a record (all its processes) where the baseline took "
            f"{floor_us:.1f} µs of wall time. Spread perfectly over the {workers} cores here, "
            f"that CPU allows at most {ceiling:.2f}; the target needs {needed:.1f} µs a record "
            f"or less. Why: {why}. What would close it: {close}.",
        ]
    return lines
