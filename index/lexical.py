"""BM25 over passages with bm25s: the tokenizer and a small index wrapper. Derived data, rebuilt from the store."""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer

from .spelling import MIN_LENGTH, Vocabulary
from .stopwords import BARE_CONTRACTIONS, STOPWORDS

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets its own logger to DEBUG on import
_STEMMER = Stemmer.Stemmer("english")
# Numbers keep their grouping and separators as one token ("2,500" -> "2500", "9/11" stays "9/11").
_TOKEN = re.compile(r"\d+(?:[.,/:]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)*")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})


def fold(text: str) -> str:
    """Case-, accent- and apostrophe-folded text."""
    text = text.translate(_QUOTES).casefold()
    if text.isascii():  # the common case: nothing to decompose
        return text
    text = unicodedata.normalize("NFKD", text)
    if text.isascii():
        return text
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
        stem = _STEMMER.stemWord(surface)
        if surface in BARE_CONTRACTIONS or stem in STOPWORDS:
            continue  # "whats", "dont", "hows" as typed in chat: the stopword without its apostrophe
        out.append((surface, stem))
    return out


def tokenize(text: str) -> list[str]:
    """Stemmed content tokens: folded, stopwords dropped, numbers and dotted abbreviations normalised."""
    return [token for _, token in words(text)]


