"""Typed, frozen records passed between the stages: Document -> Passage -> Hit."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """A cleaned corpus file.

    ``text`` is the cleaned document: its kept paragraphs joined by a blank line ("\\n\\n").
    Every quote is a substring of ``text``.
    """

    doc_id: str  # deterministic: hash of the source path
    source: str  # path relative to the corpus folder, POSIX separators
    title: str
    text: str
    version: str  # content hash of the cleaned text, title and pipeline version

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n\n") if self.text else []


@dataclass(frozen=True)
class Passage:
    """A quotable run of whole sentences inside one document."""

    passage_id: str  # "{doc_id}-{version[:12]}-{ordinal:05d}"
    doc_id: str
    source: str
    title: str
    version: str
    ordinal: int  # 0-based position of the passage in its document
    text: str  # == document.text[start:end]
    start: int
    end: int
    first_paragraph: int  # 1-based
    last_paragraph: int  # 1-based, inclusive
    paragraph_count: int  # paragraphs in the document
    sentences: tuple[tuple[int, int], ...] = field(default=())  # spans relative to ``text``

    @property
    def location(self) -> str:
        if self.first_paragraph == self.last_paragraph:
            return f"paragraph {self.first_paragraph} of {self.paragraph_count}"
        return f"paragraphs {self.first_paragraph}\u2013{self.last_paragraph} of {self.paragraph_count}"

    def sentence_texts(self) -> list[str]:
        return [self.text[a:b] for a, b in self.sentences]


@dataclass(frozen=True)
class Hit:
    """One quote returned for a question."""

    passage_id: str
    doc_id: str
    quote: str  # exact passage text, a substring of the cleaned document
    title: str
    source: str
    location: str
    ordinal: int
    score: float  # in [0, 1], higher is better; comparable with the confidence threshold
    focus: tuple[int, int] | None = None  # character offsets into ``quote`` of the best sentence(s)

    @property
    def focus_text(self) -> str:
        if self.focus is None:
            return self.quote
        return self.quote[self.focus[0] : self.focus[1]]


@dataclass(frozen=True)
class Answer:
    """The result of a search: hits best first, and whether the best clears the threshold."""

    question: str
    answered: bool
    hits: tuple[Hit, ...]


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
