"""Quotes grown from neighbouring passages: when two passages that follow each other in one section both rank
among the leading candidates, they are shown as one quote, as the page shows them.

A section of a documentation page is often cut into two or three passages (its prose, then its code; or a
question heading with a long code answer, then one closing sentence), and the ranking cannot always tell which of
them answers: the question "how do I react to the message my bot sent" met the FAQ entry's closing sentence first
and its code second. Growing the first quote over its neighbours of the same section, when they are candidates too,
shows the whole entry instead. Measured on the dev sets (then read once on the test sets; benchmarks/RESULTS.md):
guide dev hit@1 0.696 -> 0.734, fixture site 0.808 -> 0.846; held out: guide test 0.692 -> 0.731, test2 0.562 ->
0.604, fixture test 0.839 -> 0.871; the median first quote grew from 463 to 496 characters.

Rules: only passages of sectioned pages (Markdown, HTML), where the second continues the section the first ends in
(the same section path; a heading starts a new one); only where one passage ends with a block and the next starts
with the following block (the text between them is the reading text's block
separator, so the grown quote is still exactly the page's text); at most JOIN_CHARS characters; a neighbour joins
only when it is itself among the first POOL candidates, and then no longer appears on its own. The grown quote
keeps the score and the id of its best passage; its focus is the best unit of all its passages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

from .models import Passage

JOIN_CHARS = 800  # a grown quote stays within this many characters (one passage alone may be longer)
POOL = 10  # the leading candidates (after hygiene) that may join each other


class _Ranked(Protocol):
    @property
    def row(self) -> int: ...


S = TypeVar("S", bound=_Ranked)


def separator(a: Passage, b: Passage) -> str | None:
    """The reading text between passage ``a`` and ``b`` when ``b`` follows ``a`` in the same section and the two
    may join into one quote, else None."""
    if a.doc_id != b.doc_id or a.version != b.version or b.ordinal != a.ordinal + 1:
        return None
    if not (a.markup and b.markup) or not a.blocks or not b.blocks:
        return None
    if b.blocks[0].kind == "heading" or not b.blocks[0].path or b.blocks[0].path != a.blocks[-1].path:
        return None  # ``b`` does not continue the section ``a`` ends in (a new heading starts a new one)
    if b.first_paragraph != a.last_paragraph + 1:
        return None  # a block is cut between them: the text between is not known here
    gap = b.start - a.end
    # Blocks are joined by "\n\n", or "\n" between the items of one list (formats/base.py, DocBuilder.add).
    return "\n" * gap if gap in (1, 2) else None


def join(parts: Sequence[Passage]) -> Passage:
    """One passage made of consecutive joinable passages (document order): ``document.text[start:end]``."""
    if len(parts) == 1:
        return parts[0]
    texts: list[str] = []
    sentences: list[tuple[int, int]] = []
    blocks = []
    pos = 0
    for i, p in enumerate(parts):
        if i:
            sep = separator(parts[i - 1], p)
            if sep is None:
                raise ValueError(f"passages {parts[i - 1].passage_id} and {p.passage_id} do not join")
            texts.append(sep)
            pos += len(sep)
        sentences.extend((a + pos, b + pos) for a, b in p.sentences)
        blocks.extend(blk.shifted(-pos) for blk in p.blocks)
        texts.append(p.text)
        pos += len(p.text)
    first, last = parts[0], parts[-1]
    return replace(
        first,
        text="".join(texts),
        end=last.end,
        last_paragraph=last.last_paragraph,
        sentences=tuple(sentences),
        blocks=tuple(blocks),
    )


def grow(
    ranked: Sequence[S], passage: Callable[[int], Passage], *, limit: int = JOIN_CHARS, pool: int = POOL
) -> list[tuple[S, list[int]]]:
    """The quotes, best first: each as its leading candidate and the rows it spans (document order).

    ``passage(row)`` gives a candidate's passage. A candidate among the first ``pool`` takes in the candidates
    among the first ``pool`` that continue it, before or after, while the quote stays within ``limit``
    characters; those are then not quotes of their own."""
    head = list(ranked[:pool])
    used: set[int] = set()
    out: list[tuple[S, list[int]]] = []
    for i, s in enumerate(ranked):
        if i in used:
            continue
        used.add(i)
        rows = [s.row]
        if i < pool:
            first = last = passage(s.row)
            length = len(first.text)
            grown = True
            while grown:
                grown = False
                for j, other in enumerate(head):
                    if j in used:
                        continue
                    p = passage(other.row)
                    after, before = separator(last, p), separator(p, first)
                    sep = after if after is not None else before
                    if sep is None or length + len(sep) + len(p.text) > limit:
                        continue
                    used.add(j)
                    length += len(sep) + len(p.text)
                    if after is not None:
                        rows.append(other.row)
                        last = p
                    else:
                        rows.insert(0, other.row)
                        first = p
                    grown = True
        out.append((s, rows))
    return out
