"""BM25 over passages with bm25s: the tokenizer and a small index wrapper. Derived data, rebuilt from the store."""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import bm25s
import numpy as np
import Stemmer

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG on import
_STEMMER = Stemmer.Stemmer("english")
# Numbers keep their grouping and separators as one token ("2,500" -> "2500", "9/11" stays "9/11").
_TOKEN = re.compile(r"\d+(?:[.,/:]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)*")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "aren't",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "can't",
        "cannot",
        "could",
        "couldn't",
        "did",
        "didn't",
        "do",
        "does",
        "doesn't",
        "doing",
        "don't",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "hadn't",
        "has",
        "hasn't",
        "have",
        "haven't",
        "having",
        "he",
        "he'd",
        "he'll",
        "he's",
        "her",
        "here",
        "here's",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "how's",
        "i",
        "i'd",
        "i'll",
        "i'm",
        "i've",
        "if",
        "in",
        "into",
        "is",
        "isn't",
        "it",
        "it's",
        "its",
        "itself",
        "let's",
        "me",
        "more",
        "most",
        "mustn't",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "ought",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "shan't",
        "she",
        "she'd",
        "she'll",
        "she's",
        "should",
        "shouldn't",
        "so",
        "some",
        "such",
        "than",
        "that",
        "that's",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "there's",
        "these",
        "they",
        "they'd",
        "they'll",
        "they're",
        "they've",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "wasn't",
        "we",
        "we'd",
        "we'll",
        "we're",
        "we've",
        "were",
        "weren't",
        "what",
        "what's",
        "when",
        "when's",
        "where",
        "where's",
        "which",
        "while",
        "who",
        "who's",
        "whom",
        "why",
        "why's",
        "with",
        "won't",
        "would",
        "wouldn't",
        "you",
        "you'd",
        "you'll",
        "you're",
        "you've",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "d",
        "ll",
        "m",
        "o",
        "re",
        "ve",
        "y",
    ]
)


def fold(text: str) -> str:
    """Case-, accent- and apostrophe-folded text."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES).casefold())
    return "".join(ch for ch in text if not unicodedata.combining(ch))


_DOTTED = re.compile(r"\b(?:[^\W\d_]\.){2,}")


def tokenize(text: str) -> list[str]:
    """Stemmed content tokens: folded, stopwords dropped, numbers and dotted abbreviations normalised."""
    out: list[str] = []
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", "") + " ", fold(text))
    for tok in _TOKEN.findall(text):
        if tok[0].isdigit():
            out.append(re.sub(r"(?<=\d),(?=\d{3})", "", tok))
            continue
        if tok.endswith("'s"):
            tok = tok[:-2]
        if tok in STOPWORDS or not tok:
            continue
        out.append(_STEMMER.stemWord(tok.replace("'", "")))
    return out


class LexicalIndex:
    """BM25 scores over a fixed list of passages (row i = passage i)."""

    def __init__(self, texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        corpus = [tokenize(t) for t in texts]
        self.size = len(corpus)
        self._df: Counter[str] = Counter()
        for toks in corpus:
            self._df.update(set(toks))
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        if self.size:
            self._bm25.index([t or [""] for t in corpus], show_progress=False)
        self._sets = [frozenset(t) for t in corpus]

    def idf(self, token: str) -> float:
        df = self._df.get(token, 0)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage for the query (zeros when no query token is known)."""
        vocab = getattr(self._bm25, "vocab_dict", None) or {}
        ids = [vocab[t] for t in query_tokens if t in vocab and t != ""]
        if not ids or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def token_set(self, row: int) -> frozenset[str]:
        """The distinct tokens of passage ``row``."""
        return self._sets[row]

    def coverage(self, query_tokens: Sequence[str], row: int) -> float:
        """IDF-weighted share of the distinct query tokens that occur in passage ``row`` (0..1)."""
        distinct = set(query_tokens)
        total = sum(self.idf(t) for t in distinct)
        if total <= 0:
            return 0.0
        present = self._sets[row]
        return sum(self.idf(t) for t in distinct if t in present) / total
