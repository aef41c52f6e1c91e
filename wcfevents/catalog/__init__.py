"""The catalog of the WCF/WF provider: every documented event, keyword, level and channel.

It knows events and the provider, never files of traces. The data is generated from the
reference facts by tools/build_catalog.py and loaded once, lazily, on first use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

PROVIDER_NAME = "Microsoft-Windows-Application Server-Applications"
PROVIDER_GUID = "c651f5f6-1c0d-492e-8ae1-b4efd7c9d503"

# Windows' own level names, most severe first; `LogAlways` (0) is not a severity.
LEVEL_NAMES = {
    0: "LogAlways", 1: "Critical", 2: "Error", 3: "Warning", 4: "Information", 5: "Verbose",
}
LEVEL_ALIASES = {"informational": 4, "info": 4, "warn": 3, "err": 2, "crit": 1}

# Bits 48-63 of a record's keyword mask belong to Windows (channels, audit results), not to WCF.
PROVIDER_KEYWORD_BITS = 0x0000FFFFFFFFFFFF


@dataclass(frozen=True, slots=True)
class Field:
    """One payload field as records carry it (manifest name and inType)."""

    name: str
    type: str


@dataclass(frozen=True, slots=True)
class CatalogEvent:
    """Everything the catalog knows of one event ID."""

    event_id: int
    symbol: str
    level: str
    level_value: int
    keywords: tuple[str, ...]
    channel: str
    task: str | None
    task_id: int
    opcode: str | None
    opcode_id: int
    version: int
    message: str | None
    fields: tuple[Field, ...]
    keywords_mask: int
    doc_url: str | None
    documented: bool
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The public JSON form (the keys `lookup --format json` documents)."""
        return {
            "event_id": self.event_id,
            "symbol": self.symbol,
            "level": self.level,
            "level_value": self.level_value,
            "keywords": list(self.keywords),
            "channel": self.channel,
            "task": self.task,
            "opcode": self.opcode,
            "version": self.version,
            "message": self.message,
            "fields": [{"name": f.name, "type": f.type} for f in self.fields],
            "doc_url": self.doc_url,
            "documented": self.documented,
        }

    @property
    def short_channel(self) -> str:
        return self.channel.rsplit("/", 1)[-1]


class UnknownName(ValueError):
    """A keyword, level or channel name the provider does not define."""

    def __init__(self, kind: str, name: str, valid: Iterable[str]) -> None:
        self.kind, self.name, self.valid = kind, name, list(valid)
        super().__init__(f"unknown {kind} {name!r}; valid: {', '.join(self.valid)}")


