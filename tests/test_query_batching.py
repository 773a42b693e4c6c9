"""Questions asked at the same time share one encode (index/batcher.py), and each still gets its own vector."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from index.batcher import QueryBatcher

QUESTIONS = [
    "Who hosted the talks in Moscow?",
    "What did the foreign ministers say about reprisals?",
    "When did the takeover happen?",
    "How was the apple harvest this year?",
    "Which countries pushed for power-sharing?",
    "What does the Foreign Secretary hope for?",
    "Who did the president talk to first?",
    "Where will the spring fair be held?",
    "What should volunteers bring?",
    "Why was the bridge closed?",
    "How many passengers were evacuated?",
    "Who thanked the committee?",
]


def ask_together(embed, texts: list[str]) -> list[np.ndarray]:
    """``embed(text)`` for every text from its own thread, all released at once."""
    start = threading.Barrier(len(texts))
    out: list[np.ndarray | None] = [None] * len(texts)
    errors: list[BaseException] = []

    def ask(i: int) -> None:
        start.wait()
        try:
            out[i] = embed(texts[i])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return [v for v in out if v is not None]


def test_questions_asked_together_share_encodes_and_get_their_own_vectors(embedder):
    encoder = embedder.load()
    batcher = encoder.query_batcher
    seen = len(batcher.batch_sizes)
    vectors = ask_together(encoder.embed_query, QUESTIONS)
    sizes = batcher.batch_sizes[seen:]
    assert sum(sizes) == len(QUESTIONS)
    assert len(sizes) < len(QUESTIONS) and max(sizes) > 1, sizes
    for question, vector in zip(QUESTIONS, vectors, strict=True):
        alone = encoder.embed_documents([question], query=True)[0]
        assert float(vector @ alone) > 0.9999, question  # padding in a batch changes nothing


def echo(texts: list[str]) -> np.ndarray:
    """A stand-in encoder with a visible result: each text's length, as a one-element vector."""
    return np.array([[float(len(t))] for t in texts])


def test_questions_within_the_window_form_one_batch_up_to_the_limit():
    batcher = QueryBatcher(echo, window=0.2, max_batch=4)
    try:
        vectors = ask_together(batcher.embed, ["a" * n for n in range(1, 11)])
        assert [float(v[0]) for v in vectors] == [float(n) for n in range(1, 11)]
        assert sum(batcher.batch_sizes) == 10
        assert max(batcher.batch_sizes) == 4  # the limit holds, and the window filled batches to it
    finally:
        batcher.close()


def test_a_failed_encode_reaches_every_question_in_its_batch_and_the_next_batch_works():
    def encode(texts: list[str]) -> np.ndarray:
        if "boom" in texts:
            raise ValueError("the encoder failed")
        return echo(texts)

    batcher = QueryBatcher(encode, window=0.2)
    try:
        errors: list[BaseException] = []

        def ask(text: str) -> None:
            try:
                batcher.embed(text)
            except ValueError as error:
                errors.append(error)

        threads = [threading.Thread(target=ask, args=(t,)) for t in ("boom", "fine", "also fine")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert len(errors) == 3  # one batch: every waiting question hears of the failure, none hangs
        assert float(batcher.embed("after")[0]) == 5.0
    finally:
        batcher.close()


def test_a_lone_question_waits_no_longer_than_the_window():
    batcher = QueryBatcher(echo, window=0.05)
    try:
        t0 = time.monotonic()
        batcher.embed("alone")
        assert time.monotonic() - t0 < 1.0
        batcher.close()
        with pytest.raises(RuntimeError):
            batcher.embed("after close")
    finally:
        batcher.close()
