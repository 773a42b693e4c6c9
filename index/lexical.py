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

from .spelling import Vocabulary

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


def words(text: str) -> list[tuple[str, str]]:
    """(surface, token) pairs of the content words: the folded word and its stem; numbers are their own
    surface and token ("2,500" -> "2500")."""
    out: list[tuple[str, str]] = []
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", "") + " ", fold(text))
    for tok in _TOKEN.findall(text):
        if tok[0].isdigit():
            num = re.sub(r"(?<=\d),(?=\d{3})", "", tok)
            out.append((num, num))
            continue
        if tok.endswith("'s"):
            tok = tok[:-2]
        if tok in STOPWORDS or not tok:
            continue
        surface = tok.replace("'", "")
        out.append((surface, _STEMMER.stemWord(surface)))
    return out


def tokenize(text: str) -> list[str]:
    """Stemmed content tokens: folded, stopwords dropped, numbers and dotted abbreviations normalised."""
    return [token for _, token in words(text)]


class LexicalIndex:
    """BM25 scores over a fixed list of passages (row i = passage i), with passage- and sentence-level
    coverage of the question's words and typo-tolerant query tokens."""

    def __init__(
        self,
        texts: Sequence[str],
        sentences: Sequence[Sequence[tuple[int, int]]] | None = None,
        k1: float = 1.2,
        b: float = 0.75,
        headers: Sequence[str] | None = None,
    ) -> None:
        """``headers`` (per passage, optional): contextual text (title, section path) that counts for BM25 and
        passage coverage, but not for sentence coverage."""
        fields = texts if headers is None else [f"{h}\n{t}" for h, t in zip(headers, texts, strict=True)]
        pairs = [words(t) for t in fields]
        corpus = [[token for _, token in ws] for ws in pairs]
        self.size = len(corpus)
        self._df: Counter[str] = Counter()
        for toks in corpus:
            self._df.update(set(toks))
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        if self.size:
            self._bm25.index([t or [""] for t in corpus], show_progress=False)
        self._sets = [frozenset(t) for t in corpus]
        self._vocabulary = Vocabulary(
            (surface, token) for ws in pairs for surface, token in ws if not surface[0].isdigit()
        )
        spans = sentences if sentences is not None else [[(0, len(t))] for t in texts]
        self._sentence_sets = [
            [frozenset(tokenize(text[a:b])) for a, b in row_spans] or [self._sets[i]]
            for i, (text, row_spans) in enumerate(zip(texts, spans, strict=True))
        ]

    def idf(self, token: str) -> float:
        df = self._df.get(token, 0)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def query_tokens(self, question: str) -> list[str]:
        """The question's tokens, a word the corpus never uses replaced by its closest corpus word (see
        ``spelling``); unknown words with no close match are kept as they are."""
        out: list[str] = []
        for surface, token in words(question):
            if token not in self._df and not surface[0].isdigit():
                token = self._vocabulary.correct(surface, self._df.__getitem__) or token
            out.append(token)
        return out

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

    def unknown_share(self, query_tokens: Sequence[str]) -> float:
        """IDF-weighted share of the distinct query tokens that no passage uses (0..1): words the corpus
        cannot be about ("minecraft" asked of a bot's docs)."""
        weights = self.weights(query_tokens)
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        return sum(w for t, w in weights.items() if self._df.get(t, 0) == 0) / total

    def weights(self, query_tokens: Sequence[str]) -> dict[str, float]:
        """IDF weight of each distinct query token, for ``coverage`` and ``sentence_coverage``."""
        return {t: self.idf(t) for t in set(query_tokens)}

    def coverage(self, weights: dict[str, float], row: int) -> float:
        """IDF-weighted share of the distinct query tokens that occur in passage ``row`` (0..1)."""
        return covered(weights, (self._sets[row],))

    def sentence_coverage(self, weights: dict[str, float], row: int) -> float:
        """The best coverage of the question's words by one sentence of passage ``row`` (0..1)."""
        return covered(weights, self._sentence_sets[row])


def covered(weights: dict[str, float], sets: Sequence[frozenset[str]]) -> float:
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return max(sum(w for t, w in weights.items() if t in present) for present in sets) / total
