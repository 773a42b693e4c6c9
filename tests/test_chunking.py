"""Chunking: whole sentences, 40-120 words, exact offsets, deterministic ids."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from index.chunking import MAX_WORDS, MIN_WORDS, chunk_document
from index.loaders import load_corpus
from index.models import Document
from index.sentences import split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def doc(text: str) -> Document:
    return Document(doc_id="d" * 12, source="x.txt", title="T", text=text, version="v" * 64)


def sentence(n: int, i: int) -> str:
    return " ".join(f"w{i}x{j}" for j in range(n - 1)) + " end."


def test_passages_are_exact_substrings_and_whole_sentences():
    docs, _ = load_corpus(SEEDS)
    for d in docs:
        passages = chunk_document(d)
        assert passages, d.source
        sentence_starts = set()
        sentence_ends = set()
        offset = 0
        for para in d.text.split("\n\n"):
            for a, b in split_sentences(para):
                sentence_starts.add(offset + a)
                sentence_ends.add(offset + b)
            offset += len(para) + 2
        for p in passages:
            assert d.text[p.start : p.end] == p.text
            assert p.start in sentence_starts and p.end in sentence_ends
            for a, b in p.sentences:
                assert p.text[a:b].strip() == p.text[a:b]


def test_passages_respect_word_bounds_when_sentences_allow():
    text = "\n\n".join(" ".join(sentence(12, 10 * k + i) for i in range(5)) for k in range(8))
    passages = chunk_document(doc(text))
    for p in passages:
        words = len(p.text.split())
        assert words <= MAX_WORDS
        assert words >= MIN_WORDS or len(passages) == 1


def test_a_sentence_longer_than_the_limit_is_never_cut():
    giant = sentence(300, 1)
    d = doc(f"{sentence(10, 0)}\n\n{giant}\n\n{sentence(10, 2)}")
    passages = chunk_document(d)
    assert any(p.text == giant or giant in p.text for p in passages)


def test_short_paragraphs_merge_and_location_names_them():
    d = doc("\n\n".join(sentence(15, i) for i in range(6)))
    passages = chunk_document(d)
    assert len(passages) < 6
    assert passages[0].location.startswith("paragraphs 1\u2013")
    assert passages[0].location.endswith("of 6")


def test_single_paragraph_location():
    d = doc(sentence(60, 0) + "\n\n" + sentence(60, 1))
    first = chunk_document(d)[0]
    assert first.location == "paragraph 1 of 2"


def test_ids_are_deterministic_and_versioned():
    d = doc("\n\n".join(sentence(30, i) for i in range(6)))
    a, b = chunk_document(d), chunk_document(d)
    assert [p.passage_id for p in a] == [p.passage_id for p in b]
    assert len({p.passage_id for p in a}) == len(a)
    assert all(p.passage_id.startswith(d.doc_id + "-" + d.version[:12]) for p in a)
    assert [p.ordinal for p in a] == list(range(len(a)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(1, 70), min_size=1, max_size=6), min_size=1, max_size=10))
def test_chunking_covers_every_sentence_exactly_once(shape):
    paragraphs = [
        " ".join(sentence(n, 100 * k + i) for i, n in enumerate(para)) for k, para in enumerate(shape)
    ]
    d = doc("\n\n".join(paragraphs))
    passages = chunk_document(d)
    covered = [p.text[a:b] for p in passages for a, b in p.sentences]
    expected = [s for para in paragraphs for a, b in split_sentences(para) for s in [para[a:b]]]
    assert covered == expected
    assert all(d.text[p.start : p.end] == p.text for p in passages)
