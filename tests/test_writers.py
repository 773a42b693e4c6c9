"""Writers that crash or run side by side never leave readers stale or documents empty (defects 4 and 5).

Two writers share a real `chroma run` server, as two machines or two admins would."""

from __future__ import annotations

import shutil
import threading
import uuid

import pytest

from index.config import IndexSettings
from index.ingest import index_corpus
from index.retrieve import Retriever
from index.store import Store
from tests.conftest import SEEDS, make_settings

NEW = "The harbour committee approved the zeppelin mooring plan on Tuesday evening."
ASK = "zeppelin mooring plan"


def two_docs(folder):
    folder.mkdir(parents=True)
    for path in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(path, folder / path.name)
    return folder


def edit_first(folder):
    target = sorted(folder.glob("001_*.txt"))[0]
    target.write_text(target.read_text(encoding="utf-8") + "\n\n" + NEW + "\n", encoding="utf-8")


def server_settings(url: str, corpus, collection: str) -> IndexSettings:
    return IndexSettings(
        _env_file=None, corpus_dir=corpus, chroma_url=url, collection=collection, refresh_seconds=0
    )


def complete(store: Store) -> bool:
    """Every marker's version has all its passages in the store."""
    counts = {}
    for p in store.all_passages():
        counts[(p.doc_id, p.version)] = counts.get((p.doc_id, p.version), 0) + 1
    return all(counts.get((d, m.version), 0) == m.passages for d, m in store.markers().items())


def test_a_crash_before_the_generation_bump_is_finished_by_the_next_run(tmp_path, embedder, monkeypatch):
    settings = make_settings(two_docs(tmp_path / "corpus"), tmp_path / "store")
    index_corpus(settings, embedder=embedder)
    reader = Retriever.open(settings, embedder)  # e.g. a running bot
    try:
        assert all("zeppelin" not in h.quote for h in reader.search(ASK, 5, mode="bm25").hits)
        edit_first(settings.corpus_dir)

        def killed(*args, **kwargs):
            raise KeyboardInterrupt("killed after the writes, before the generation bump")

        # A kill leaves no chance to tidy up: nothing after the writes runs.
        for name in ("bump_generation", "finish_writer", "abort_writer"):
            if hasattr(Store, name):
                monkeypatch.setattr(Store, name, killed)
        with pytest.raises(KeyboardInterrupt):
            index_corpus(settings, embedder=embedder)
        monkeypatch.undo()

        again = index_corpus(settings, embedder=embedder)
        assert (again.added, again.changed, again.removed) == (0, 0, 0)  # nothing left to write...
        hits = reader.search(ASK, 5, mode="bm25").hits
        assert hits and NEW in hits[0].quote  # ...yet the running reader now serves the edit
    finally:
        reader.close()


def test_two_writers_on_one_server_never_empty_a_document(chroma_server, tmp_path, embedder):
    collection = f"w{uuid.uuid4().hex[:8]}"
    a_corpus = two_docs(tmp_path / "a")
    b_corpus = two_docs(tmp_path / "b")  # the same files, a copy that is not edited
    a = server_settings(chroma_server, a_corpus, collection)
    b = server_settings(chroma_server, b_corpus, collection)
    index_corpus(b, embedder=embedder)
    edit_first(a_corpus)

    # Writer A has written the edited document's new passages and is about to switch its marker...
    store_a = Store.open(a, model=embedder.name, dim=embedder.dim, write=True)
    at_switch, resume = threading.Event(), threading.Event()
    real_set_marker = store_a.set_marker

    def slow_set_marker(doc, *args, **kwargs):
        at_switch.set()
        assert resume.wait(60)
        return real_set_marker(doc, *args, **kwargs)

    store_a.set_marker = slow_set_marker
    errors: list[BaseException] = []

    def run_a():
        try:
            index_corpus(a, embedder=embedder, store=store_a)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    thread = threading.Thread(target=run_a)
    thread.start()
    try:
        assert at_switch.wait(120)
        # ...when writer B runs to the end, sweep included.
        index_corpus(b, embedder=embedder)
    finally:
        resume.set()
        thread.join(120)
        store_a.close()
    assert not errors

    with Store.open(a, model=embedder.name, dim=embedder.dim) as store:
        assert complete(store)
    reader = Retriever.open(a, embedder)
    try:
        hits = reader.search(ASK, 5, mode="bm25").hits
        assert hits and NEW in hits[0].quote
    finally:
        reader.close()


def test_a_marker_whose_passages_are_missing_is_repaired(chroma_server, tmp_path, embedder):
    settings = server_settings(chroma_server, two_docs(tmp_path / "c"), f"r{uuid.uuid4().hex[:8]}")
    first = index_corpus(settings, embedder=embedder)
    with Store.open(settings, model=embedder.name, dim=embedder.dim, write=True) as store:
        victim = sorted(store.markers().values(), key=lambda m: m.source)[0]
        store.delete_stale(victim.doc_id, None)  # e.g. swept by a writer that did not know better
        assert not complete(store)
    report = index_corpus(settings, embedder=embedder)
    assert report.changed == 1 and report.unchanged == 1 and report.passages == first.passages
    with Store.open(settings, model=embedder.name, dim=embedder.dim) as store:
        assert complete(store)
