"""Regenerate the .svclog fixtures: a service's trace log, its message log, and a cut trace log.

    python tools/make_svclog_fixtures.py [--out fixtures] [--check]

Each `svclog-*.svclog` is written by `wcfevents.testing.svclog_writer` from the deterministic
records of `wcfevents.testing.svclog_scenarios`, and comes with `svclog-*.golden.jsonl`: one
`enrich(expected).to_dict()` per record the reader must decode, worked out from the records
themselves (`source` = the file name). Running this twice gives identical bytes;
tests/test_svclog.py checks the committed files are current.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from wcfevents.enrich import enrich  # noqa: E402
from wcfevents.testing.svclog_scenarios import message_log, trace_log  # noqa: E402
from wcfevents.testing.svclog_writer import Record, cut_last, write_svclog  # noqa: E402


@dataclass(frozen=True)
class SvclogFixture:
    name: str
    records: Callable[[], list[Record]]
    cut: bool = False  # the last record cut short, as when the process dies

    @property
    def filename(self) -> str:
        return f"{self.name}.svclog"

    @property
    def golden_name(self) -> str:
        return f"{self.name}.golden.jsonl"

    def data(self) -> bytes:
        data = write_svclog(self.records())
        return cut_last(data) if self.cut else data

    def golden(self) -> str:
        records = self.records()
        if self.cut:
            records = records[:-1]
        lines = (json.dumps(enrich(r.expected(self.filename)).to_dict(), ensure_ascii=False)
                 for r in records)
        return "".join(line + "\n" for line in lines)


FIXTURES = (
    SvclogFixture("svclog-service", trace_log),
    SvclogFixture("svclog-service.messages", message_log),
    SvclogFixture("svclog-cut", trace_log, cut=True),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "fixtures")
    parser.add_argument("--check", action="store_true", help="fail if a fixture is stale")
    args = parser.parse_args(argv)
    stale = []
    for fixture in FIXTURES:
        for filename, content in ((fixture.filename, fixture.data()),
                                  (fixture.golden_name, fixture.golden().encode("utf-8"))):
            path = args.out / filename
            if args.check:
                if not path.exists() or path.read_bytes() != content:
                    stale.append(filename)
                continue
            path.write_bytes(content)
            print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)}; run python tools/make_svclog_fixtures.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
