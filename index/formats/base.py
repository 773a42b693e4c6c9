"""What every format reader shares: inline text with style spans, and the builder of a document's reading text.

A reader turns a file into a sequence of typed blocks with ``DocBuilder``; the builder joins the blocks' texts
into the reading text, tracks the section path (the headings above each block) and makes the `Document`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field, replace

from ..models import Block, BlockKind, Document, Style, StyleSpan

# Bump when reading, cleaning or chunking rules change: every document then counts as changed.
PIPELINE_VERSION = "15"

_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_INVISIBLE = str.maketrans({c: None for c in "\ufeff\u200b\u200c\u200d\u2060\u00ad"})


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str
    # a file that cannot be read now keeps the document indexed from it (it may be mid-write); a file read and
    # found to hold nothing to quote (``keep=False``) loses it, as a deleted file does
    keep: bool = True


def doc_id_for(source: str) -> str:
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]


class InlineText:
    """Running text with inline styles: white space collapsed as it is added, styles as spans.

    ``hard_break`` adds a line break that survives; every other run of white space becomes one space.
    ``suppress``/``resume`` drop text in between (script and style bodies)."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._len = 0
        self._last = " "  # as if after a space: leading white space is dropped
        self._open: dict[Style, list[tuple[int, str]]] = {}  # per style: (start, href) of open spans
        self.spans: list[StyleSpan] = []
        self._suppressed = 0

    def add(self, text: str, *, verbatim: bool = False) -> None:
        if self._suppressed or not text:
            return
        text = text.translate(_INVISIBLE)
        if not verbatim:
            text = _SPACES.sub(" ", text.replace("\n", " "))
            if self._last in " \n" and text.startswith(" "):
                text = text[1:]
        if text:
            self._parts.append(text)
            self._len += len(text)
            self._last = text[-1]

    def hard_break(self) -> None:
        if self._suppressed or not self._parts:
            return
        if self._last == " ":
            self._drop_trailing_space()
        if self._last != "\n":
            self._parts.append("\n")
            self._len += 1
            self._last = "\n"

    def styled(self, text: str, style: Style) -> None:
        self.open(style)
        self.add(text, verbatim=style == "code")
        self.close(style)

    def open(self, style: Style, href: str = "") -> None:
        """Start a span of ``style`` (a ``link`` with its address ``href``) at the current end of the text."""
        self._open.setdefault(style, []).append((self._len, href))

    def close(self, style: Style) -> None:
        starts = self._open.get(style)
        if not starts:
            return
        start, href = starts.pop()
        if self._len > start and not self._suppressed:
            self.spans.append(StyleSpan(start, self._len, style, href))

    def open_link(self, href: str | None) -> None:
        """Start a link to ``href``; an address that cannot be a link (empty, ``javascript:``, ``data:``) makes
        a link of nothing: its text stays plain."""
        self.open("link", link_address(href))

    def close_link(self) -> None:
        starts = self._open.get("link")
        if starts and not starts[-1][1]:
            starts.pop()
            return
        self.close("link")

    def suppress(self) -> None:
        self._suppressed += 1

    def resume(self) -> None:
        self._suppressed = max(0, self._suppressed - 1)

    @property
    def empty(self) -> bool:
        return not "".join(self._parts).strip()

    def _drop_trailing_space(self) -> None:
        while self._parts and self._parts[-1].endswith(" "):
            self._parts[-1] = self._parts[-1][:-1]
            self._len -= 1
            if not self._parts[-1]:
                self._parts.pop()
        self._last = self._parts[-1][-1] if self._parts else " "

    def finish(self) -> tuple[str, tuple[StyleSpan, ...]]:
        """The text stripped of surrounding white space, and its style spans (clipped, in order)."""
        text = "".join(self._parts)
        lead = len(text) - len(text.lstrip())
        body = text.strip()
        spans = []
        for s in self.spans:
            a, b = max(s.start - lead, 0), min(s.end - lead, len(body))
            while a < b and body[a].isspace():
                a += 1
            while b > a and body[b - 1].isspace():
                b -= 1
            if a < b:
                spans.append(s.moved(a, b))
        spans.sort(key=lambda s: (s.start, -s.end))
        return body, tuple(spans)


