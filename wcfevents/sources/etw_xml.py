"""XML exports of ETW traces: tracerpt dumps, wevtutil queries and Get-WinEvent `ToXml()` lines.

The three tools write the same event schema in different envelopes: tracerpt wraps the events in an
`<Events>` root, wevtutil runs `<Event>` elements together with no root, and ToXml puts one event on
each line. The files can be many gigabytes, come in UTF-8 or UTF-16, and really do contain control
characters that XML 1.0 forbids, so the bytes go through a streaming feed before lxml sees them:
it transcodes to UTF-8, drops the declaration and the BOM, removes the forbidden characters, and
supplies a synthetic root when the tool wrote none. A DOCTYPE is refused before any parsing, since
an event export never has one and its entity declarations are what XXE and billion-laughs files
use.

When the XML breaks (a truncated copy, a mangled event) the damage is reported and parsing resumes
at the next `<Event` start tag, so what can still be read is read.
"""

from __future__ import annotations

import codecs
import re
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from lxml import etree

from wcfevents.model import Event
from wcfevents.sources import Damage, DamageReport, Input, InputError, QuickCheck
from wcfevents.sources.event_xml import event_from_element

EVENT_NS = "http://schemas.microsoft.com/win/2004/08/events/event"
FLAVOURS = ("tracerpt", "wevtutil", "toxml")

_EVENT_TAGS = (f"{{{EVENT_NS}}}Event", "Event")

_CHUNK = 1 << 20  # raw bytes read at a time
_PROLOG_LIMIT = 1 << 20  # characters allowed before the first element
_RETAIN_LIMIT = 256 << 20  # output kept for resynchronising inside one huge broken region
_NO_EVENT_LIMIT = 16 << 20  # output bytes without a single <Event tag before giving up

# Options that keep the parser from expanding entities, loading DTDs or touching the network; the
# size limits are lifted because exception texts and message bodies reach megabytes.
_PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": True,
    "collect_ids": False,
    "remove_comments": True,
    "remove_pis": True,
}

# C0 controls other than tab, LF and CR; in UTF-8 these bytes never occur inside a longer sequence.
_CONTROL_BYTES = bytes(b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D))
_CHAR_REF = re.compile(rb"&#([xX][0-9a-fA-F]{1,8}|[0-9]{1,10});")
_EVENT_START = re.compile(rb"<Event[\s/>]")
_EVENT_START_TEXT = re.compile(r"<Event[\s/>]")
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ELEMENT_NAME = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_POSITION = re.compile(r",? line \d+, column \d+.*$")


# -- encodings and the prolog ------------------------------------------------------------------


def _sniff_encoding(head: bytes) -> tuple[str, int]:
    """The codec to decode with and the length of the BOM to skip.

    A BOM wins, then the NUL pattern of UTF-16 without one, then a declared single-byte encoding;
    anything else is read as UTF-8.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if head[:2] == b"<\x00":
        return "utf-16-le", 0
    if head[:2] == b"\x00<":
        return "utf-16-be", 0
    match = _DECLARED_ENCODING.match(head)
    if match:
        try:
            name = codecs.lookup(match.group(1).decode("ascii")).name
        except LookupError:
            name = "utf-8"
        if not name.startswith(("utf-16", "utf-32")) and b"\x00" not in head[:64]:
            return name, 0
    return "utf-8", 0


@dataclass(frozen=True, slots=True)
class _Prolog:
    """What comes before the first element: the declaration to drop and the first element's name."""

    decl_end: int  # characters of the XML declaration (0 when there is none)
    doctype: bool
    root: str | None  # local name of the first element; None when text or nothing comes first


def _scan_prolog(text: str, final: bool) -> _Prolog | None:
    """Analyse the prolog; None when more text is needed to tell."""
    pos, size, decl_end = 0, len(text), 0
    if text.startswith("\ufeff"):
        pos = 1
    while True:
        while pos < size and text[pos] in " \t\r\n":
            pos += 1
        if pos >= size:
            return _Prolog(decl_end, False, None) if final else None
        if not final and size - pos < 16:
            return None
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            if end < 0:
                return _Prolog(decl_end, False, None) if final else None
            if decl_end == 0 and text.startswith("<?xml", pos) and text[pos + 5] in " \t\r\n?":
                decl_end = end + 2
            pos = end + 2
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos + 4)
            if end < 0:
                return _Prolog(decl_end, False, None) if final else None
            pos = end + 3
        elif text.startswith("<!", pos):
            return _Prolog(decl_end, True, None)
        else:
            match = _ELEMENT_NAME.match(text, pos)
            return _Prolog(decl_end, False, match.group(1) if match else None)


