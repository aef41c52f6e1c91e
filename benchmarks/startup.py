"""(h) Start-up: `wcfevents lookup` against `python -c pass`, interleaved."""

from __future__ import annotations

import sys

from measure import Sample, child, wcfevents_command
from settings import LOOKUP_RUNS, SELECTIVE_ID


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
