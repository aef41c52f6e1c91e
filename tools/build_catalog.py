"""Build wcfevents/catalog/events.json from the reference facts in data/reference/.

The reference rows merge four public sources (docs pages, the TraceEvent parser, the provider
manifest and the .NET EventDescriptors). The catalog keeps the documented value as its answer and
records every disagreement in `notes`, so nothing the sources say is hidden. Facts and message
templates are copied exactly; the docs' prose is not copied, each event links to its page instead.

Run:  python tools/build_catalog.py          (rewrites the catalog)
      python tools/build_catalog.py --check  (exit 1 if the committed catalog is stale)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from generated import write_or_check

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "data" / "reference"
OUTPUT = ROOT / "wcfevents" / "catalog" / "events.json"
DOC_BASE = "https://learn.microsoft.com/dotnet/"
LEVEL_ALIASES = {"Informational": "Information"}


def doc_url(doc_path: str | None) -> str | None:
    """learn.microsoft.com address of a docs page: doc_path without `docs/` and `.md`."""
    if not doc_path:
        return None
    path = doc_path.removeprefix("docs/").removesuffix(".md")
    return DOC_BASE + path


def full_channel(channel: str, provider_name: str, channels: dict[str, dict]) -> str:
    """Full channel name; two docs pages write only `Debug` / `DEBUG`."""
    if channel in channels:
        return channel
    for full, facts in channels.items():
        if facts["short_name"].lower() == channel.lower():
            return full
    return f"{provider_name}/{channel}"


def keyword_mask(names: list[str], masks: dict[str, str]) -> int:
    value = 0
    for name in names:
        value |= int(masks[name], 16)
    return value


def build_notes(row: dict, provider: dict, channel: str) -> list[str]:
    """Every place where another source disagrees with the documented answer."""
    notes: list[str] = []
    if row.get("filled_from"):
        notes.append(f"no docs page; {row['filled_from']}")
    if row["documented"] and row["perfview_event"] and row["perfview_event"] != row["symbol"]:
        notes.append(f"TraceEvent names this event {row['perfview_event']}")
    docs_kw = set(row["keywords"])
    manifest_kw = set(row["manifest_keywords"] or [])
    if row["documented"] and manifest_kw and docs_kw != manifest_kw:
        notes.append(
            "manifest keywords: " + ", ".join(sorted(manifest_kw))
            + " (docs: " + (", ".join(sorted(docs_kw)) or "none") + ")"
        )
    td_channel = row.get("td_channel")
    if td_channel and not channel.endswith("/" + td_channel):
        notes.append(f".NET EventDescriptor channel: {td_channel}")
    docs_fields = [f["name"] for f in row["fields"]]
    manifest_fields = [f["name"] for f in row["manifest_fields"] or []]
    if docs_fields and manifest_fields and docs_fields != manifest_fields:
        notes.append(
            "docs payload fields: " + ", ".join(docs_fields)
            + " (records carry: " + ", ".join(manifest_fields) + ")"
        )
    if row["message"] and row["message_table"] and row["message"] != row["message_table"]:
        notes.append(f"docs message text: {row['message']}")
    if row["message_table"] is None and row["message"]:
        notes.append("no runtime message string; template from the docs page")
    return notes


def build_event(row: dict, provider: dict) -> dict:
    name = provider["provider_name"]
    channel = full_channel(row["channel_full"] or row["channel"], name, provider["channels"])
    level = LEVEL_ALIASES.get(row["level"], row["level"])
    if row["manifest_fields"]:
        fields = [{"name": f["name"], "type": f["inType"]} for f in row["manifest_fields"]]
    else:
        fields = [{"name": f["name"], "type": f["type"]} for f in row["template_fields"]]
    if row["keywords_mask"]:
        mask = int(row["keywords_mask"], 16)
    else:
        bit = provider["channels"][channel]["keyword_bit"]
        mask = keyword_mask(row["keywords"], provider["keywords"]) | int(bit or "0", 16)
    return {
        "event_id": row["id"],
        "symbol": row["symbol"],
        "level": level,
        "level_value": row["level_value"],
        "keywords": row["keywords"],
        "channel": channel,
        "task": row["task"],
        "task_id": row["task_id"],
        "opcode": row["opcode"],
        "opcode_id": row["opcode_id"],
        "version": row["version"],
        "message": row["message_table"] if row["message_table"] is not None else row["message"],
        "fields": fields,
        "keywords_mask": f"0x{mask:016x}",
        "doc_url": doc_url(row["doc_path"]),
        "documented": row["documented"],
        "notes": build_notes(row, provider, channel),
    }


def build_provider(provider: dict) -> dict:
    return {
        "name": provider["provider_name"],
        "guid": provider["provider_guid"],
        "keywords": provider["keywords"],
        "levels": provider["levels"],
        "channels": {
            full: {
                "short_name": facts["short_name"],
                "value": facts["channel_value"],
                "keyword_bit": facts["keyword_bit"],
            }
            for full, facts in provider["channels"].items()
        },
        "opcodes": provider["opcodes_standard"],
        "task_opcodes": provider["opcodes_task_specific"],
        "tasks": {str(value): name for name, value in provider["tasks"].items()},
    }


def build() -> dict:
    provider = json.loads((REFERENCE / "wcf-etw-provider.json").read_text(encoding="utf-8"))
    with (REFERENCE / "wcf-etw-events.jsonl").open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    events = [build_event(row, provider) for row in sorted(rows, key=lambda r: r["id"])]
    return {"provider": build_provider(provider), "events": events}


def render(catalog: dict) -> str:
    """One event a line, so a change to the reference shows as a readable diff."""
    provider = json.dumps(catalog["provider"], ensure_ascii=False, indent=1)
    events = ",\n".join(json.dumps(e, ensure_ascii=False) for e in catalog["events"])
    return f'{{"provider": {provider},\n"events": [\n{events}\n]}}\n'



def main(argv: list[str] | None = None) -> int:
    return write_or_check(
        __doc__.splitlines()[0], OUTPUT, lambda: render(build()), "build_catalog.py",
        lambda text: f"{len(json.loads(text)['events'])} events", argv)


if __name__ == "__main__":
    sys.exit(main())
