"""The compact retrieval tables (issue 12): saved for the next start, reloaded by reading only what changed, and
the Chroma-backed search above ``memory_search_passages`` answering like the in-memory one."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from index import snapshot
from index.errors import StoreUnavailableError
from index.ingest import index_corpus
from index.retrieve import Retriever
from index.store import Store, decode_spans, unit_id
from tests.conftest import DOCS, SEEDS, make_settings

QUESTIONS = [
    "Who hosted the talks in Moscow?",
    "How do I install a mod with the CLI?",
    "What did the minister say about a military solution?",
    "Which roles can mute members?",
]


@pytest.fixture()
def corpus_store(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(DOCS, corpus / "docs")
    for path in sorted(SEEDS.glob("*.txt"))[:3]:
        shutil.copy(path, corpus / path.name)
    settings = make_settings(corpus, tmp_path / "store")
    index_corpus(settings, embedder=embedder)
    return settings


def answers(retriever: Retriever) -> list[list[tuple[str, float, tuple | None]]]:
    return [[(h.passage_id, h.score, h.focus) for h in retriever.search(q, 5).hits] for q in QUESTIONS]


class Reads:
    """Counts the passages read from the store, by request."""

    def __init__(self, monkeypatch) -> None:
        self.calls: list[list[str] | None] = []
        real = Store.passage_columns

        def counted(store, live, doc_ids=None):
            self.calls.append(None if doc_ids is None else list(doc_ids))
            return real(store, live, doc_ids)

        monkeypatch.setattr(Store, "passage_columns", counted)


def test_a_second_start_reads_the_saved_tables_not_every_passage(corpus_store, embedder, monkeypatch):
    first = Retriever.open(corpus_store, embedder)
    expected = answers(first)
    snapshot.save(first.store, corpus_store, first._state, wait=True)
    first.close()
    reads = Reads(monkeypatch)
    second = Retriever.open(corpus_store, embedder)
    try:
        assert reads.calls == []  # every row came from the saved tables
        assert answers(second) == expected
    finally:
        second.close()


def test_a_reload_reads_only_the_changed_document_and_equals_a_full_load(corpus_store, embedder, monkeypatch):
    reader = Retriever.open(corpus_store, embedder)
    try:
        changed = corpus_store.corpus_dir / "docs" / "faq.md"
        changed.write_text(
            changed.read_text(encoding="utf-8")
            + "\n\n## Can lanterns be dimmed?\n\nHold Shift and scroll down.\n",
            encoding="utf-8",
        )
        index_corpus(corpus_store, embedder=embedder)
        reads = Reads(monkeypatch)
        reader.refresh()
        assert len(reads.calls) == 1 and len(reads.calls[0]) == 1  # one document read again
        hit = reader.search("How do I dim a lantern?").hits[0]
        assert "Hold Shift and scroll down." in hit.quote
        incremental = answers(reader)
        rows = reader._state
        monkeypatch.undo()
        snapshot.wait()
        snapshot.path_for(corpus_store).unlink(missing_ok=True)
        fresh = Retriever(reader.store, embedder, corpus_store)  # everything read from the store
        assert fresh._state.ids == rows.ids
        assert np.array_equal(fresh._state.unit_ptr, rows.unit_ptr)
        assert np.array_equal(fresh._state.unit_vectors, rows.unit_vectors)
        assert np.array_equal(fresh._state.pair_norm, rows.pair_norm)  # kept rows keep their pair norms
        assert answers(fresh) == incremental
    finally:
        reader.close()


def test_a_saved_table_of_a_rebuilt_store_is_ignored(corpus_store, embedder):
    first = Retriever.open(corpus_store, embedder)
    snapshot.save(first.store, corpus_store, first._state, wait=True)
    first.close()
    index_corpus(corpus_store, embedder=embedder, rebuild=True)  # new collections, same documents
    store = Store.open(corpus_store, model=embedder.name, dim=embedder.dim)
    try:
        assert snapshot.load(store, corpus_store) is None
    finally:
        store.close()


def test_above_the_memory_limit_chroma_finds_the_neighbours_and_float16_tables_rank_alike(
    corpus_store, embedder
):
    memory = Retriever.open(corpus_store, embedder)
    expected = answers(memory)
    memory.close()
    chroma_settings = corpus_store.model_copy(update={"memory_search_passages": 10})
    reader = Retriever.open(chroma_settings, embedder)
    try:
        assert not reader._state.memory_search and reader._state.unit_vectors.dtype == np.float16
        got = answers(reader)
        for want, have in zip(expected, got, strict=True):
            assert have[0][0] == want[0][0]  # the same best passage
            assert abs(have[0][1] - want[0][1]) < 0.01
    finally:
        reader.close()


def test_when_chroma_fails_the_tables_in_memory_still_answer(corpus_store, embedder, monkeypatch, caplog):
    reader = Retriever.open(corpus_store.model_copy(update={"memory_search_passages": 10}), embedder)
    try:
        expected = answers(reader)

        def down(*args, **kwargs):
            raise StoreUnavailableError("The index is not reachable right now.")

        monkeypatch.setattr(Store, "query_passages", down)
        got = answers(reader)
        assert [a[0][0] for a in got] == [a[0][0] for a in expected]  # exact scan: the same best passages
        assert "searching the tables in memory" in caplog.text
    finally:
        reader.close()


def test_unit_vectors_are_read_in_order_and_a_passage_missing_one_gets_none(corpus_store, embedder):
    store = Store.open(corpus_store, model=embedder.name, dim=embedder.dim, write=True)
    try:
        cols = store.passage_columns({d: m.version for d, m in store.markers().items()})
        counts = [len(decode_spans(s)) for s in cols.spans]
        full, complete = store.unit_vectors(cols.ids, counts)
        assert complete.all() and len(full) == sum(counts) and full.dtype == np.float32
        gap = next(i for i, n in enumerate(counts) if n >= 2)
        store._sentences.delete(ids=[unit_id(cols.ids[gap], 1)])
        half, complete = store.unit_vectors(cols.ids, counts, np.float16)
        assert half.dtype == np.float16 and complete.tolist() == [i != gap for i in range(len(counts))]
        start = sum(counts[:gap])
        kept = np.concatenate([full[:start], full[start + counts[gap] :]])
        assert np.allclose(half.astype(np.float32), kept, atol=1e-3)
    finally:
        store.close()


def test_a_first_start_gives_chromas_indexes_back_and_answers_alike(corpus_store, embedder, monkeypatch):
    """A first start reads every row (no saved tables), so chromadb holds every index it touched: a large store
    is opened afresh after that read. The retriever then answers exactly as before, Chroma's nearest-neighbour
    queries and a reindex through it still work."""
    from chromadb.api.shared_system_client import SharedSystemClient

    import index.retrieve as retrieve_module

    plain = Retriever.open(corpus_store, embedder)
    expected = answers(plain)
    snapshot.wait()
    plain.close()
    key = str(corpus_store.store_dir.resolve())
    monkeypatch.setattr(retrieve_module, "RELEASE_AFTER_COLD_START", 1)
    for cold in (True, False):
        if cold:
            (corpus_store.store_dir / "tables.npz").unlink()
        before = SharedSystemClient._identifier_to_system.get(key)
        r = Retriever.open(corpus_store.model_copy(update={"memory_search_passages": 10}), embedder)
        try:
            after = SharedSystemClient._identifier_to_system.get(key)
            assert (after is not before) == cold  # only a start without saved tables reopens the folder
            got = answers(r)
            assert [a[0][0] for a in got] == [a[0][0] for a in expected]
            assert r.reindex().line()  # the store still takes writes after its client was replaced
            assert answers(r)[0][0][0] == expected[0][0][0]
        finally:
            snapshot.wait()
            r.close()
