"""Throughput, memory and start-up benchmarks for wcfevents; writes docs/performance.md.

    .venv/bin/python benchmarks/run.py --quick     # 100k records, 3 repeats; report to /tmp
    .venv/bin/python benchmarks/run.py             # 100k and 1M records, plus a ~1 GB XML file

Every figure printed or written is measured in the run that prints it, and every ratio is taken
against a baseline measured in the same run. Inputs are generated with the project's own
generators into --data-dir (outside the repository) and reused when present. The measurements
live in modules of their own (evtx_decode, xml_decode, analysis, startup, profiling); every
standalone bench_*.py module present is run too and its rows reported.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analysis
import evtx_decode
import plugins
import xml_decode
from inputs import prepare_inputs
from machine import code_state, export_snapshot, load, machine
from measure import Measurement, median_cpu, median_of
from profiling import profile_decode
from report_md import print_results, write_doc
from results import Results, size_label
from settings import (
    DEFAULT_DATA_DIR,
    DOC,
    LOOKUP_RUNS,
    QUICK_DOC,
    ROOT,
    SELECTIVE_ID,
    SOURCE,
)
from startup import lookup_runs


def run(args: argparse.Namespace, scratch: Path) -> Results:
    """Every measurement, in order; `scratch` holds the children's stderr."""
    started = time.perf_counter()
    sizes = [100_000] if args.quick else [100_000, 1_000_000]
    repeats = args.repeats or (3 if args.quick else 5)
    large_repeats = args.large_repeats or min(repeats, 3)
    xml_gb = (not args.quick) if args.xml_gb is None else args.xml_gb
    results = Results("quick" if args.quick else "full", machine(args.snapshot_commit),
                      load_start=load(), code_start=code_state(SOURCE.path))
    results.command = " ".join(["benchmarks/run.py", *sys.argv[1:]])
    inputs = prepare_inputs(args.data_dir, sizes, xml_gb, SOURCE.path)
    results.generated = inputs.generated
    results.provenance = inputs.provenance

    pyevtx: Measurement | None = None
    for n in sizes:
        reps = repeats if n <= 100_000 else large_repeats
        tag = size_label(n)
        print(f"{tag} records ({reps} runs each), load {load()}", flush=True)
        a, pyevtx = evtx_decode.measure(results, inputs.evtx[n], tag, reps, scratch, pyevtx)
        e = xml_decode.measure(results, inputs.xml[n], tag, reps, scratch)
        analysis.measure(results, inputs.evtx[n], a, tag, reps, scratch, "a")
        analysis.measure(results, inputs.xml[n], e, tag, reps, scratch, "e")

    if inputs.xml_gb is not None:
        size = inputs.xml_gb.stat().st_size
        print(f"~1 GB XML ({size / 1e9:.2f} GB, {large_repeats} runs), load {load()}",
              flush=True)
        xml_decode.measure_large(results, inputs.xml_gb, large_repeats, scratch)

    print(f"lookup ({LOOKUP_RUNS} runs each, interleaved), load {load()}", flush=True)
    results.lookup = lookup_runs()
    lookup, python = results.lookup
    print(f"  (h) wcfevents lookup {SELECTIVE_ID} --format json: "
          f"{median_of(lookup) * 1000:.0f} ms median (CPU {median_cpu(lookup) * 1000:.0f} ms); "
          f"python -c pass: {median_of(python) * 1000:.0f} ms "
          f"(CPU {median_cpu(python) * 1000:.0f} ms)", flush=True)

    print(f"profiles (cProfile, {size_label(sizes[0])} records), load {load()}", flush=True)
    for path in (inputs.evtx[sizes[0]], inputs.xml[sizes[0]]):
        prof = profile_decode(path)
        results.profiles.append(prof)
        print(f"  {path.name}: {prof.total:.1f} s under the profiler; top: "
              f"{prof.rows[0].function} {prof.rows[0].share:.0%}", flush=True)

    for name in plugins.discover():
        print(f"{name} (standalone module), load {load()}", flush=True)
        for row in plugins.run_module(name, args.quick):
            results.extra_rows.append((name, row))
            print("  " + "  ".join(filter(None, plugins.cells(row))), flush=True)

    results.load_end = load()
    results.code_end = code_state(SOURCE.path)
    if results.code_end != results.code_start:
        print("warning: the package source changed during the run; figures mix versions",
              flush=True)
    results.elapsed = time.perf_counter() - started
    return results


def report_path(quick: bool, doc: Path | None) -> Path | None:
    """Where the markdown report goes: --doc, else docs/performance.md for a full run and a
    file under the temporary directory for a quick one. A quick run never writes the committed
    report (None: refused)."""
    if quick:
        target = doc or QUICK_DOC
        return None if target.resolve() == DOC.resolve() else target
    return doc or DOC


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k records only, 3 runs each")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help=f"where inputs are generated and reused (default {DEFAULT_DATA_DIR})")
    parser.add_argument("--repeats", type=int, help="runs per measurement (5; 3 with --quick)")
    parser.add_argument("--large-repeats", type=int,
                        help="runs per measurement on 1M records and the 1 GiB XML (3)")
    parser.add_argument("--xml-gb", action=argparse.BooleanOptionalAction, default=None,
                        help="decode a ~1 GiB tracerpt file too (default: on, off with --quick)")
    parser.add_argument("--doc", type=Path,
                        help=f"markdown report to write (default: {DOC} for a full run, "
                             f"{QUICK_DOC} with --quick)")
    parser.add_argument("--snapshot", metavar="REV",
                        help="measure wcfevents as committed at REV (e.g. HEAD), not the working "
                             "tree that others may be editing")
    args = parser.parse_args(argv)
    if args.data_dir.resolve().is_relative_to(ROOT):
        parser.error("--data-dir must be outside the repository")
    args.report = report_path(args.quick, args.doc)
    if args.report is None:
        parser.error(f"--quick never writes {DOC.name}: a full run does (or give another --doc)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.snapshot_commit = None
    if args.snapshot:
        SOURCE.path, args.snapshot_commit = export_snapshot(args.snapshot)
        # First on the path of this process, of every child and of the generator workers.
        sys.path.insert(0, str(SOURCE.path))
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(SOURCE.path), os.environ.get("PYTHONPATH")]))
        import wcfevents

        if not Path(wcfevents.__file__).resolve().is_relative_to(SOURCE.path.resolve()):
            raise SystemExit(f"could not import the snapshot (got {wcfevents.__file__})")
        print(f"measuring the source committed at {args.snapshot_commit} ({SOURCE.path})")
    try:
        with tempfile.TemporaryDirectory(prefix="wcfevents-bench-") as scratch:
            results = run(args, Path(scratch))
    finally:
        if args.snapshot_commit is not None:
            shutil.rmtree(SOURCE.path, ignore_errors=True)
    print_results(results)
    write_doc(results, args.report)
    print(f"wrote {args.report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