class Catalog:
    """Lookups by ID and symbol, and the provider's keyword, level and channel names."""

    def __init__(self, data: dict[str, Any]) -> None:
        provider = data["provider"]
        self.provider_name: str = provider["name"]
        self.provider_guid: str = provider["guid"]
        self.keyword_masks: dict[str, int] = {
            name: int(mask, 16) for name, mask in provider["keywords"].items()
        }
        self.channels: dict[str, dict[str, Any]] = provider["channels"]
        self.channel_bits: dict[str, int] = {
            full: int(facts["keyword_bit"], 16)
            for full, facts in self.channels.items()
            if facts["keyword_bit"]
        }
        self.tasks: dict[int, str] = {
            int(k): v for k, v in provider["tasks"].items() if not v.startswith("task_")
        }
        self.opcodes: dict[int, str] = {v: k for k, v in provider["opcodes"].items()}
        self.task_opcodes: dict[str, dict[str, int]] = provider["task_opcodes"]
        # Entries are built on first use: a lookup should not pay for all 481.
        self._raw: dict[int, dict[str, Any]] = {raw["event_id"]: raw for raw in data["events"]}
        self._symbols: dict[str, int] = {
            raw["symbol"].lower(): event_id for event_id, raw in self._raw.items()
        }
        self._built: dict[int, CatalogEvent] = {}
        # Answers per record are asked millions of times with few distinct questions.
        self._keyword_names: dict[int, list[str]] = {}
        self._opcode_names: dict[tuple[int, str | None], str | None] = {}

    def __len__(self) -> int:
        return len(self._raw)

    def __iter__(self) -> Iterator[CatalogEvent]:
        for event_id in self._raw:
            yield self._entry(event_id)

    def _entry(self, event_id: int) -> CatalogEvent:
        event = self._built.get(event_id)
        if event is None:
            raw = self._raw[event_id]
            event = CatalogEvent(
                event_id=raw["event_id"],
                symbol=raw["symbol"],
                level=raw["level"],
                level_value=raw["level_value"],
                keywords=tuple(raw["keywords"]),
                channel=raw["channel"],
                task=raw["task"],
                task_id=raw["task_id"],
                opcode=raw["opcode"],
                opcode_id=raw["opcode_id"],
                version=raw["version"],
                message=raw["message"],
                fields=tuple(Field(f["name"], f["type"]) for f in raw["fields"]),
                keywords_mask=int(raw["keywords_mask"], 16),
                doc_url=raw["doc_url"],
                documented=raw["documented"],
                notes=tuple(raw["notes"]),
            )
            self._built[event_id] = event
        return event

    def by_id(self, event_id: int) -> CatalogEvent | None:
        return self._entry(event_id) if event_id in self._raw else None

    def by_symbol(self, symbol: str) -> CatalogEvent | None:
        event_id = self._symbols.get(symbol.lower())
        return None if event_id is None else self._entry(event_id)

    def find(self, id_or_symbol: str | int) -> CatalogEvent | None:
        """An event by numeric ID (`4031`) or symbol (`DispatchSessionFailed`, any case)."""
        if isinstance(id_or_symbol, int):
            return self.by_id(id_or_symbol)
        text = id_or_symbol.strip()
        if text.isdigit():
            return self.by_id(int(text))
        return self.by_symbol(text)

    def select(
        self,
        keywords: Iterable[str] = (),
        levels: Iterable[int] = (),
        channels: Iterable[str] = (),
        search: str | None = None,
    ) -> Iterator[CatalogEvent]:
        """Events matching every given criterion; several values of one criterion OR."""
        wanted_keywords = {self.keyword(k) for k in keywords}
        wanted_levels = set(levels)
        wanted_channels = {self.channel(c) for c in channels}
        needle = search.lower() if search else None
        for event in self:
            if wanted_keywords and not wanted_keywords.intersection(event.keywords):
                continue
            if wanted_levels and event.level_value not in wanted_levels:
                continue
            if wanted_channels and event.channel not in wanted_channels:
                continue
            if needle and needle not in event.symbol.lower() and (
                needle not in (event.message or "").lower()
            ):
                continue
            yield event

    # -- names ---------------------------------------------------------------------------

    def names(self, kind: str) -> list[str]:
        """Every name of a kind (`keyword`, `level`, `channel`, `symbol`, payload `field`), for
        shell completion."""
        if kind == "keyword":
            return list(self.keyword_masks)
        if kind == "level":
            return [name for _value, name in sorted(LEVEL_NAMES.items())]
        if kind == "channel":
            return [facts["short_name"] for facts in self.channels.values()]
        if kind == "symbol":
            return sorted(raw["symbol"] for raw in self._raw.values())
        if kind == "field":
            return sorted({f["name"] for raw in self._raw.values() for f in raw["fields"]})
        raise ValueError(f"no names of kind {kind!r}")

    def keyword(self, name: str) -> str:
        """The canonical spelling of a keyword name, any case; UnknownName otherwise."""
        for known in self.keyword_masks:
            if known.lower() == name.strip().lower():
                return known
        raise UnknownName("keyword", name, self.keyword_masks)

    def keyword_names(self, mask: int) -> list[str]:
        """Keyword names set in a record's mask, in the provider's bit order (a fresh list)."""
        names = self._keyword_names.get(mask)
        if names is None:
            names = [name for name, bit in self.keyword_masks.items() if mask & bit]
            if len(self._keyword_names) < 4096:
                self._keyword_names[mask] = names
        return list(names)

    def channel(self, name: str) -> str:
        """Full channel name from a short (`Analytic`) or full name, any case."""
        wanted = name.strip().lower()
        for full, facts in self.channels.items():
            if wanted in (full.lower(), facts["short_name"].lower()):
                return full
        valid = [facts["short_name"] for facts in self.channels.values()]
        raise UnknownName("channel", name, valid)

    def channel_from_mask(self, mask: int) -> str | None:
        """The channel whose keyword bit a record's mask carries, if any."""
        for full, bit in self.channel_bits.items():
            if mask & bit:
                return full
        return None

    def task_name(self, task_id: int | None) -> str | None:
        return None if task_id is None else self.tasks.get(task_id)

    def opcode_name(self, opcode_id: int | None, task: str | None = None) -> str | None:
        if opcode_id is None:
            return None
        key = (opcode_id, task)
        if key in self._opcode_names:
            return self._opcode_names[key]
        found = self.opcodes.get(opcode_id)
        if task:
            for name, value in self.task_opcodes.get(task, {}).items():
                if value == opcode_id:
                    found = name
                    break
        if len(self._opcode_names) < 4096:
            self._opcode_names[key] = found
        return found


def level_value(name: str) -> int:
    """Numeric level from a name (any case, `Informational` too) or a number; ValueError else."""
    text = name.strip().lower()
    if text.isdigit() and int(text) in LEVEL_NAMES:
        return int(text)
    for value, known in LEVEL_NAMES.items():
        if known.lower() == text:
            return value
    if text in LEVEL_ALIASES:
        return LEVEL_ALIASES[text]
    raise UnknownName("level", name, LEVEL_NAMES.values())


def level_name(value: int | None) -> str | None:
    return None if value is None else LEVEL_NAMES.get(value)


@cache
def load() -> Catalog:
    """The packaged catalog, parsed once per process."""
    import orjson

    return Catalog(orjson.loads((Path(__file__).parent / "events.json").read_bytes()))
