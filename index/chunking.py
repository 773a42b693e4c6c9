"""`Document` -> `Passage`s of whole sentences (pure; no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Document, Passage
from .sentences import split_sentences

MIN_WORDS = 40
MAX_WORDS = 120


@dataclass(frozen=True)
class _Sentence:
    start: int  # offsets into the document text
    end: int
    words: int
    paragraph: int  # 1-based


def passage_id(doc_id: str, version: str, ordinal: int) -> str:
    return f"{doc_id}-{version[:12]}-{ordinal:05d}"


def _sentences(doc: Document) -> tuple[list[list[_Sentence]], int]:
    """Sentences grouped by paragraph, and the number of paragraphs."""
    grouped: list[list[_Sentence]] = []
    offset = 0
    paragraphs = doc.text.split("\n\n")
    for number, para in enumerate(paragraphs, start=1):
        group = [
            _Sentence(offset + a, offset + b, len(para[a:b].split()), number)
            for a, b in split_sentences(para)
        ]
        if group:
            grouped.append(group)
        offset += len(para) + 2
    return grouped, len(paragraphs)


def _split_long(sentences: list[_Sentence]) -> list[list[_Sentence]]:
    """Split one paragraph's sentences into runs of at most MAX_WORDS, balanced in size."""
    total = sum(s.words for s in sentences)
    if total <= MAX_WORDS:
        return [sentences]
    parts = -(-total // MAX_WORDS)  # ceil
    target = total / parts
    runs: list[list[_Sentence]] = [[]]
    words = 0
    for s in sentences:
        if runs[-1] and (words + s.words > MAX_WORDS or words >= target):
            runs.append([])
            words = 0
        runs[-1].append(s)
        words += s.words
    return runs


def _group(doc: Document) -> tuple[list[list[_Sentence]], int]:
    paragraphs, count = _sentences(doc)
    runs: list[list[_Sentence]] = []
    for para in paragraphs:
        runs.extend(_split_long(para))
    # Merge short runs with their neighbours (across paragraphs) while staying within MAX_WORDS.
    merged: list[list[_Sentence]] = []
    for run in runs:
        words = sum(s.words for s in run)
        if merged:
            prev_words = sum(s.words for s in merged[-1])
            if (prev_words < MIN_WORDS or words < MIN_WORDS) and prev_words + words <= MAX_WORDS:
                merged[-1] = merged[-1] + run
                continue
        merged.append(list(run))
    return merged, count


def chunk_document(doc: Document) -> list[Passage]:
    """Passages of whole sentences, roughly MIN_WORDS..MAX_WORDS words, in document order.

    Each passage's text is ``doc.text[start:end]`` exactly, so every quote is verbatim.
    """
    runs, count = _group(doc)
    passages: list[Passage] = []
    for ordinal, run in enumerate(runs):
        start, end = run[0].start, run[-1].end
        passages.append(
            Passage(
                passage_id=passage_id(doc.doc_id, doc.version, ordinal),
                doc_id=doc.doc_id,
                source=doc.source,
                title=doc.title,
                version=doc.version,
                ordinal=ordinal,
                text=doc.text[start:end],
                start=start,
                end=end,
                first_paragraph=run[0].paragraph,
                last_paragraph=run[-1].paragraph,
                paragraph_count=count,
                sentences=tuple((s.start - start, s.end - start) for s in run),
            )
        )
    return passages
