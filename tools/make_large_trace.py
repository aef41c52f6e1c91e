"""Write a large synthetic .evtx trace for benchmarks (not committed; regenerate at will).

    python tools/make_large_trace.py --count 1000000 --out /tmp/large.evtx

The events come from the deterministic random mix of `wcfevents.testing.scenarios` and are
streamed into the writer chunk by chunk, so memory stays flat whatever the count.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from wcfevents.testing.evtx_writer import write_evtx  # noqa: E402
from wcfevents.testing.scenarios import SCENARIOS, generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="records (mix) or rounds")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="mix")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    summary = write_evtx(args.out, generate(args.scenario, seed=args.seed, count=args.count))
    elapsed = time.perf_counter() - started
    size = args.out.stat().st_size
    print(
        f"{args.out}: {summary.records} records in {summary.chunks} chunks, "
        f"{size / 1e6:.1f} MB, {elapsed:.1f} s ({summary.records / max(elapsed, 1e-9):,.0f} "
        "records/s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
