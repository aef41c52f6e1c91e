"""The terminal table's speed against JSON Lines, on a pseudo-terminal as a person sees it.

    python benchmarks/bench_table.py [--quick]

`decode big.evtx --format table` and `--format json` run under `script -qc` (a real pty, 120
columns) in the same run; the figure is the table's speed as a share of JSON's (target ≥ 0.5).
The trace is generated with tools/make_large_trace.py under the temporary directory (200,000
records; 20,000 in quick mode) and reused when present.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = 120


def trace(records: int) -> Path:
    """The generated trace, made once per size."""
    path = Path(tempfile.gettempdir()) / "wcfevents-bench" / f"table-{records}.evtx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        subprocess.run([sys.executable, str(ROOT / "tools" / "make_large_trace.py"),
                        "--count", str(records), "--out", str(partial)],
                       check=True, capture_output=True)
        partial.rename(path)
    return path


def on_terminal(fmt: str, path: Path) -> float:
    """Seconds for `decode PATH --format FMT` writing to a pty of COLUMNS columns."""
    command = (f"stty cols {COLUMNS} rows 50; {shlex.quote(sys.executable)} -m wcfevents "
               f"decode {shlex.quote(str(path))} --format {fmt}")
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env["NO_PROGRESS"] = "1"
    started = time.perf_counter()
    subprocess.run(["script", "-qc", command, "/dev/null"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, cwd=ROOT, env=env,
                   check=True)
    return time.perf_counter() - started


def measure(quick: bool) -> list[dict[str, Any]]:
    if shutil.which("script") is None:
        return [{"name": "table vs json on a terminal", "value": None,
                 "note": "skipped: no `script` command (util-linux) to give a pty"}]
    records = 20_000 if quick else 200_000
    path = trace(records)
    repeats = 1 if quick else 2
    json_s = min(on_terminal("json", path) for _ in range(repeats))
    table_s = min(on_terminal("table", path) for _ in range(repeats))
    note = f"{records:,} records, pty of {COLUMNS} columns (script -qc), best of {repeats}"
    return [
        {"name": "decode --format json on a terminal", "value": round(records / json_s),
         "unit": "records/s", "note": note},
        {"name": "decode --format table on a terminal", "value": round(records / table_s),
         "unit": "records/s", "note": note},
        {"name": "table speed / json speed", "ratio": round(json_s / table_s, 3),
         "note": "target ≥ 0.5"},
    ]


if __name__ == "__main__":
    for row in measure("--quick" in sys.argv[1:]):
        print(row)
