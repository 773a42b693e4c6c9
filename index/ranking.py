"""Fusion and calibration: how evidence becomes one score in [0, 1]. Pure functions, documented constants.

Evidence for a candidate passage (all in [0, 1] or cosine):
- ``dense``: cosine similarity of the question and the passage embedding (all-MiniLM-L6-v2).
- ``sentence``: the best cosine similarity of the question and one sentence of the passage, or two adjacent
  sentences (their normalised mean vector, so no extra model call).
- ``lexical``: the passage's BM25 score divided by the best BM25 score of this question (0 when no query word
  is in the corpus).
- ``coverage``: IDF-weighted share of the question's content words that occur in the passage.
- ``sentence_coverage``: the same share for the passage's best single sentence (the words occur together).

``score`` is a logistic blend of them. It ranks candidates, and the same number decides confidence: a hit is
confident when its score >= CONFIDENCE_THRESHOLD. The weights and the threshold were fitted on measurements
(see README, "How answers are chosen").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Logistic blend weights, chosen by grid search for hit@1 + hit@3 (+ MRR/2) on SQuAD dev.jsonl (202 answerable)
# and tests/data/seed_eval.jsonl (94 answerable), with result hygiene applied, keeping only settings that also
# reach hit@1 >= 0.9 on seed_questions_dev.jsonl: seeds hit@1 0.947 / hit@3 1.000, SQuAD dev 0.856 / 0.931.
# The held-out SQuAD test set (0.812 / 0.927) and SciFact (nDCG@10 0.730) were only read afterwards. The
# landscape is flat: the best 20 settings differ by at most two questions per set. The BM25 score itself adds
# nothing once coverage is in (0.5 costs SQuAD hit@1); BM25 still chooses lexical candidates, supplies the IDF
# of coverage, and is the whole of the "bm25" retriever.
W_DENSE = 6.0
W_SENTENCE = 2.0
W_LEXICAL = 0.5
W_COVERAGE = 1.5
W_SENTENCE_COVERAGE = 0.0
W_HEADING = 1.0
W_UNKNOWN = -6.0
# The bias puts score 0.5 in the gap between the best candidate of unanswerable and answerable questions on
# the seed set: the top weighted sum of its 21 unanswerable questions (out of corpus, chit-chat, chrome echoes)
# never exceeds 2.77, while 93 of its 94 answerable questions reach 4.15 or more (the terse "How long did the
# takeover take?" scores 3.13: its passage is still shown first, as a weak match). 3.2 keeps a margin of 0.43
# above the unanswerable ones.
BIAS = -1.89
CONFIDENCE_THRESHOLD = 0.5

# Reciprocal-rank fusion constant, for the "rrf" comparison mode.
RRF_K = 60


@dataclass(frozen=True)
class Evidence:
    dense: float
    sentence: float
    lexical: float
    coverage: float
    sentence_coverage: float = 0.0
    heading: float = 0.0  # best cosine of the question and a heading of the section path, above or inside (0: none)
    unknown: float = 0.0  # share of the question's word weight that no passage uses (same for every candidate)


def blend(e: Evidence) -> float:
    """The calibrated score in [0, 1]."""
    z = (
        W_DENSE * e.dense
        + W_SENTENCE * e.sentence
        + W_LEXICAL * e.lexical
        + W_COVERAGE * e.coverage
        + W_SENTENCE_COVERAGE * e.sentence_coverage
        + W_HEADING * e.heading
        + W_UNKNOWN * e.unknown
        + BIAS
    )
    return 1.0 / (1.0 + math.exp(-z))


def rrf(ranks: list[int | None]) -> float:
    """Reciprocal-rank fusion of 0-based ranks (None = not retrieved by that ranker)."""
    return sum(1.0 / (RRF_K + r + 1) for r in ranks if r is not None)
