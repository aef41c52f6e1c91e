"""Build wcfevents/catalog/tracecodes.json from data/reference/wcf-trace-codes.jsonl.

WCF's legacy trace codes are the EventID of most .svclog records (131085 = 0x2000D
ActivityBoundary). The facts are copied as they are, sorted by code, one code a line so that a
change to the reference shows as a readable diff.

Run:  python tools/build_tracecodes.py          (rewrites the catalog)
      python tools/build_tracecodes.py --check  (exit 1 if the committed catalog is stale)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from generated import write_or_check

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference" / "wcf-trace-codes.jsonl"
OUTPUT = ROOT / "wcfevents" / "catalog" / "tracecodes.json"
KEYS = ("code", "hex", "name", "group", "defined_in", "description")


def build() -> list[dict]:
    """The rows, checked (code and hex agree, names unique) and sorted by code."""
    with REFERENCE.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    codes: dict[int, dict] = {}
    names: set[str] = set()
    for row in rows:
        code = int(row["code"])
        if int(row["hex"], 16) != code:
            raise ValueError(f"code {code} does not match its hex {row['hex']}")
        if code in codes or row["name"].lower() in names:
            raise ValueError(f"trace code {code} {row['name']} is listed twice")
        codes[code] = {key: row[key] for key in KEYS}
        names.add(row["name"].lower())
    return [codes[code] for code in sorted(codes)]


def render(rows: list[dict]) -> str:
    body = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    return f'{{"tracecodes": [\n{body}\n]}}\n'


def main(argv: list[str] | None = None) -> int:
    return write_or_check(
        __doc__.splitlines()[0], OUTPUT, lambda: render(build()), "build_tracecodes.py",
        lambda text: f"{len(json.loads(text)['tracecodes'])} trace codes", argv)


if __name__ == "__main__":
    sys.exit(main())
