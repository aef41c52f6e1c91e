"""Write a generated data file, or with --check say whether the committed one is stale.

Shared by the catalog builders so that every generated file is checked the same way in tests.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def write_or_check(description: str, output: Path, make: Callable[[], str], script: str,
                   count: Callable[[str], str], argv: list[str] | None = None) -> int:
    """`make()` the text; with --check exit 1 when `output` differs, else write it."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    args = parser.parse_args(argv)
    text = make()
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            print(f"{output} is stale: run python tools/{script}", file=sys.stderr)
            return 1
        return 0
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output.relative_to(output.parents[2])}: {count(text)}")
    return 0