def _decode_head(head: bytes) -> str:
    codec, bom = _sniff_encoding(head)
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    return decoder.decode(head[bom:], final=False)


def detect_flavour(head: bytes) -> str | None:
    """Which tool wrote an export, from its first bytes: "tracerpt", "wevtutil", "toxml" or None.

    tracerpt has an `<Events>` root; wevtutil and ToXml have none and differ in what separates
    events (nothing, or a line break). A single rootless event is called "wevtutil".
    """
    text = _decode_head(head)
    prolog = _scan_prolog(text, final=True)
    if prolog is None or prolog.doctype or prolog.root is None:
        return None
    if prolog.root == "Events":
        if EVENT_NS in text or re.search(r"<Events\s*(/>|>\s*</Events\s*>)", text):
            return "tracerpt"
        return None
    if prolog.root != "Event" or EVENT_NS not in text:
        return None
    gap = re.search(r"</Event\s*>(\s*)<Event[\s/>]", text)
    if gap is not None and "\n" in gap.group(1):
        return "toxml"
    return "wevtutil"


# -- the streaming feed ------------------------------------------------------------------------


class _NotEvents(Exception):
    """Raised through lxml when a forced flavour meets a file without any event elements."""


@dataclass(slots=True)
class _Piece:
    """One produced chunk: where it sits in the output and the input, and its text (for offsets)."""

    out_start: int
    out_end: int
    raw_start: int
    lines_before: int
    first_start: int  # index of the first `<Event` tag at or after out_start
    text: str


