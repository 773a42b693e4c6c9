"""The same index-and-answer path through a real `chroma run` server on loopback (CHROMA_URL)."""

from __future__ import annotations

import shutil

import pytest

from index.config import IndexSettings
from index.errors import StoreUnavailableError
from index.ingest import index_corpus
from index.retrieve import Retriever
from tests.conftest import SEEDS, free_port


def test_index_and_answer_through_a_chroma_server(chroma_server, tmp_path, embedder, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    monkeypatch.setenv("CHROMA_URL", chroma_server)
    settings = IndexSettings(
        _env_file=None, corpus_dir=corpus, store_dir=tmp_path / "unused", refresh_seconds=0
    )
    assert settings.server_url() == chroma_server

    first = index_corpus(settings, embedder=embedder)
    assert first.added == 5 and first.passages > 20
    assert not (tmp_path / "unused").exists()  # nothing was written locally

    reader = Retriever.open(settings, embedder)  # e.g. the bot, in another process
    try:
        answer = reader.search("Who hosted the talks in Moscow?")
        assert answer.answered and "hosted by Russia" in answer.hits[0].quote
        assert reader.store.location == chroma_server

        again = index_corpus(settings, embedder=embedder)
        assert again.unchanged == 5 and again.embedded == 0

        (corpus / "extra.txt").write_text(
            "Orchard Harvest\n\nThe valley orchards picked a record apple harvest this autumn, growers said.",
            encoding="utf-8",
        )
        index_corpus(settings, embedder=embedder)  # a second writer sharing the server
        hit = reader.search("How was the apple harvest this year?").hits[0]
        assert hit.source == "extra.txt"  # the reader noticed and rebuilt its lexical tables
    finally:
        reader.close()


def test_unreachable_server_is_a_clear_error(tmp_path, embedder):
    settings = IndexSettings(
        _env_file=None, corpus_dir=tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}", refresh_seconds=0
    )
    with pytest.raises(StoreUnavailableError, match="cannot reach the Chroma server"):
        Retriever.open(settings, embedder)


def test_host_and_port_settings_build_the_url(monkeypatch):
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", "8123")
    assert IndexSettings(_env_file=None).server_url() == "http://127.0.0.1:8123"
