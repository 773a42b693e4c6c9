"""Typo and word-form tolerance for the lexical side: a question word the corpus never uses is replaced by the
closest corpus word within a small edit distance ("goverment" -> "government", "minsters" -> "ministers",
"militarily" -> "military").

The rule is the usual fuzzy-query rule of search engines, applied only to out-of-vocabulary words, so a word
the corpus knows is never changed:
- words shorter than MIN_LENGTH are left alone (too many short words are one edit apart);
- up to 1 edit for words shorter than TWO_EDITS_FROM letters, up to 2 edits from there on;
- the first letter must match (typos rarely hit it, and it keeps the search small);
- the fewest edits win, then the word used in the most passages, then alphabetical order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

MIN_LENGTH = 5
TWO_EDITS_FROM = 8


def max_edits(word: str) -> int:
    if len(word) < MIN_LENGTH:
        return 0
    return 1 if len(word) < TWO_EDITS_FROM else 2


class Vocabulary:
    """The corpus's surface words, grouped by first letter, each with its stem."""

    def __init__(self, words: Iterable[tuple[str, str]]) -> None:
        self._stem: dict[str, str] = {}
        for surface, stem in words:
            if len(surface) >= MIN_LENGTH - 2:
                self._stem.setdefault(surface, stem)
        self._by_first: dict[str, list[str]] = {}
        for surface in sorted(self._stem):
            self._by_first.setdefault(surface[0], []).append(surface)

    def __len__(self) -> int:
        return len(self._stem)

    def correct(self, word: str, popularity: Callable[[str], int]) -> str | None:
        """The stem of the closest corpus word to ``word`` (a folded surface word), or None.

        ``popularity(stem)`` breaks ties between equally close words (higher wins)."""
        edits = max_edits(word)
        if not edits or not word:
            return None
        pool = self._by_first.get(word[0], ())
        if not pool:
            return None
        found = process.extract(word, pool, scorer=Levenshtein.distance, score_cutoff=edits, limit=None)
        if not found:
            return None
        best = min(found, key=lambda m: (m[1], -popularity(self._stem[m[0]]), m[0]))
        return self._stem[best[0]]