class _Feed:
    """The input as clean UTF-8 XML, produced chunk by chunk, with every `<Event` start recorded.

    Output is kept from the start of the first event not yet parsed, so that parsing can resume
    there (or at the next event) after damage; everything before it is dropped as events complete.
    """

    def __init__(self, raw: BinaryIO, name: str) -> None:
        self._raw = raw
        self._name = name
        first = raw.read(_CHUNK)
        self._codec, bom = _sniff_encoding(first[:4096])
        self._decoder = codecs.getincrementaldecoder(self._codec)(errors="replace")
        self._raw_pos = bom  # input offset of the first character not yet emitted
        self._carry = ""
        self._eof = False
        self._out = bytearray()
        self._out_base = 0  # output position of self._out[0]
        self._starts: deque[int] = deque()  # output positions of <Event start tags
        self._starts_base = 0  # index of self._starts[0] among all start tags
        self._pieces: deque[_Piece] = deque()
        self._lines = 0
        self._keep = 0  # output before this may be dropped
        self._served = 0  # end of the output the parser has read
        self.rootless = False
        self.root: str | None = None
        self._prologue(first[bom:])

    # The prolog decides between a real and a synthetic root, and refuses a DOCTYPE.
    def _prologue(self, data: bytes) -> None:
        text = self._decoder.decode(data, final=not data)
        self._eof = not data
        while True:
            prolog = _scan_prolog(text, final=self._eof)
            if prolog is not None:
                break
            if len(text) > _PROLOG_LIMIT:
                raise InputError(
                    f"{self._name}: no XML element in the first {_PROLOG_LIMIT} characters"
                )
            data = self._raw.read(_CHUNK)
            self._eof = not data
            text += self._decoder.decode(data, final=self._eof)
        if prolog.doctype:
            raise InputError(
                f"{self._name}: refused: the XML declares a DOCTYPE, which event exports never "
                "have (its entities are not expanded)"
            )
        self.root = prolog.root
        self.rootless = prolog.root != "Events"
        if prolog.decl_end:
            self._raw_pos += self._raw_length(text[: prolog.decl_end])
            text = text[prolog.decl_end :]
        self._carry = text

    @property
    def codec(self) -> str:
        return self._codec

    @property
    def body_start(self) -> int:
        """Input offset of what follows the BOM and the XML declaration (valid until the first
        chunk is produced)."""
        return self._raw_pos

    def _raw_length(self, text: str) -> int:
        return len(text.encode(self._codec, errors="replace"))

    def _produce(self) -> bool:
        """Emit the next chunk of output; False at the end of the input."""
        text = self._carry
        while not self._eof and len(text) < _CHUNK // 2:
            data = self._raw.read(_CHUNK)
            self._eof = not data
            text += self._decoder.decode(data, final=self._eof)
        if not text:
            return False
        cut = len(text)
        if not self._eof:
            # Hold back a possibly incomplete `<Event` tag or character reference.
            tail = max(0, cut - 32)
            cut = max(text.rfind("<", tail), text.rfind("&", tail))
            if cut < 0:
                cut = len(text)
        piece, self._carry = text[:cut], text[cut:]
        encoded = piece.encode("utf-8", errors="replace")
        raw_length = len(encoded) if self._codec == "utf-8" else self._raw_length(piece)
        if "\ufffe" in piece or "\uffff" in piece:  # instant on Latin-1 text
            encoded = encoded.replace(b"\xef\xbf\xbe", b"").replace(b"\xef\xbf\xbf", b"")
        out = _clean(encoded)
        start = self._out_base + len(self._out)
        first_start = self._starts_base + len(self._starts)
        self._starts.extend(start + m.start() for m in _EVENT_START.finditer(out))
        self._pieces.append(
            _Piece(start, start + len(out), self._raw_pos, self._lines, first_start, piece)
        )
        self._raw_pos += raw_length
        self._lines += out.count(b"\n")
        self._out += out
        if self._starts_base == 0 and not self._starts and start + len(out) > _NO_EVENT_LIMIT:
            raise _NotEvents(f"no <Event> element in the first {_NO_EVENT_LIMIT >> 20} MiB")
        self._trim()
        return True

    @property
    def _out_end(self) -> int:
        return self._out_base + len(self._out)

    def read_at(self, pos: int, size: int) -> bytes:
        """Output bytes from `pos`; empty at the end of the input."""
        while pos >= self._out_end:
            if not self._produce():
                return b""
        # Only a broken stretch longer than the retention limit can have been dropped unread.
        pos = max(pos, self._out_base)
        begin = pos - self._out_base
        data = bytes(self._out[begin : begin + size])
        self._served = pos + len(data)
        return data

    def start(self, index: int) -> int | None:
        """The output position of the index-th `<Event` start tag, producing as far as needed."""
        while index - self._starts_base >= len(self._starts):
            if not self._produce():
                return None
        if index < self._starts_base:
            return None
        return self._starts[index - self._starts_base]

    def release(self, completed: int) -> None:
        """Events before `completed` are parsed: their output may be dropped."""
        while self._starts and self._starts_base < completed:
            self._starts.popleft()
            self._starts_base += 1
        following = self._starts[0] if self._starts else self._out_end
        self._keep = min(following, self._served)  # never what the parser has yet to read
        self._trim()

    def _trim(self) -> None:
        keep = max(self._keep, self._out_end - _RETAIN_LIMIT)
        drop = keep - self._out_base
        if drop > (1 << 20) and drop * 2 > len(self._out):
            del self._out[:drop]
            self._out_base = keep
        while len(self._pieces) > 1 and self._pieces[0].out_end <= self._out_base:
            self._pieces.popleft()

    def locate(self, index: int) -> tuple[int | None, int | None]:
        """Input byte offset and line of the index-th `<Event` tag (if still in the window).

        Exact for valid input; approximate where invalid bytes or characters were replaced.
        """
        pos = self.start(index)
        if pos is None:
            return None, None
        for piece in self._pieces:
            if piece.out_start <= pos < piece.out_end:
                break
        else:
            return None, None
        rank = index - piece.first_start
        matches = list(_EVENT_START_TEXT.finditer(piece.text))
        if rank >= len(matches):
            return piece.raw_start, piece.lines_before + 1
        index = matches[rank].start()
        head = piece.text[:index]
        return piece.raw_start + self._raw_length(head), piece.lines_before + head.count("\n") + 1


def _clean(data: bytes) -> bytes:
    """UTF-8 bytes without the C0 controls XML 1.0 forbids, raw or as character references."""
    data = data.translate(None, _CONTROL_BYTES)
    if b"#" in data and b"&#" in data:  # a one-byte search first: it is much faster
        data = _CHAR_REF.sub(_valid_char_ref, data)
    return data


def _valid_char_ref(match: re.Match[bytes]) -> bytes:
    body = match.group(1)
    code = int(body[1:], 16) if body[:1] in b"xX" else int(body)
    allowed = (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )
    if not allowed:
        return b""
    return b"&#x" + body[1:] + b";" if body[:1] == b"X" else match.group(0)


class _Session:
    """What one iterparse run reads: the feed from a position, inside a synthetic root if needed."""

    def __init__(self, feed: _Feed, pos: int, prefix: bytes, suffix: bytes) -> None:
        self._feed, self._pos, self._prefix, self._suffix = feed, pos, prefix, suffix

    def read(self, size: int) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix, b""
            return data
        data = self._feed.read_at(self._pos, size)
        if data:
            self._pos += len(data)
            return data
        data, self._suffix = self._suffix, b""
        return data


