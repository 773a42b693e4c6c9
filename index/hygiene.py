"""Results hygiene: near-duplicate texts are dropped, and one document gives at most MAX_PER_DOCUMENT of the
leading hits unless the question names it (its further passages move behind the other documents' hits)."""

from __future__ import annotations

import functools
from typing import Protocol, TypeVar

from .lexical import fold, tokenize
from .tables import Tables

MAX_PER_DOCUMENT = 2
NEAR_DUPLICATE = 0.8  # Jaccard similarity of token sets above which two passages count as the same text


class _Ranked(Protocol):
    @property
    def row(self) -> int: ...


S = TypeVar("S", bound=_Ranked)


def apply_hygiene(state: Tables, q: str, ranked: list[S], named: bool, need: int) -> list[S]:
    """Drop near-duplicate texts; a document gives at most MAX_PER_DOCUMENT of the leading hits unless the
    question names it (its further passages move behind the other documents' hits, never out).
    Stops once ``need`` hits are certain."""
    q_fold = fold(q)
    q_tokens = set(tokenize(q))
    kept: list[S] = []
    deferred: list[S] = []
    per_doc: dict[str, int] = {}
    for s in ranked:
        if any(state.lexical.jaccard(s.row, o.row) >= NEAR_DUPLICATE for o in kept + deferred):
            continue
        d = int(state.doc[s.row])
        doc_id = state.doc_ids[d]
        capped = not named and not names_document(
            state.sources_of[d], state.titles[d], q_fold, q_tokens, state.title_marks.get(doc_id, ())
        )
        if capped and per_doc.get(doc_id, 0) >= MAX_PER_DOCUMENT:
            deferred.append(s)
            continue
        per_doc[doc_id] = per_doc.get(doc_id, 0) + 1
        kept.append(s)
        if len(kept) >= need:
            break
    return kept + deferred


def names_document(source: str, title: str, q_fold: str, q_tokens: set[str], marks: tuple[str, ...]) -> bool:
    """Whether the question names a document: its file name, most of its title's words, or a proper noun that
    appears in this document's title and no other title."""
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0].casefold()
    if len(stem) >= 4 and stem in q_fold:
        return True
    if any(m in q_tokens for m in marks):
        return True
    title_tokens = _title_tokens(title)
    return len(title_tokens) >= 2 and len(title_tokens & q_tokens) / len(title_tokens) >= 0.6


@functools.lru_cache(maxsize=4096)
def _title_tokens(title: str) -> frozenset[str]:
    return frozenset(tokenize(title))
