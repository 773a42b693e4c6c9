"""Indexing in groups across documents, old versions deleted per group, unchanged files not even cleaned."""

from __future__ import annotations

import shutil

import index.ingest as ingest
from index.ingest import index_corpus
from index.retrieve import Retriever
from tests.conftest import SEEDS, make_settings

PAGE = (
    "Library hours\n\n"
    "The town library opens at nine on weekdays and at ten on Saturdays; it is closed on Sundays and on public "
    "holidays. Members may borrow up to twelve books at a time for three weeks.\n\n"
    "The reading room on the first floor is quiet, and laptops may be used at the long tables by the windows."
)


def _workspace(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    return corpus, make_settings(corpus, tmp_path / "store")


def test_small_groups_give_the_same_index_as_one_group(tmp_path, embedder, monkeypatch):
    corpus, settings = _workspace(tmp_path / "a")
    whole = index_corpus(settings, embedder=embedder)
    monkeypatch.setattr(ingest, "GROUP_PASSAGES", 4)  # several groups, each spanning documents
    calls = []
    real = ingest._write_group
    monkeypatch.setattr(ingest, "_write_group", lambda *a: calls.append(len(a[2])) or real(*a))
    _, small_settings = _workspace(tmp_path / "b")
    small = index_corpus(small_settings, embedder=embedder)
    assert len(calls) > 1 and small.passages == whole.passages and small.added == whole.added == 5
    question = "Whom has Biden publicly blamed for failing to fight back against the Taliban?"
    answers = []
    for s in (settings, small_settings):
        r = Retriever.open(s, embedder)
        try:
            answers.append([(h.passage_id, h.score) for h in r.search(question, 5).hits])
            assert {(d, m.version) for d, m in r.store.markers().items()} == r.store.versions_present()
        finally:
            r.close()
    assert [pid for pid, _ in answers[0]] == [pid for pid, _ in answers[1]]


def test_changing_one_of_two_identical_files_keeps_the_other(tmp_path, embedder):
    corpus, settings = _workspace(tmp_path)
    (corpus / "a.txt").write_text(PAGE, encoding="utf-8")
    (corpus / "b.txt").write_text(PAGE, encoding="utf-8")  # same title and text: same version string
    index_corpus(settings, embedder=embedder)
    (corpus / "a.txt").write_text(PAGE.replace("twelve books", "ten books"), encoding="utf-8")
    report = index_corpus(settings, embedder=embedder)
    assert (report.changed, report.unchanged) == (1, 6)
    r = Retriever.open(settings, embedder)
    try:
        markers = r.store.markers()
        live = {}
        for p in r.store.all_passages():
            if markers[p.doc_id].version == p.version:
                live[p.source] = live.get(p.source, "") + p.text
        assert "twelve books" in live["b.txt"] and "ten books" in live["a.txt"]
        assert {(d, m.version) for d, m in r.store.markers().items()} == r.store.versions_present()
    finally:
        r.close()


def test_unchanged_files_are_not_cleaned_again(tmp_path, embedder, monkeypatch):
    corpus, settings = _workspace(tmp_path)
    index_corpus(settings, embedder=embedder)
    loaded = []
    real = ingest.load_document
    monkeypatch.setattr(
        ingest, "load_document", lambda path, source: loaded.append(source) or real(path, source)
    )
    again = index_corpus(settings, embedder=embedder)
    assert again.unchanged == 5 and loaded == []
    (corpus / "new.txt").write_text(PAGE, encoding="utf-8")
    touched = sorted(corpus.glob("001_*.txt"))[0]
    touched.write_bytes(touched.read_bytes() + b"\n")  # same cleaned text, different bytes
    report = index_corpus(settings, embedder=embedder)
    assert sorted(loaded) == sorted(["new.txt", touched.name])
    assert (report.added, report.changed, report.unchanged, report.embedded) == (1, 0, 5, report.embedded)
    loaded.clear()
    assert index_corpus(settings, embedder=embedder).unchanged == 6 and loaded == []  # its hash was recorded