# -- the direct path --------------------------------------------------------------------------


class _Unclean(Exception):
    """The input holds what the feed would change: it has to be read through the feed."""


class _Direct:
    """The input's own bytes as the parser's stream, for UTF-8 input that the feed would pass on
    unchanged, which saves the feed's copies and scans on the common, clean export.

    Of what the feed changes, the parser itself rejects everything but one: a character reference
    the feed drops or rewrites is literal text inside CDATA. So references are checked here (one
    cut off at the end of a read waits for the next), and `_Unclean` is raised for any the feed
    would touch, and for an input the feed would give up on.
    """

    def __init__(self, raw: BinaryIO, prefix: bytes, suffix: bytes) -> None:
        self._raw, self._prefix, self._suffix = raw, prefix, suffix
        self._held = b""
        self._served = 0
        self._tagged = False  # an `<Event` start tag has been served

    def read(self, size: int) -> bytes:
        if self._prefix:
            data, self._prefix = self._prefix, b""
            return data
        data = b""
        while not data:  # an empty read would end the parse
            more = self._raw.read(size)
            if not more:
                data, self._held, self._suffix = self._held + self._suffix, b"", b""
                return data
            data, self._held = self._held + more, b""
            amp = data.rfind(b"&", max(0, len(data) - 16))
            if amp >= 0 and b";" not in data[amp:]:
                data, self._held = data[:amp], data[amp:]  # a reference may go on in the next read
        if b"&#" in data:
            for match in _CHAR_REF.finditer(data):
                if _valid_char_ref(match) != match.group(0):
                    raise _Unclean("a character reference the feed would change")
        self._served += len(data)
        if not self._tagged:
            # The feed gives up on an input with no `<Event` start tag in its first
            # _NO_EVENT_LIMIT bytes (a prefixed `<e:Event` is not one); leave that to it, well
            # before the point where it would.
            self._tagged = _EVENT_START.search(data) is not None
            if not self._tagged and self._served > _NO_EVENT_LIMIT // 2:
                raise _Unclean("no <Event start tag")
        return data


def _direct_possible(feed: _Feed, stream: BinaryIO) -> bool:
    """UTF-8 exports with an event root or none, on a stream that can be read again."""
    try:
        return feed.codec == "utf-8" and feed.root in ("Events", "Event") and stream.seekable()
    except (OSError, ValueError):
        return False


def _direct(feed: _Feed, stream: BinaryIO, name: str) -> Generator[Event, None, tuple[int, bool]]:
    """The events of the input parsed from its own bytes; returns how many were given and
    whether that is all of them. It stops, unfinished, at anything but a clean parse to the end
    (damage, something the feed would change, an event that does not map, nested events), for
    the feed to read the input again and say what it says about it."""
    stream.seek(feed.body_start)
    prefix = b"<Events>" if feed.rootless else b""
    suffix = b"</Events>" if feed.rootless else b""
    source = _Direct(stream, prefix, suffix)
    parser = etree.iterparse(source, events=("end",), tag=_EVENT_TAGS, **_PARSER_OPTIONS)
    given = 0
    try:
        for _action, elem in parser:
            parent = elem.getparent()
            if parent is not None and parent.getparent() is not None:
                return given, False
            event = event_from_element(elem, name)
            elem.clear(keep_tail=True)
            if parent is not None:
                while elem.getprevious() is not None:
                    del parent[0]
            given += 1
            yield event
    except Exception:  # damage, _Unclean, an event that does not map: the feed says what it is
        return given, False
    return given, given > 0


# -- the reader --------------------------------------------------------------------------------


def _message(exc: Exception) -> str:
    """lxml's message on one line, without its positions (they count from a resumed point)."""
    lines = str(exc).splitlines()
    text = _POSITION.sub("", lines[0]).strip() if lines else ""
    return text or type(exc).__name__


