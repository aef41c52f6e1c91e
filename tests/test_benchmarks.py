"""The benchmark driver: a quick run never overwrites the committed report, and every standalone
bench_*.py module present is run and its rows reach the report."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

import plugins  # noqa: E402
import run as bench_run  # noqa: E402
from machine import machine  # noqa: E402
from report_md import write_doc  # noqa: E402
from results import Results  # noqa: E402
from settings import DOC  # noqa: E402


def test_quick_run_never_writes_the_committed_report(tmp_path: Path) -> None:
    quick = bench_run.parse_args(["--quick", "--data-dir", str(tmp_path)])
    assert quick.report.resolve() != DOC.resolve()
    with pytest.raises(SystemExit) as refused:
        bench_run.parse_args(["--quick", "--data-dir", str(tmp_path), "--doc", str(DOC)])
    assert refused.value.code == 2
    elsewhere = tmp_path / "quick.md"
    assert bench_run.parse_args(["--quick", "--doc", str(elsewhere),
                                 "--data-dir", str(tmp_path)]).report == elsewhere
    full = bench_run.parse_args(["--data-dir", str(tmp_path)])
    assert full.report == DOC


PLUGIN = '''
import time

def measure(quick: bool) -> list[dict]:
    started = time.perf_counter()
    total = sum(range(20000 if quick else 200000))
    took = time.perf_counter() - started
    return [{"name": "sum", "value": total, "unit": "count", "note": f"quick={quick}"},
            {"name": "sum rate", "ratio": total / max(took, 1e-9) / 1e9, "note": ""}]
'''


def test_standalone_modules_are_run_and_reported(tmp_path: Path) -> None:
    (tmp_path / "bench_fake.py").write_text(PLUGIN)
    (tmp_path / "bench_broken.py").write_text("def measure(quick):\n    raise ValueError('no')\n")
    (tmp_path / "helper.py").write_text("X = 1\n")
    assert plugins.discover(tmp_path) == ["bench_broken", "bench_fake"]

    rows = plugins.run_module("bench_fake", True, tmp_path)
    assert rows[0] == {"name": "sum", "value": sum(range(20000)), "unit": "count",
                       "note": "quick=True"}
    assert plugins.cells(rows[1])[2] == "ratio"
    broken = plugins.run_module("bench_broken", True, tmp_path)
    assert len(broken) == 1 and "ValueError: no" in broken[0]["note"]

    results = Results("quick", machine(None))
    results.extra_rows = [("bench_fake", row) for row in rows]
    doc = tmp_path / "report.md"
    write_doc(results, doc)
    text = doc.read_text()
    assert "## Standalone modules" in text
    assert f"| bench_fake | sum | {sum(range(20000))} | count | quick=True |" in text


def test_missed_targets_are_explained_from_the_run_s_own_figures(tmp_path: Path) -> None:
    from measure import Measurement, Sample

    results = Results("quick", machine(None))
    a = Measurement("a", "bare evtx records_json()", "x.evtx", 1000, [Sample(1.0, 1.0)])
    b = Measurement("b", "wcfevents decode --format json", "x.evtx", 1000, [Sample(5.0, 8.0)])
    c = Measurement("c", "wcfevents decode --id 4031", "x.evtx", 1000, [Sample(1.0, 1.9)])
    results.measurements += [a, b, c]
    results.ratio("b/a", "1k", b, a)  # 0.2: missed
    results.ratio("c/a", "1k", c, a)  # 1.0: met
    doc = tmp_path / "report.md"
    write_doc(results, doc)
    text = doc.read_text()
    workers = len(os.sched_getaffinity(0))
    assert "**b/a at 1k: 0.20 against ≥ 0.5.**" in text
    assert "8000.0 µs of CPU a record" in text and "1000.0 µs of wall time" in text
    assert f"allows at most {workers * 1000 / 8000:.2f}" in text
    assert f"needs {workers * 1000 / 0.5:.1f} µs a record" in text
    assert "c/a at 1k" not in text
