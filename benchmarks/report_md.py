"""The report: the console tables and docs/performance.md, from one run's figures only."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from measure import Measurement, median_cpu, median_of
from profiling import Profile
from settings import (
    DEFAULT_DATA_DIR,
    LOOKUP_RUNS,
    PACKAGES,
    PYEVTX_RECORDS,
    SELECTIVE_ID,
)

if TYPE_CHECKING:
    from results import Results

from measure import SAMPLE_INTERVAL
from misses import miss_lines
from plugins import cells
from targets import TARGETS, verdict


def _target_text(name: str) -> str:
    if name not in TARGETS:
        return "—"
    op, target, unit = TARGETS[name]
    sign = "≥" if op == ">=" else "≤"
    return f"{sign} {target:g}{(' ' + unit) if unit else ''}"


def table_rows(results: Results) -> list[list[str]]:
    rows = []
    for m in results.measurements:
        memory = m.memory
        rss = f"{memory.peak / 1e6:.0f}" if memory else ""
        procs = str(memory.processes) if memory else ""
        rows.append([m.key, m.label, m.input, f"{m.records:,}", f"{m.wall:.2f}",
                     f"{m.cpu:.2f}", f"{m.rate:,.0f}", rss, procs, m.note])
    return rows


def target_rows(results: Results) -> list[list[str]]:
    rows = [[name, size, f"{value:,.2f}", _target_text(name), verdict(name, value)]
            for name, size, value in results.ratios]
    for label, memory in results.rss:
        detail = f"{memory.peak / 1e6:.0f} MB"
        if memory.processes > 1:
            pss = f"PSS {memory.pss / 1e6:.0f} MB, " if memory.pss else ""
            detail += (f" ({memory.processes} processes: {pss}largest "
                       f"{memory.largest / 1e6:.0f} MB)")
        rows.append(["peak RSS", label, detail, _target_text("rss"),
                     verdict("rss", memory.peak / 1e6)])
    if results.lookup:
        ms = median_of(results.lookup[0]) * 1000
        rows.append(["lookup", f"lookup {SELECTIVE_ID}", f"{ms:.0f} ms", _target_text("lookup"),
                     verdict("lookup", ms)])
    return rows


def render(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
                  for row in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in out)


MEASURE_HEADERS = ["", "measurement", "input", "records", "wall s", "CPU s", "records/s",
                   "peak RSS MB", "procs", "note"]
TARGET_HEADERS = ["target", "input", "measured", "target", "verdict"]


def print_results(results: Results) -> None:
    print()
    print(render(MEASURE_HEADERS, table_rows(results), markdown=False))
    print()
    print(render(TARGET_HEADERS, target_rows(results), markdown=False))
    print(f"\nload average at start {results.load_start}, at end {results.load_end}; "
          f"whole run {results.elapsed / 60:.1f} min")


def scaling_rows(results: Results) -> list[list[str]]:
    """Default workers against --jobs 1, per input (rows b/b1 and f/f1)."""
    by_key = {(m.key, m.input): m for m in results.measurements}
    rows = []
    for (key, name), one in by_key.items():
        if key not in ("b1", "f1"):
            continue
        many = by_key.get((key[0], name))
        if many is None:
            continue
        memory = "/".join(f"{m.memory.peak / 1e6:.0f}" if m.memory else "?" for m in (one, many))
        rows.append([name, f"{key} / {key[0]}", f"{one.rate:,.0f}", f"{many.rate:,.0f}",
                     f"{many.rate / one.rate:.2f}x", memory])
    return rows


def profile_section(prof: Profile, reference: Measurement | None) -> str:
    per_record = prof.total / max(prof.records, 1) * 1e6
    lines = [f"### {prof.input} ({prof.records:,} records)", ""]
    text = (f"{prof.total:.1f} s under cProfile, {per_record:.1f} µs per record")
    if reference is not None:
        text += (f" (unprofiled, as a child process: "
                 f"{reference.wall / max(reference.records, 1) * 1e6:.1f} µs per record)")
    lines += [text + ".", ""]
    rows = [[r.function, f"{r.calls:,}", f"{r.tottime:.2f}", f"{r.per_record_us:.2f}",
             f"{r.share:.1%}", f"{r.cumtime:.2f}"] for r in prof.rows]
    headers = ["function", "calls", "tottime s", "µs/record (own)", "share", "cumtime s"]
    lines.append(render(headers, rows, True))
    return "\n".join(lines)


def write_doc(results: Results, path: Path) -> None:
    """docs/performance.md from this run's figures only."""
    info = results.machine
    machine_rows = [[k, v] for k, v in info.items() if k not in PACKAGES]
    version_rows = [[k, info[k]] for k in PACKAGES]
    references = {m.input: m for m in results.measurements if m.key in ("b", "f")}
    scaling = scaling_rows(results)
    changed = results.code_start != results.code_end
    selectivity = "; ".join(
        f"{name}: {matched:,} of {read:,} records ({matched / max(read, 1):.3%})"
        for name, matched, read in results.selectivity
    )
    parts = [
        "# Performance",
        "",
        f"Generated by `{results.command}` ({results.mode} run) on {info['date']}; every figure "
        "below was measured in that run. Do not edit by hand: rerun the script.",
        "",
        *(["**Warning:** the package source changed while this run was measuring (other "
           "work landed), so the figures below mix code versions; rerun for clean figures.",
           ""] if changed else []),
        "## Targets",
        "",
        "Ratios are records/s of the first over records/s of the second (b/a = decode throughput "
        "over the bare parser's).",
        "",
        render(TARGET_HEADERS, target_rows(results), True),
        "",
        *(["Where a ratio target is missed, this run's CPU figures say how far this design "
            "can go here:", "", *miss_lines(results), ""] if miss_lines(results) else []),
        "## Figures",
        "",
        "Wall and CPU seconds are medians of the runs; CPU is user + system of the child and "
        "the processes it waited for (subprocess rows) or of this process (in-process rows). "
        "Each subprocess run is forked and reaped (`wait4`) by a small launcher, so the "
        "benchmark's own memory is not counted in it. Peak RSS is the largest over the runs of "
        "the RSS summed over the run's process tree (sampled every "
        f"{SAMPLE_INTERVAL * 1000:.0f} ms from /proc), or of the largest single process's "
        "`ru_maxrss` if that is larger; procs is the most processes seen at once. Summed RSS "
        "counts pages shared between processes once per process, so for several processes "
        "it overstates; the targets table also gives the summed PSS.",
        "",
        render(MEASURE_HEADERS, table_rows(results), True),
        "",
        f"Selectivity of `--id {SELECTIVE_ID}`: {selectivity or 'not measured'}.",
        "",
    ]
    if results.lookup:
        lookup, python = results.lookup
        low, high = (min(s.wall for s in lookup) * 1000, max(s.wall for s in lookup) * 1000)
        parts += [
            f"Start-up: `wcfevents lookup {SELECTIVE_ID} --format json` "
            f"{median_of(lookup) * 1000:.0f} ms median (min {low:.0f}, max {high:.0f}; CPU "
            f"{median_cpu(lookup) * 1000:.0f} ms) against `python -c pass` "
            f"{median_of(python) * 1000:.0f} ms median (CPU {median_cpu(python) * 1000:.0f} "
            f"ms), {LOOKUP_RUNS} interleaved runs each; the decode rows above include one such "
            "start-up each. The target is on wall time, which other processes inflate; CPU time "
            "much less so.",
            "",
        ]
    if scaling:
        parts += [
            "## Scaling",
            "",
            "Decode to JSON Lines at the default worker count (one per usable core) against "
            "`--jobs 1`, the one-process reference path, on the same input in the same run. "
            "Memory grows by about one worker's RSS per extra worker (see the peak RSS column "
            "and README, \"Every core\"). On 16 cores: the parts (2 MiB each) are independent "
            "and 32 are in flight, so decoding scales with the cores until the parent, which "
            "only reassembles the workers' output in order and writes it (a small share of the "
            "CPU seconds above), or the disk becomes the limit; the workers' memory adds up to "
            "about 16 × 40 MB. On this 2-core machine the speed-up is capped at 2x and falls "
            "short of it by the parent's share and by whatever else runs here.",
            "",
            render(["input", "rows", "--jobs 1 records/s", "default records/s", "speed-up",
                    "peak RSS MB (1 / default)"], scaling, True),
            "",
        ]
    if results.extra_rows:
        parts += [
            "## Standalone modules",
            "",
            "Rows of the `benchmarks/bench_*.py` modules (each run in a child process of its "
            "own, `measure(quick)`), with their ratios against baselines they measured in the "
            "same run.",
            "",
            render(["module", "name", "value", "unit", "note"],
                   [[module, *cells(row)] for module, row in results.extra_rows], True),
            "",
        ]
    parts += ["## Where the time goes", "",
              "cProfile of `wcfevents.pipeline.read` + `output.jsonl.write` to /dev/null, in "
              "process, top functions by own time (tottime). Profiling inflates the cost of "
              "Python calls, so read the shares, not the absolute figures. C code called from a "
              "`for` loop (the Rust parser's iterator, lxml's iterparse) is not a call cProfile "
              "sees: its time is in the tottime of the generator that loops over it.",
              ""]
    for prof in results.profiles:
        parts += [profile_section(prof, references.get(prof.input)), ""]
    parts += [
        "## Machine",
        "",
        render(["", ""], machine_rows, True),
        "",
        f"Load average (1, 5, 15 min) at start {results.load_start}, at end "
        f"{results.load_end}. Other processes were free to run during the benchmark: where "
        "a child's CPU seconds fall well short of its wall seconds, it was probably waiting "
        f"for a core. Whole run: {results.elapsed / 60:.1f} min.",
        "",
        f"Package source fingerprint (sha256 of `wcfevents/**/*.py,json`): "
        f"{results.code_start} at the start, {results.code_end} at the end"
        + (" — **changed during the run**." if changed else " (unchanged)."),
        "",
        render(["package", "version"], version_rows, True),
        "",
        "## Inputs",
        "",
        "- `.evtx`: `tools/make_large_trace.py --count N --scenario mix` (seed 0).",
        "- XML twin: the same `scenarios.generate(\"mix\", seed=0, count=N)` events written by "
        "`wcfevents.testing.xml_writer.write_xml` in the tracerpt flavour, which adds "
        "tracerpt's EventTrace header event (N + 1 events).",
        "- `--xml-gb`: the same stream written until the file reaches 1 GiB.",
        "- (d) renders only the first "
        f"{PYEVTX_RECORDS:,} records of the smallest .evtx; its records/s is extrapolated to "
        "the other sizes (all files share the same first records).",
        "",
    ]
    if results.generated:
        parts += ["Generated in this run: " + "; ".join(results.generated) + ".", ""]
    parts += [*(f"- {line}" for line in results.provenance), ""]
    parts += [
        "## How to run",
        "",
        "```sh",
        ".venv/bin/python benchmarks/run.py --quick      # 100k records, 3 runs; report to /tmp",
        ".venv/bin/python benchmarks/run.py              # 100k + 1M records and a 1 GiB XML",
        ".venv/bin/python benchmarks/run.py --data-dir /big/disk --repeats 7 --no-xml-gb",
        ".venv/bin/python benchmarks/run.py --snapshot HEAD  # the committed code, not edits",
        "```",
        "",
        f"Inputs go to `--data-dir` (default `{DEFAULT_DATA_DIR}`), are generated once and "
        "reused; delete them to regenerate. `--repeats` sets the runs per measurement (default "
        "5, or 3 with `--quick`), `--large-repeats` the runs on 1M records and the 1 GiB XML "
        "(default 3). A full run rewrites this file (`--doc` to write elsewhere); a `--quick` run "
        "never does: it writes its report under the temporary directory. Every "
        "`benchmarks/bench_*.py` module present is run as well (`measure(quick)`) and its rows "
        "reported above.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts))