class XmlReader:
    """Reader for tracerpt, wevtutil and Get-WinEvent ToXml exports.

    `flavour` forces the tool instead of detecting it from the first bytes; it also lets through
    files whose start does not look like an export (a long comment, say). Whether the content has
    a root of its own is always taken from the content, since guessing it wrong would lose every
    event. Every event of every provider is yielded (tracerpt's EventTrace header too); picking the
    WCF ones is the caller's business.

    Valid XML of another schema is refused with InputError when the flavour is detected; with a
    forced flavour it yields nothing and reports one Damage.
    """

    name = "xml"

    def __init__(self, flavour: str | None = None) -> None:
        if flavour is not None and flavour not in FLAVOURS:
            raise ValueError(f"unknown XML flavour {flavour!r}; valid: {', '.join(FLAVOURS)}")
        self.flavour = flavour

    def events(self, source: Input, report: DamageReport,
               quick: QuickCheck | None = None) -> Iterator[Event | None]:
        """Yield every event that parses; report each damaged stretch and resume after it."""
        head = source.head()
        stream = source.open()
        try:
            feed = _Feed(stream, source.name)
            flavour = self.flavour or detect_flavour(head)
            if flavour is None:
                found = f"<{feed.root}>" if feed.root else "no element"
                raise InputError(
                    f"{source.name}: not an XML export of ETW events (tracerpt, wevtutil or "
                    f"Get-WinEvent ToXml); found {found}"
                )
            if _direct_possible(feed, stream):
                given, finished = yield from _direct(feed, stream, source.name)
                if finished:
                    return
                # Something the feed would have changed, or damage: read it all again through
                # the feed, passing over the events already given (they parse the same).
                stream.seek(0)
                feed = _Feed(stream, source.name)
                yield from _parse(feed, source.name, report, given)
                return
            yield from _parse(feed, source.name, report)
        finally:
            if source.stream is None:
                stream.close()


def _parse(feed: _Feed, name: str, report: DamageReport, given: int = 0) -> Iterator[Event]:
    """Every event of the feed but the first `given` (already given, so not mapped again); a file
    with no events at all is given up early."""
    try:
        yield from _sessions(feed, name, report, given)
    except _NotEvents as exc:
        report(Damage(name, None, f"not an event export: {exc}"))


def _sessions(feed: _Feed, name: str, report: DamageReport, given: int = 0) -> Iterator[Event]:
    """Run iterparse sessions over the feed, one more after each damaged stretch; the first
    `given` events (which the direct path mapped without fault) are parsed but not mapped."""
    completed = 0  # events parsed so far
    skipped = 0  # `<Event` start tags passed over as damaged; completed + skipped = tags behind
    damaged = 0
    session_start = 0
    first = True
    while True:
        prefix = b"<Events>" if feed.rootless or not first else b""
        suffix = b"</Events>" if feed.rootless else b""
        parser = etree.iterparse(
            _Session(feed, session_start, prefix, suffix),
            events=("start", "end"),
            tag=_EVENT_TAGS,
            **_PARSER_OPTIONS,
        )
        started = False
        problem: str | None = None
        try:
            for action, elem in parser:
                if action == "start":
                    started = True
                    continue
                parent = elem.getparent()
                nested = parent is not None and parent.getparent() is not None
                if nested and any(True for _ in elem.iterancestors(elem.tag)):
                    problem = "an <Event> inside an event that was never closed"
                    break
                try:
                    event: Event | None = (
                        event_from_element(elem, name) if completed >= given else None)
                except Exception as exc:
                    event = None
                    problem_at, line = feed.locate(completed + skipped)
                    report(Damage(name, problem_at, f"event at line {line} not decoded: {exc}", 1))
                completed += 1
                started = False
                elem.clear(keep_tail=True)
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
                feed.release(completed + skipped)
                if event is not None:
                    yield event
        except etree.XMLSyntaxError as exc:
            problem = _message(exc)
        if problem is None:
            break
        index = completed + skipped
        here = feed.start(index)
        if not started and here is not None and here <= session_start and not first:
            skipped += 1  # the stretch was already reported; move past it
        else:
            damaged += 1
            report(_damage(feed, name, index if here is not None else None, started, problem))
            if started:
                skipped += 1  # the broken event itself
        first = False
        following = feed.start(completed + skipped)
        while following is not None and following <= session_start:
            skipped += 1  # always move forward: never parse the same stretch twice
            following = feed.start(completed + skipped)
        if following is None:
            break
        session_start = following
    if completed == 0 and damaged == 0 and feed.root not in ("Events", "Event"):
        detail = f"no <Event> elements of the Windows event schema under <{feed.root}>"
        report(Damage(name, None, detail))


def _damage(feed: _Feed, name: str, index: int | None, started: bool, problem: str) -> Damage:
    """One line on where the XML broke: at the input offset of the event it broke in or before."""
    if index is None:
        return Damage(name, None, f"XML breaks after the last complete event: {problem}")
    offset, line = feed.locate(index)
    if started:
        return Damage(name, offset, f"event at line {line} is broken or cut off: {problem}", 1)
    return Damage(name, offset, f"XML breaks before the event at line {line}: {problem}")


def make_xml_reader(flavour: str | None = None) -> XmlReader:
    """The XML reader, detecting the flavour or forced to one (`--input-format`)."""
    return XmlReader(flavour)