def flat_rows(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions into a CSR value array of the given rows' values, and for each position its index in ``rows``."""
    starts = ptr[rows]
    lengths = ptr[rows + 1] - starts
    owner = np.repeat(np.arange(len(rows)), lengths)
    if not len(owner):
        return np.zeros(0, dtype=np.int64), owner
    firsts = np.cumsum(lengths) - lengths
    return np.arange(len(owner)) - np.repeat(firsts, lengths) + np.repeat(starts, lengths), owner


@dataclass(frozen=True)
class TokenRows:
    """Tokenized rows in CSR form: per row its distinct token ids (sorted) with their counts, and its length."""

    ptr: np.ndarray  # int64, rows + 1
    ids: np.ndarray  # int32
    tf: np.ndarray  # int32
    length: np.ndarray  # int32: tokens of the row, repeats included

    def __len__(self) -> int:
        return len(self.ptr) - 1

    def row(self, i: int) -> np.ndarray:
        return self.ids[self.ptr[i] : self.ptr[i + 1]]

    def take(self, rows: np.ndarray) -> TokenRows:
        pos, owner = flat_rows(self.ptr, rows)
        counts = np.bincount(owner, minlength=len(rows)) if len(rows) else np.zeros(0, dtype=np.int64)
        ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return TokenRows(ptr, self.ids[pos], self.tf[pos], self.length[rows])

    @staticmethod
    def concat(parts: Sequence[TokenRows]) -> TokenRows:
        parts = [p for p in parts if len(p)]
        if not parts:
            return _EMPTY_ROWS
        shifts = np.cumsum([0] + [len(p.ids) for p in parts[:-1]])
        ptr = np.concatenate([[0]] + [p.ptr[1:] + s for p, s in zip(parts, shifts, strict=True)])
        return TokenRows(
            ptr.astype(np.int64),
            np.concatenate([p.ids for p in parts]),
            np.concatenate([p.tf for p in parts]),
            np.concatenate([p.length for p in parts]),
        )

    @property
    def nbytes(self) -> int:
        return self.ptr.nbytes + self.ids.nbytes + self.tf.nbytes + self.length.nbytes


_EMPTY_ROWS = TokenRows(
    np.zeros(1, dtype=np.int64),
    np.zeros(0, dtype=np.int32),
    np.zeros(0, dtype=np.int32),
    np.zeros(0, np.int32),
)


class Lexicon:
    """Token ids and the surface words seen with each token (for typo repair), shared by the indexes built from
    it. It only grows (a reload adds the new rows' words); a word whose token no live row uses any more is
    never offered as a correction (see ``LexicalIndex.query_tokens``)."""

    def __init__(self, tokens: Sequence[str] = (), surfaces: dict[str, int] | None = None) -> None:
        self.tokens: list[str] = list(tokens)
        self.ids: dict[str, int] = {t: i for i, t in enumerate(self.tokens)}
        self.surfaces: dict[str, int] = dict(surfaces or {})  # surface word -> token id

    def copy(self) -> Lexicon:
        return Lexicon(self.tokens, self.surfaces)

    def id_of(self, token: str) -> int:
        i = self.ids.get(token)
        if i is None:
            i = self.ids[token] = len(self.tokens)
            self.tokens.append(token)
        return i

    def rows(self, fields: Sequence[str]) -> TokenRows:
        """Tokenize ``fields`` (one text per row) into rows, adding new words to this lexicon."""
        ptr = [0]
        ids: list[int] = []
        tfs: list[int] = []
        lengths: list[int] = []
        for text in fields:
            counts: Counter[int] = Counter()
            for surface, token in words(text):
                i = self.id_of(token)
                counts[i] += 1
                if not surface[0].isdigit() and len(surface) >= MIN_LENGTH - 2:
                    self.surfaces.setdefault(surface, i)
            for i in sorted(counts):
                ids.append(i)
                tfs.append(counts[i])
            ptr.append(len(ids))
            lengths.append(sum(counts.values()))
        return TokenRows(
            np.asarray(ptr, dtype=np.int64),
            np.asarray(ids, dtype=np.int32),
            np.asarray(tfs, dtype=np.int32),
            np.asarray(lengths, dtype=np.int32),
        )


def bm25_scores(rows: TokenRows, n_tokens: int, k1: float, b: float) -> tuple[dict, np.ndarray]:
    """bm25s's eager sparse index (CSC: one column of row scores per token) of ``rows``, computed with numpy from
    token counts, and the document frequency of every token. Same scores as ``bm25s.BM25(k1, b).index`` (method
    "lucene"; a row without tokens counts as one token long, as bm25s's placeholder token makes it)."""
    n = len(rows)
    counts = np.diff(rows.ptr)
    row_of = np.repeat(np.arange(n, dtype=np.int32), counts)
    df = np.bincount(rows.ids, minlength=n_tokens).astype(np.int64)
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    lengths = np.maximum(rows.length, 1).astype(np.float64)
    avg = lengths.mean() if n else 1.0
    tf = rows.tf.astype(np.float32)
    tfc = tf / (k1 * ((1 - b) + b * lengths[row_of] / avg) + tf)
    scores = (idf[rows.ids] * tfc).astype(np.float32)
    order = np.argsort(rows.ids, kind="stable")  # rows stay in order within a column
    indptr = np.concatenate([[0], np.cumsum(df)])
    return {"data": scores[order], "indices": row_of[order], "indptr": indptr, "num_docs": n}, df


class LexicalIndex:
    """BM25 scores over a fixed list of passages (row i = passage i), with passage- and sentence-level
    coverage of the question's words and typo-tolerant query tokens.

    Compact: the rows are token-id arrays (``TokenRows``) and BM25 is bm25s's own sparse index; no per-row Python
    objects. ``texts``/``sentences`` are kept by reference only for sentence coverage, which is computed on
    demand (its blend weight is 0; ``benchmarks/fit_blend.py`` reads it)."""

    def __init__(
        self,
        texts: Sequence[str],
        sentences: Sequence[Sequence[tuple[int, int]]] | None = None,
        k1: float = 1.2,
        b: float = 0.75,
        headers: Sequence[str] | None = None,
        *,
        lexicon: Lexicon | None = None,
        rows: TokenRows | None = None,
    ) -> None:
        """``headers`` (per passage, optional): contextual text (title, section path) that counts for BM25 and
        passage coverage, but not for sentence coverage. ``lexicon`` and ``rows``: already tokenized rows
        (``texts`` then serve sentence coverage only)."""
        if rows is None:
            fields = texts if headers is None else [f"{h}\n{t}" for h, t in zip(headers, texts, strict=True)]
            lexicon = lexicon or Lexicon()
            rows = lexicon.rows(fields)
        assert lexicon is not None
        self.lexicon = lexicon
        self.rows = rows
        self.size = len(rows)
        self._texts = texts
        self._spans = sentences
        self._n_tokens = len(lexicon.tokens)
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        self._bm25.scores, self._df = bm25_scores(rows, self._n_tokens, k1, b)
        self._bm25.vocab_dict = lexicon.ids
        self._vocabulary: Vocabulary | None = None
        self._sentence_sets: dict[int, list[frozenset[str]]] = {}

    def _token_id(self, token: str) -> int | None:
        i = self.lexicon.ids.get(token)
        return i if i is not None and i < self._n_tokens and self._df[i] > 0 else None

    def df(self, token: str) -> int:
        i = self._token_id(token)
        return 0 if i is None else int(self._df[i])

    def idf(self, token: str) -> float:
        df = self.df(token)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def vocabulary(self) -> Vocabulary:
        """The surface words of the live rows (built on first use: most questions need no repair)."""
        if self._vocabulary is None:
            toks = self.lexicon.tokens
            self._vocabulary = Vocabulary(
                (s, toks[i])
                for s, i in list(self.lexicon.surfaces.items())
                if i < self._n_tokens and self._df[i]
            )
        return self._vocabulary

    def query_tokens(self, question: str) -> list[str]:
        """The question's tokens, a word the corpus never uses replaced by its closest corpus word (see
        ``spelling``); unknown words with no close match are kept as they are."""
        out: list[str] = []
        for surface, token in words(question):
            if not self.df(token) and not surface[0].isdigit():
                token = self.vocabulary().correct(surface, self.df) or token
            out.append(token)
        return out

    def scores(self, query_tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every passage for the query (zeros when no query token is known)."""
        ids = [i for t in query_tokens if t and (i := self._token_id(t)) is not None]
        if not ids or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        s = self._bm25.scores
        out = np.zeros(self.size, dtype=np.float32)
        for i in ids:  # a column holds each row once: plain fancy-index addition is exact
            lo, hi = s["indptr"][i], s["indptr"][i + 1]
            out[s["indices"][lo:hi]] += s["data"][lo:hi]
        return out

    def token_ids(self, row: int) -> np.ndarray:
        """The distinct token ids of passage ``row`` (sorted)."""
        return self.rows.row(row)

    def jaccard(self, a: int, b: int) -> float:
        """Jaccard similarity of the token sets of rows ``a`` and ``b``."""
        x, y = self.rows.row(a), self.rows.row(b)
        if not len(x) or not len(y):
            return 1.0 if len(x) == len(y) else 0.0
        both = len(np.intersect1d(x, y, assume_unique=True))
        return both / (len(x) + len(y) - both)

    def unknown_share(self, query_tokens: Sequence[str]) -> float:
        """IDF-weighted share of the distinct query tokens that no passage uses (0..1): words the corpus
        cannot be about ("minecraft" asked of a bot's docs)."""
        weights = self.weights(query_tokens)
        total = sum(weights.values())
        if total <= 0:
            return 0.0
        return sum(w for t, w in weights.items() if not self.df(t)) / total

    def weights(self, query_tokens: Sequence[str]) -> dict[str, float]:
        """IDF weight of each distinct query token, for ``coverage`` and ``sentence_coverage``."""
        return {t: self.idf(t) for t in set(query_tokens)}

    def coverage_rows(self, weights: dict[str, float], rows: np.ndarray) -> np.ndarray:
        """IDF-weighted share of the distinct query tokens that occur in each of ``rows`` (0..1), from the BM25
        columns of the query's tokens."""
        total = sum(weights.values())
        out = np.zeros(len(rows), dtype=np.float64)
        if total <= 0 or not len(rows):
            return out
        s = self._bm25.scores
        for token, w in weights.items():
            i = self._token_id(token)
            if i is None:
                continue
            col = s["indices"][s["indptr"][i] : s["indptr"][i + 1]]
            at = np.searchsorted(col, rows)
            out += w * (col[np.minimum(at, len(col) - 1)] == rows)
        return out / total

    def coverage(self, weights: dict[str, float], row: int) -> float:
        """IDF-weighted share of the distinct query tokens that occur in passage ``row`` (0..1)."""
        return float(self.coverage_rows(weights, np.asarray([row]))[0])

    def sentence_coverage(self, weights: dict[str, float], row: int) -> float:
        """The best coverage of the question's words by one sentence of passage ``row`` (0..1)."""
        sets = self._sentence_sets.get(row)
        if sets is None:
            text = self._texts[row]
            spans = self._spans[row] if self._spans is not None else [(0, len(text))]
            sets = [frozenset(tokenize(text[a:b])) for a, b in spans]
            if not sets:
                toks = self.lexicon.tokens
                sets = [frozenset(toks[i] for i in self.rows.row(row))]
            self._sentence_sets[row] = sets
        return covered(weights, sets)


def rows_containing(ptr: np.ndarray, values: np.ndarray, rows: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """(len(rows), len(wanted)) booleans: whether each row's CSR values include each wanted value."""
    pos, owner = flat_rows(ptr, rows)
    vals = values[pos]
    out = np.zeros((len(rows), len(wanted)), dtype=bool)
    for j, w in enumerate(wanted):
        out[owner[vals == w], j] = True
    return out


def covered(weights: dict[str, float], sets: Sequence[frozenset[str]]) -> float:
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return max(sum(w for t, w in weights.items() if t in present) for present in sets) / total
