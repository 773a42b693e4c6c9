"""Questions keep their latency while a large document is embedded (defect 6): the model is taken in
bounded batches, and a waiting question goes first."""

from __future__ import annotations

import threading
import time

from tests.conftest import SEEDS

QUESTION = "Who hosted the talks in Moscow?"


def paragraphs() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    words = text.split()
    return [" ".join(words[i : i + 90]) for i in range(0, len(words) - 90, 90)]


def test_a_question_does_not_wait_for_a_whole_document(embedder):
    texts = (paragraphs() * 3)[:240]  # a large document's passages: several seconds of encoding
    marks: dict[str, float] = {}

    def index_document():
        marks["docs_start"] = time.monotonic()
        vectors = embedder.embed_documents(texts)
        marks["docs_end"] = time.monotonic()
        assert vectors.shape == (len(texts), embedder.dim)

    worker = threading.Thread(target=index_document)
    worker.start()
    time.sleep(0.5)  # the document encode is under way
    asked = time.monotonic()
    vector = embedder.embed_query(QUESTION)
    answered = time.monotonic()
    worker.join(300)
    assert vector.shape == (embedder.dim,)
    docs = marks["docs_end"] - marks["docs_start"]
    assert answered < marks["docs_end"], "the question waited for the whole document"
    assert answered - asked < docs / 3, (answered - asked, docs)  # about one batch, not the rest


def test_batched_document_vectors_equal_one_by_one(embedder):
    texts = paragraphs()[:20] + ["A short one.", "Another short sentence here."]
    together = embedder.embed_documents(texts)
    alone = [embedder.embed_documents([t])[0] for t in texts]
    for a, b in zip(together, alone, strict=True):
        assert float(a @ b) > 0.9999