_NOT_LINKS = re.compile(r"\s*(?:javascript|vbscript|data|file):", re.I)


def link_address(href: str | None) -> str:
    """A link's address as the page wrote it (white space trimmed), or ``""`` when it is no link for a
    reader: empty, or a script, data or file address."""
    href = (href or "").strip()
    if not href or _NOT_LINKS.match(href) or any(c in href for c in "\n\r\t"):
        return ""
    return href


def slugify(text: str) -> str:
    """GitHub-style heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@dataclass
class DocBuilder:
    """Collects blocks in reading order and makes the `Document`."""

    markup: bool = True
    parts: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    _pos: int = 0
    _path: list[tuple[int, str, str]] = field(default_factory=list)  # (level, text, anchor)
    _anchors: dict[str, int] = field(default_factory=dict)

    def heading(
        self, text: str, level: int, styles: tuple[StyleSpan, ...] = (), *, lines=(0, 0), anchor: str = ""
    ) -> None:
        text = text.strip()
        if not text:
            return
        while self._path and self._path[-1][0] >= level:
            self._path.pop()
        self._path.append((level, text, self._unique_anchor(anchor or slugify(text))))
        self.add("heading", text, styles, level=level, lines=lines)

    def _unique_anchor(self, anchor: str) -> str:
        n = self._anchors.get(anchor, 0)
        self._anchors[anchor] = n + 1
        return anchor if n == 0 else f"{anchor}-{n}"

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(text for _, text, _ in self._path)

    def add(
        self,
        kind: BlockKind,
        text: str,
        styles: tuple[StyleSpan, ...] = (),
        *,
        level: int = 0,
        lang: str = "",
        lines: tuple[int, int] = (0, 0),
        tight: bool = False,
    ) -> None:
        """Append a block; ``tight`` joins it to the previous block with one line break (list items)."""
        if kind != "code":
            if not text.strip():
                return
        elif not text.strip():
            return
        if self.parts:
            sep = "\n" if tight else "\n\n"
            self.parts.append(sep)
            self._pos += len(sep)
        start = self._pos
        self.parts.append(text)
        self._pos += len(text)
        styles = tuple(s.moved(s.start + start, s.end + start) for s in styles)
        anchor = self._path[-1][2] if self._path else ""
        self.blocks.append(
            Block(kind, start, self._pos, self.path, level, lang, lines, styles, anchor if self._path else "")
        )

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def document(self, source: str, title: str, *, url: str | None = None, description: str = "") -> Document:
        text = self.text
        if any(b.kind == "heading" for b in self.blocks):
            # On a page with sections, the text above the first heading belongs to the page itself.
            self.blocks = [replace(b, path=(title,)) if not b.path else b for b in self.blocks]
        shape = "|".join(f"{b.kind}{b.start}:{b.end}:{b.lang}:{b.level}" for b in self.blocks)
        styles = "|".join(f"{s.start}:{s.end}{s.style}{s.href}" for b in self.blocks for s in b.styles)
        paths = "|".join(" > ".join(b.path) for b in self.blocks)
        version = hashlib.sha256(
            f"{PIPELINE_VERSION}\x00{title}\x00{url}\x00{text}\x00{shape}\x00{styles}\x00{paths}".encode()
        ).hexdigest()
        return Document(
            doc_id=doc_id_for(source),
            source=source,
            title=title,
            text=text,
            version=version,
            blocks=tuple(self.blocks),
            url=url,
            description=description,
            markup=self.markup,
        )


def fallback_title(source: str) -> str:
    from pathlib import PurePosixPath

    stem = PurePosixPath(source).stem
    if stem.lower() in ("readme", "index", "_index") and "/" in source:
        stem = PurePosixPath(source).parent.name
    stem = stem.replace("_", " ").replace("-", " ").strip()
    return (stem[:1].upper() + stem[1:]) if stem else source
