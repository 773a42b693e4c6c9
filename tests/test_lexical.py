"""The lexical side on its own: tokenizer, typo tolerance, passage and sentence coverage, adjacent-sentence pairs."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from index.focus import focus_span, pair_similarities
from index.lexical import LexicalIndex, tokenize, words
from index.models import Passage
from index.spelling import Vocabulary, max_edits
from index.tables import _pair_norms

TEXTS = [
    "Government ministers said the pair diverged on Afghanistan. The talks ended late.",
    "There is no military solution to the conflict, the minister said.",
    "The government of Qatar hosted the negotiations in Doha.",
    "Bread and circuses. Nothing here is about the war.",
]


def test_tokenizer_handles_names_numbers_and_abbreviations():
    assert tokenize("Khalilzad met 2,500 troops on 9/11 in the U.S.") == [
        "khalilzad",
        "met",
        "2500",
        "troop",
        "9/11",
        "us",
    ]
    assert words("Ministers' talks") == [("ministers", "minist"), ("talks", "talk")]


def test_chat_spellings_of_stopwords_are_stopwords_but_words_that_look_like_them_stay():
    # typed without the apostrophe, or a plural/verb form whose stem is a stopword: no content in them
    assert tokenize("whats the max size, hows it done, dont know, theyre here, im on it") == [
        "max",
        "size",
        "done",
        "know",
    ]
    # ... but a contraction that is also a word keeps its meaning
    assert tokenize("the channel id, ill well, lets see") == ["channel", "id", "ill", "well", "let", "see"]


@pytest.mark.parametrize(
    "word, edits", [("war", 0), ("taks", 0), ("bread", 1), ("minster", 1), ("goverment", 2)]
)
def test_edit_budget_grows_with_word_length(word, edits):
    assert max_edits(word) == edits


def test_vocabulary_corrects_typos_and_word_forms():
    vocab = Vocabulary(
        [("government", "govern"), ("ministers", "minist"), ("military", "militari"), ("mister", "mister")]
    )
    popularity = {"govern": 3, "minist": 2, "militari": 1, "mister": 5}.__getitem__
    assert vocab.correct("goverment", popularity) == "govern"
    assert vocab.correct("minsters", popularity) == "minist"
    assert vocab.correct("militarily", popularity) == "militari"
    assert vocab.correct("novelist", popularity) is None  # nothing close
    assert vocab.correct("bake", popularity) is None  # too short to correct


def test_vocabulary_needs_the_same_first_letter_and_prefers_popular_words():
    vocab = Vocabulary([("stated", "state"), ("slated", "slate"), ("crated", "crate")])
    assert vocab.correct("xrated", {"state": 1, "slate": 1, "crate": 1}.__getitem__) is None
    # "spated" is one edit from both "stated" and "slated": the word in more passages wins
    assert vocab.correct("spated", {"state": 1, "slate": 4, "crate": 9}.__getitem__) == "slate"
    assert vocab.correct("spated", {"state": 7, "slate": 4, "crate": 9}.__getitem__) == "state"


def test_query_tokens_correct_only_words_the_corpus_never_uses():
    lexical = LexicalIndex(TEXTS)
    assert lexical.query_tokens("goverment minsters diverged") == ["govern", "minist", "diverg"]
    assert lexical.query_tokens("won militarily") == ["won", "militari"]
    # known words stay, even when a close neighbour exists; unknown words with no neighbour are kept
    assert lexical.query_tokens("minister zeppelin") == ["minist", "zeppelin"]
    assert lexical.scores(lexical.query_tokens("goverment minsters"))[0] > 0
    assert lexical.scores(tokenize("goverment minsters"))[0] == 0


def test_sentence_coverage_rewards_words_that_occur_together():
    text = "The talks took place in Doha. Qatar hosted them."
    spans = [[(0, 29), (30, len(text))]]
    lexical = LexicalIndex([text], spans)
    weights = lexical.weights(tokenize("Doha talks Qatar"))
    assert lexical.coverage(weights, 0) == pytest.approx(1.0)
    assert 0.5 < lexical.sentence_coverage(weights, 0) < 1.0
    assert lexical.sentence_coverage(lexical.weights(tokenize("Doha talks")), 0) == pytest.approx(1.0)
    assert lexical.coverage(lexical.weights([]), 0) == 0.0


def test_pairs_join_adjacent_units_of_one_passage_only():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(5, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ptr = np.array([0, 3, 4, 5])  # units 0-2 belong to passage 0, unit 3 to passage 1, unit 4 to passage 2
    norms = _pair_norms(vectors, ptr)
    assert norms[2] == norms[3] == norms[4] == 0.0  # a passage's last unit pairs with nothing
    q = rng.normal(size=8).astype(np.float32)
    pairs = pair_similarities(vectors[0:3] @ q, norms[0:3])
    expected = [
        (vectors[i] + vectors[i + 1]) / np.linalg.norm(vectors[i] + vectors[i + 1]) @ q for i in (0, 1)
    ]
    assert np.allclose(pairs, expected, atol=1e-6)
    assert pair_similarities(vectors[3:4] @ q, norms[3:4]).size == 0


def test_bm25_scores_match_bm25s_own_index():
    lexical = LexicalIndex(TEXTS + [""])
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index([tokenize(t) or [""] for t in TEXTS + [""]], show_progress=False)
    for question in ("government minister", "talks war bread", "qatar doha negotiations"):
        toks = tokenize(question)
        ids = [reference.vocab_dict[t] for t in toks if t in reference.vocab_dict]
        assert np.allclose(lexical.scores(toks), reference.get_scores_from_ids(ids), atol=1e-6)


def test_coverage_and_near_duplicates_come_from_token_ids():
    lexical = LexicalIndex(TEXTS + ["Government ministers said the pair diverged on Afghanistan."])
    weights = lexical.weights(tokenize("government Qatar"))
    cov = lexical.coverage_rows(weights, np.arange(5))
    assert cov[2] == pytest.approx(1.0) and 0 < cov[0] < 1 and cov[3] == 0
    assert lexical.jaccard(0, 4) >= 0.6 and lexical.jaccard(0, 3) == 0.0


def test_focus_takes_a_pair_only_when_it_beats_the_best_sentence():
    text = "One. Two. Three."
    p = Passage(
        passage_id="d-v-00000",
        doc_id="d",
        source="d.txt",
        title="D",
        version="v",
        ordinal=0,
        text=text,
        start=0,
        end=len(text),
        first_paragraph=1,
        last_paragraph=1,
        paragraph_count=1,
        sentences=((0, 4), (5, 9), (10, 16)),
    )
    assert focus_span(p, np.array([0.2, 0.6, 0.3]), np.array([0.5, 0.55])) == (5, 9)
    assert focus_span(p, np.array([0.2, 0.6, 0.3]), np.array([0.5, 0.7])) == (5, 16)
    assert focus_span(p, np.zeros(0), np.zeros(0)) == (0, 4)
