"""`report` against `summary` on the same generated trace, in the same run: wall time ratio, the
page's size and how long headless Chromium takes to open it (network blocked).

    python benchmarks/bench_report.py --quick          # 50,000 records (< 60 s)
    python benchmarks/bench_report.py                  # 1,000,000 records
    python benchmarks/bench_report.py --input big.evtx # an existing trace

Inputs are generated with the project's own generator (as tools/make_large_trace.py does) into
a directory outside the repository and reused when present. Targets: report time within 1.5× of
summary, page under 20 MB, opened in a few seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA_DIR = Path(tempfile.gettempdir()) / "wcfevents-bench-report"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def trace(count: int) -> Path:
    """The generated mix of `count` records (made once)."""
    from wcfevents.testing.evtx_writer import write_evtx
    from wcfevents.testing.scenarios import generate

    path = DATA_DIR / f"mix-{count}.evtx"
    if not path.exists():
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        write_evtx(partial, generate("mix", seed=0, count=count))
        partial.replace(path)
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (its worker processes included) of one command (stdout discarded;
    a failure stops the benchmark)."""
    env = dict(os.environ, NO_PROGRESS="1", PYTHONPATH=str(ROOT))
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "wcfevents", *argv], cwd=ROOT, env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    measured = time.perf_counter() - started, _children_cpu() - cpu
    if done.returncode not in (0, 1):
        raise SystemExit(f"wcfevents {' '.join(argv)}: exit {done.returncode}: "
                         f"{done.stderr.decode(errors='replace')[-500:]}")
    return measured


def browser_load(page: Path) -> tuple[float | None, str]:
    """Seconds from navigation until the page's script has drawn everything (None: no browser)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None, "playwright not installed"
    if not Path(chromium).is_file():
        return None, "no chromium"
    requests: list[str] = []
    url = page.resolve().as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1366, "height": 768})

        def route(r: Any) -> None:
            if r.request.url == url:
                r.continue_()
            else:
                requests.append(r.request.url)
                r.abort()

        tab.route("**/*", route)
        started = time.perf_counter()
        tab.goto(url, timeout=120_000)
        tab.wait_for_selector("body[data-ready=true]", timeout=120_000)
        elapsed = time.perf_counter() - started
        browser.close()
    return elapsed, f"{len(requests)} network requests"


def measure(quick: bool, source: Path | None = None, repeats: int | None = None) -> list[dict]:
    count = 50_000 if quick else 1_000_000
    path = source or trace(count)
    repeats = repeats or 2
    out = DATA_DIR / "bench-report.html"
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    runs: dict[str, list[tuple[float, float]]] = {"summary": [], "report": [], "report -j1": []}
    for _ in range(repeats):  # interleaved, so that load from elsewhere hits all alike
        runs["summary"].append(timed(["summary", str(path), "--format", "json"]))
        runs["report"].append(timed(["report", str(path), "-o", str(out)]))
        runs["report -j1"].append(timed(["report", str(path), "-o", str(out), "--jobs", "1"]))
    wall = {name: statistics.median(w for w, _ in samples) for name, samples in runs.items()}
    cpu = {name: statistics.median(c for _, c in samples) for name, samples in runs.items()}
    rows: list[dict] = [{"name": "input", "value": round(path.stat().st_size / 1e6, 1),
                         "unit": "MB", "note": str(path)},
                        {"name": "load average", "value": round(os.getloadavg()[0], 1),
                         "unit": "", "note": f"{os.cpu_count()} cores"}]
    for name in runs:
        rows.append({"name": f"{name} wall", "value": round(wall[name], 2), "unit": "s",
                     "note": f"median of {len(runs[name])}; CPU {cpu[name]:.1f} s"})
    for name in ("report", "report -j1"):
        rows.append({"name": f"{name} / summary", "value": round(wall[name] / wall["summary"], 2),
                     "unit": "ratio", "note": f"wall, target <= 1.5; CPU ratio "
                                              f"{cpu[name] / cpu['summary']:.2f}"})
    size = out.stat().st_size
    rows.append({"name": "page size", "value": round(size / 1e6, 2), "unit": "MB",
                 "note": "target < 20"})
    load, note = browser_load(out)
    rows.append({"name": "browser load", "value": None if load is None else round(load, 2),
                 "unit": "s", "note": note})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 records instead of 1M")
    parser.add_argument("--input", type=Path, help="an existing .evtx trace to measure")
    parser.add_argument("--repeats", type=int, help="runs of each command (median)")
    args = parser.parse_args(argv)
    for row in measure(args.quick, args.input, args.repeats):
        value = "—" if row["value"] is None else row["value"]
        print(f"{row['name']:<20} {value!s:>10} {row['unit']:<6} {row['note']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
