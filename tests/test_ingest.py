"""Incremental indexing against a real embedded Chroma store and the real model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.errors import StoreLockedError, StoreMismatchError
from index.ingest import index_corpus
from index.loaders import load_corpus
from index.retrieve import Retriever
from index.store import Store
from tests.conftest import SEEDS, make_settings

ARTICLE = (
    "Harbour Bridge Reopens\n\n"
    "The harbour bridge reopened to traffic on Friday after eight months of repairs to its steel cables. "
    "Engineers replaced more than four hundred corroded wires and repainted the towers.\n\n"
    "The city transport office said ferry services added during the closure will end next week, and that "
    "cyclists will get a separate lane on the eastern side of the deck from the spring."
)


@pytest.fixture()
def workspace(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    return make_settings(corpus, tmp_path / "store")


class CountingEmbedder:
    """The real model, counting how many texts it embeds."""

    def __init__(self, inner):
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.count = 0

    def embed_documents(self, texts):
        self.count += len(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text):
        return self.inner.embed_query(text)


def test_incremental_add_change_remove_unchanged(workspace, embedder):
    emb = CountingEmbedder(embedder)
    first = index_corpus(workspace, embedder=emb)
    assert (first.added, first.changed, first.removed, first.unchanged) == (5, 0, 0, 0)
    assert first.passages > 20 and emb.count > first.passages  # passages and their sentences

    emb.count = 0
    again = index_corpus(workspace, embedder=emb)
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 5)
    assert emb.count == 0 and again.embedded == 0

    corpus = Path(workspace.corpus_dir)
    (corpus / "new.txt").write_text(ARTICLE, encoding="utf-8")
    changed = sorted(corpus.glob("004_*.txt"))[0]
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\n\nA late paragraph was added to the story today.\n"
    )
    (sorted(corpus.glob("003_*.txt"))[0]).unlink()
    emb.count = 0
    report = index_corpus(workspace, embedder=emb)
    assert (report.added, report.changed, report.removed, report.unchanged) == (1, 1, 1, 3)
    docs, _ = load_corpus(corpus)
    from index.chunking import chunk_document

    expected = sum(
        len(chunk_document(d)) + sum(len(p.sentences) for p in chunk_document(d))
        for d in docs
        if d.source in ("new.txt", changed.name)
    )
    assert emb.count == expected  # only the new and the changed document were embedded

    r = Retriever.open(workspace, embedder)
    try:
        sources = {s.source for s in r.sources()}
        assert "new.txt" in sources and not any(s.startswith("003_") for s in sources)
        answer = r.search("When did the harbour bridge reopen?")
        assert answer.answered and answer.hits[0].source == "new.txt"
        assert all(
            not h.source.startswith("003_") for h in r.search("G7 foreign ministers evacuate Kabul", 5).hits
        )
        store = r.store
        markers = store.markers()
        assert {(d, m.version) for d, m in markers.items()} >= store.versions_present()
        assert store.count() == report.passages
    finally:
        r.close()


def test_interrupted_update_keeps_old_version_until_the_next_run_finishes(workspace, embedder, monkeypatch):
    index_corpus(workspace, embedder=embedder)
    corpus = Path(workspace.corpus_dir)
    target = sorted(corpus.glob("001_*.txt"))[0]
    target.write_text(target.read_text(encoding="utf-8").replace("Khalilzad", "Kalilzad"), encoding="utf-8")

    real_set_marker = Store.set_marker

    def crash(self, doc, passages):
        raise KeyboardInterrupt("killed between writing passages and switching the marker")

    monkeypatch.setattr(Store, "set_marker", crash)
    with pytest.raises(KeyboardInterrupt):
        index_corpus(workspace, embedder=embedder)
    monkeypatch.setattr(Store, "set_marker", real_set_marker)

    r = Retriever.open(workspace, embedder)
    try:
        quotes = " ".join(h.quote for h in r.search("Khalilzad departed for Turkey", 5).hits)
        assert "Khalilzad departed" in quotes and "Kalilzad" not in quotes  # wholly the old version
        assert len(r.store.versions_present()) > len(r.store.markers())  # orphans are there
    finally:
        r.close()

    emb = CountingEmbedder(embedder)
    report = index_corpus(workspace, embedder=emb)
    assert report.changed == 1 and emb.count == 0  # new passages were already written: nothing re-embedded
    r = Retriever.open(workspace, embedder)
    try:
        quotes = " ".join(h.quote for h in r.search("Kalilzad departed for Turkey", 5).hits)
        assert "Kalilzad departed" in quotes
        assert {(d, m.version) for d, m in r.store.markers().items()} == r.store.versions_present()
    finally:
        r.close()


def test_removed_document_vanishes_even_if_interrupted(workspace, embedder, monkeypatch):
    index_corpus(workspace, embedder=embedder)
    victim = sorted(Path(workspace.corpus_dir).glob("002_*.txt"))[0]
    victim.unlink()
    monkeypatch.setattr(Store, "delete_stale", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        index_corpus(workspace, embedder=embedder)
    monkeypatch.undo()
    r = Retriever.open(workspace, embedder)
    try:
        assert all(not h.source.startswith("002_") for h in r.search("Truss Lavrov Security Council", 5).hits)
    finally:
        r.close()
    index_corpus(workspace, embedder=embedder)
    r = Retriever.open(workspace, embedder)
    try:
        assert all(d != victim.name for d, _ in r.store.versions_present())
    finally:
        r.close()


class OtherModel:
    name = "some/other-model"
    dim = 8

    def embed_documents(self, texts):  # pragma: no cover - never reached
        raise AssertionError

    embed_query = embed_documents


def test_model_mismatch_is_a_clear_error_and_rebuild_fixes_it(workspace, embedder):
    index_corpus(workspace, embedder=embedder)
    with pytest.raises(StoreMismatchError, match="--rebuild"):
        index_corpus(workspace, embedder=OtherModel())
    with pytest.raises(StoreMismatchError, match="all-MiniLM-L6-v2"):
        Retriever.open(workspace, OtherModel())
    report = index_corpus(workspace, embedder=embedder, rebuild=True)
    assert report.added == 5 and report.unchanged == 0


def test_second_writer_on_embedded_store_gets_a_clear_error(workspace, embedder):
    holder = Store.open(workspace, model=embedder.name, dim=embedder.dim, write=True)
    try:
        with pytest.raises(StoreLockedError, match="Chroma server"):
            index_corpus(workspace, embedder=embedder)
    finally:
        holder.close()
    assert index_corpus(workspace, embedder=embedder).added == 5


def test_a_page_that_becomes_a_table_of_contents_leaves_the_index(tmp_path, embedder):
    """A table of contents is read and found to hold nothing to quote: its document goes, as a deleted file's
    does (an unreadable file keeps its document instead)."""
    corpus = tmp_path / "corpus"
    (corpus / "guides").mkdir(parents=True)
    (corpus / "guides" / "prefix.md").write_text(
        "# Setting a prefix\n\nUse `/prefix set` followed by the new prefix. Prefixes are limited to five "
        "characters.\n",
        encoding="utf-8",
    )
    (corpus / "guides" / "ban.md").write_text(
        "# Banning members\n\nUse `/ban @member reason` to ban a member. The reason shows in the audit log.\n",
        encoding="utf-8",
    )
    links = (
        "- [Setting a prefix](guides/prefix.md)\n- [Banning members](guides/ban.md)\n- [Home](README.md)\n"
    )
    summary = corpus / "SUMMARY.md"
    summary.write_text(f"# Summary\n\nThis book covers the bot's commands.\n\n{links}", encoding="utf-8")
    settings = make_settings(corpus, tmp_path / "store")
    first = index_corpus(settings, embedder=embedder)
    assert (first.added, first.skipped) == (3, 0)

    summary.write_text(f"# Summary\n\n{links}", encoding="utf-8")
    second = index_corpus(settings, embedder=embedder)
    assert (second.removed, second.skipped, second.unchanged) == (1, 1, 2)
    r = Retriever.open(settings, embedder)
    try:
        hits = r.search("how do I change the prefix", 3).hits
        assert hits and hits[0].source == "guides/prefix.md"
        assert all(h.source != "SUMMARY.md" for h in hits)
    finally:
        r.close()
