"""The standalone `bench_<topic>.py` modules: each has `measure(quick: bool) -> list[dict]`
(rows of name, value, unit or ratio, note). Every module present is run, in a child process of
its own (so one module's memory or crash does not touch the other figures), and its rows go into
the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from settings import BENCH_DIR, SOURCE

_RUNNER = """
import json, sys
module = __import__(sys.argv[1])
rows = module.measure(sys.argv[2] == "quick")
print("\\n@@rows@@" + json.dumps([dict(row) for row in rows], default=str))
"""
ROW_KEYS = ("name", "value", "unit", "ratio", "note")


def discover(directory: Path = BENCH_DIR) -> list[str]:
    """Module names of the bench_*.py files in `directory`, sorted."""
    return sorted(p.stem for p in directory.glob("bench_*.py") if p.stem.isidentifier())


def run_module(name: str, quick: bool, directory: Path = BENCH_DIR,
               timeout: float | None = None) -> list[dict[str, Any]]:
    """The rows of one module; a module that fails gives one row that says how."""
    path = os.pathsep.join(filter(None, [str(directory), str(SOURCE.path),
                                         os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, PYTHONPATH=path, NO_PROGRESS="1", NO_COLOR="1")
    argv = [sys.executable, "-c", _RUNNER, name, "quick" if quick else "full"]
    try:
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout,
                              cwd=str(SOURCE.path))
    except subprocess.TimeoutExpired:
        return [{"name": name, "value": None, "note": f"did not finish in {timeout:.0f} s"}]
    marker = done.stdout.rfind("@@rows@@")
    if done.returncode != 0 or marker < 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [{"name": name, "value": None, "note": f"failed: {last[:200]}"}]
    try:
        rows = json.loads(done.stdout[marker + len("@@rows@@"):])
    except ValueError as exc:
        return [{"name": name, "value": None, "note": f"unreadable rows: {exc}"}]
    return [row for row in rows if isinstance(row, dict)]


def cells(row: dict[str, Any]) -> list[str]:
    """A row as report cells: name, value, unit (or "ratio"), note."""
    value = row.get("value", row.get("ratio"))
    if isinstance(value, float):
        text = f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    else:
        text = "" if value is None else str(value)
    unit = row.get("unit") or ("ratio" if "ratio" in row else "")
    return [str(row.get("name", "")), text, str(unit), str(row.get("note", "") or "")]
