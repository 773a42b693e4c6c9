"""Typed, frozen records passed between the stages: Document -> Block -> Passage -> Hit.

A document is read into its *reading text*: the words a reader of the page sees, in order, with the page's
structure kept beside the text as typed blocks (heading, paragraph, list item, quote, table, code). Markup that
is not words (front matter, tags, fences, container markers, attribute lines) never enters the text; inline
formatting (bold, italics, inline code, links with their address) is kept as style spans over it. Every quote is a substring of the
reading text, so it is verbatim: the same words in the same order as the source, code character for character.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

BlockKind = Literal["heading", "paragraph", "list_item", "quote", "table", "code"]
Style = Literal["b", "i", "s", "code", "link"]
SECTION_SEP = " \u203a "  # "Title › Section › Subsection"


@dataclass(frozen=True)
class StyleSpan:
    """Inline formatting over ``[start, end)`` of the text that holds it (its block's owner).

    A ``link`` span keeps the link's address in ``href`` as the page wrote it (absolute, relative or ``#anchor``);
    the text under it is the link text, word for word. Every other style has no ``href``."""

    start: int
    end: int
    style: Style
    href: str = ""

    def moved(self, start: int, end: int) -> StyleSpan:
        """The same span (style and address) over ``[start, end)``."""
        return replace(self, start=start, end=end)


@dataclass(frozen=True)
class Block:
    """One structural unit of a document's reading text.

    ``start``/``end`` are offsets into the text that holds the block (the document's text, or a passage's
    text once the block is cut into a passage). ``path`` is the section path: the texts of the headings above
    the block (a heading's own path ends with itself). ``anchor`` is the slug of the innermost heading of the
    path, for links to it.
    """

    kind: BlockKind
    start: int
    end: int
    path: tuple[str, ...] = ()
    level: int = 0  # heading level (1-6); list nesting depth (0 = top) for list items
    lang: str = ""  # code language ("" = none)
    lines: tuple[int, int] = (0, 0)  # 1-based source lines, inclusive; (0, 0) = unknown
    styles: tuple[StyleSpan, ...] = ()
    anchor: str = ""

    def shifted(self, delta: int, lo: int | None = None, hi: int | None = None) -> Block:
        """This block moved by ``-delta`` and clipped to ``[lo, hi)`` (offsets before the shift)."""
        a = self.start if lo is None else max(self.start, lo)
        b = self.end if hi is None else min(self.end, hi)
        styles = tuple(
            s.moved(max(s.start, a) - delta, min(s.end, b) - delta)
            for s in self.styles
            if s.end > a and s.start < b
        )
        return replace(self, start=a - delta, end=b - delta, styles=styles)


def lines_location(blocks: Sequence[Block]) -> str:
    """ "line 12" or "lines 12–19": the source lines of ``blocks`` (in order), or "" when they have none."""
    lines = [b.lines for b in blocks if b.lines != (0, 0)]
    if not lines:
        return ""
    first, last = lines[0][0], lines[-1][1]
    return f"line {first}" if first == last else f"lines {first}\u2013{last}"


@dataclass(frozen=True)
class Document:
    """A corpus file read into its reading text and blocks.

    ``text`` is the blocks' texts joined by separators ("\\n\\n", or "\\n" between items of one list); every
    quote is a substring of ``text``. ``markup`` says whether the source was a formatted page (Markdown or
    HTML: quotes keep their formatting and locations are source lines) or plain text (locations are
    paragraphs).
    """

    doc_id: str  # deterministic: hash of the source path
    source: str  # path relative to the corpus folder, POSIX separators
    title: str
    text: str
    version: str  # content hash of the reading text, blocks, title and pipeline version
    blocks: tuple[Block, ...] = ()
    url: str | None = None  # the page's own address (front matter url/permalink, HTML canonical)
    description: str = ""
    markup: bool = False

    @property
    def paragraphs(self) -> list[str]:
        if self.blocks:
            return [self.text[b.start : b.end] for b in self.blocks]
        return self.text.split("\n\n") if self.text else []


@dataclass(frozen=True)
class Passage:
    """A quotable run of whole units (sentences, list items, headings, code) inside one section."""

    passage_id: str  # "{doc_id}-{version[:12]}-{ordinal:05d}"
    doc_id: str
    source: str
    title: str
    version: str
    ordinal: int  # 0-based position of the passage in its document
    text: str  # == document.text[start:end]
    start: int
    end: int
    first_paragraph: int  # 1-based block number
    last_paragraph: int  # 1-based, inclusive
    paragraph_count: int  # blocks in the document
    sentences: tuple[tuple[int, int], ...] = field(default=())  # unit spans relative to ``text``
    blocks: tuple[Block, ...] = ()  # relative to ``text``
    section: tuple[str, ...] = ()  # section path of the passage's first block
    page_url: str | None = None
    markup: bool = False

    @property
    def location(self) -> str:
        lines = lines_location(self.blocks)
        if self.markup and lines:
            return lines
        if self.first_paragraph == self.last_paragraph:
            return f"paragraph {self.first_paragraph} of {self.paragraph_count}"
        return f"paragraphs {self.first_paragraph}\u2013{self.last_paragraph} of {self.paragraph_count}"

    def sentence_texts(self) -> list[str]:
        return [self.text[a:b] for a, b in self.sentences]

    def block_at(self, offset: int) -> Block | None:
        """The block that holds character ``offset`` of ``text``."""
        for b in self.blocks:
            if b.start <= offset < b.end:
                return b
        return None


@dataclass(frozen=True)
class Hit:
    """One quote returned for a question."""

    passage_id: str
    doc_id: str
    quote: str  # exact passage text, a substring of the document's reading text
    title: str
    source: str
    location: str
    ordinal: int
    score: float  # in [0, 1], higher is better; comparable with the confidence threshold
    focus: tuple[int, int] | None = None  # character offsets into ``quote`` of the best unit(s)
    section: tuple[str, ...] = ()  # section path of the focus (or of the passage)
    url: str | None = None  # the page (and heading anchor) when known
    blocks: tuple[Block, ...] = ()  # the quote's structure, relative to ``quote``
    markup: bool = False
    # ordinals of the first and last passage of a grown quote (index/assemble.py); None: one passage
    span: tuple[int, int] | None = None

    @property
    def focus_text(self) -> str:
        if self.focus is None:
            return self.quote
        return self.quote[self.focus[0] : self.focus[1]]

    @property
    def section_text(self) -> str:
        return SECTION_SEP.join(self.section)

    @property
    def links(self) -> tuple[tuple[str, str], ...]:
        """(text, address) of the quote's links that have an absolute http(s) address, in reading order."""
        spans = sorted(
            (s.start, s.end, s.href)
            for b in self.blocks
            for s in b.styles
            if s.style == "link" and s.href.lower().startswith(("http://", "https://"))
        )
        return tuple((self.quote[a:e], href) for a, e, href in spans)


@dataclass(frozen=True)
class Answer:
    """The result of a search: hits best first, and whether the best clears the threshold."""

    question: str
    answered: bool
    hits: tuple[Hit, ...]
    small_talk: bool = False  # chat rather than a question about the documents: nothing was searched
    # whether late interaction re-ordered the first candidates; later pages of the question pass it back to
    # ``Retriever.search(rescore=...)`` so that they are cut from the same ranking
    rescored: bool = False


@dataclass(frozen=True)
class SourceInfo:
    doc_id: str
    source: str
    title: str
    passages: int


@dataclass(frozen=True)
class IndexReport:
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: int = 0
    passages: int = 0
    embedded: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"{self.added} added, {self.changed} changed, {self.removed} removed, "
            f"{self.unchanged} unchanged, {self.skipped} skipped; {self.passages} passages "
            f"({self.embedded} embedded) in {self.seconds:.1f} s"
        )
