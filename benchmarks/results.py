"""What one run found: every measurement, the ratios against baselines of the same run, memory,
start-up, profiles and the rows of the standalone bench_*.py modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from measure import Measurement, Memory, Sample
from profiling import Profile


@dataclass
class Results:
    mode: str
    machine: dict[str, str]
    measurements: list[Measurement] = field(default_factory=list)
    ratios: list[tuple[str, str, float]] = field(default_factory=list)  # name, size, value
    # (name, size) → (measured, baseline): what each ratio was taken of, for the misses section
    pairs: dict[tuple[str, str], tuple[Measurement, Measurement]] = field(default_factory=dict)
    rss: list[tuple[str, Memory]] = field(default_factory=list)  # label, peak memory
    lookup: tuple[list[Sample], list[Sample]] | None = None
    profiles: list[Profile] = field(default_factory=list)
    selectivity: list[tuple[str, int, int]] = field(default_factory=list)
    extra_rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # module, row
    generated: list[str] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)
    load_start: str = ""
    code_start: str = ""
    code_end: str = ""
    load_end: str = ""
    elapsed: float = 0.0
    command: str = ""

    def add(self, m: Measurement) -> Measurement:
        """Keep a measurement and print it as it comes."""
        self.measurements.append(m)
        memory = m.memory
        rss = f", peak RSS {memory.peak / 1e6:.0f} MB" if memory else ""
        if memory and memory.processes > 1:
            rss += f" over {memory.processes} processes"
        print(f"  ({m.key}) {m.label} [{m.input}]: {m.wall:.2f} s median of "
              f"{len(m.samples)}, {m.rate:,.0f} records/s{rss}", flush=True)
        return m

    def ratio(self, name: str, tag: str, measured: Measurement, base: Measurement) -> None:
        """Records/s of `measured` over `base`, both of this run."""
        self.ratios.append((name, tag, measured.rate / base.rate))
        self.pairs[(name, tag)] = (measured, base)

    def memory_of(self, m: Measurement, scope: str) -> None:
        if m.memory is not None:
            self.rss.append((f"{m.key} {m.input}{scope}", m.memory))


def size_label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k"
