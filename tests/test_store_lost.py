"""The embedded store folder deleted while the bot runs (defect 13): detected, said, and re-created by
/reindex, so that a restart finds the documents again."""

from __future__ import annotations

import logging
import shutil

import pytest

from index.ingest import index_corpus
from index.retrieve import Retriever
from tests.bot_fixtures import running_bot
from tests.conftest import SEEDS, make_settings
from tests.fakediscord import FakeDiscord
from tests.test_handoff import quotebot

ASK = "Who hosted the talks in Moscow?"


@pytest.fixture()
def indexed(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(SEEDS.glob("*.txt"))[3:5]:
        shutil.copy(path, corpus / path.name)
    settings = make_settings(corpus, tmp_path / "store")
    index_corpus(settings, embedder=embedder)
    return settings


def sources_after_restart(settings, embedder) -> set[str]:
    reader = Retriever.open(settings, embedder)
    try:
        return {s.source for s in reader.sources()}
    finally:
        reader.close()


async def test_deleted_store_folder_is_detected_and_reindex_recreates_it(
    indexed, embedder, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    retriever = Retriever.open(indexed, embedder)
    try:
        async with running_bot(fake, retriever, indexed):
            shutil.rmtree(indexed.store_dir)  # an admin "cleans up" while the bot runs
            record = await fake.send_slash("ask", {"question": ASK})
            message = await fake.wait_answer(record, timeout=30)
            assert "hosted by Russia" in str(message["embeds"])  # answers keep coming, from memory
            assert "was deleted" in caplog.text  # and the log says what happened

            record = await fake.send_slash("reindex", user_id=fake.manager_id)
            report = await fake.wait_answer(record, timeout=60)
        assert "re-created" in report["content"] and "2 added" in report["content"]
        assert (indexed.store_dir / "chroma.sqlite3").is_file()
        assert retriever.search(ASK).answered
        assert "in use by another" in quotebot(indexed, "sources").stderr  # still owned by the bot
    finally:
        retriever.close()
    assert len(sources_after_restart(indexed, embedder)) == 2  # a restart finds the documents
