"""Where things are and what is measured: shared by every benchmark module."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
DOC = ROOT / "docs" / "performance.md"
DEFAULT_DATA_DIR = Path(tempfile.gettempdir()) / "wcfevents-bench"
# Where a --quick run writes its report: never over the committed docs/performance.md.
QUICK_DOC = DEFAULT_DATA_DIR / "performance-quick.md"
EVENT_TAG = "{http://schemas.microsoft.com/win/2004/08/events/event}Event"
SELECTIVE_ID = "4031"
PYEVTX_RECORDS = 2_000
LOOKUP_RUNS = 15
XML_GB_BYTES = 1 << 30
PROFILE_TOP = 15
PACKAGES = ("wcfevents", "evtx", "python-evtx", "lxml", "orjson", "click", "rich")


class _Source:
    """The package source measured: the working tree, or a --snapshot export (set by run.py)."""

    path: Path = ROOT


SOURCE = _Source()

# Every module here imports its siblings by their plain names, as `python benchmarks/run.py`
# does; importing them from elsewhere (tests) needs this directory on the path too.
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))
# The in-process measurements (profiles) import the package from the tree measured; a --snapshot
# puts its export in front of this.
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))
