"""Start-up: the bot connects before the model is loaded; questions asked during warm-up are deferred at once
and answered when the model is ready. The real discord.py client against the fake Discord, the real model."""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

from bot.client import QuoteBot
from tests.bot_fixtures import EVERYONE_CORPUS, bot_settings, corpus_settings, visible
from tests.fakediscord import FakeDiscord, start_client

QUESTION = "Whom has Biden publicly blamed for failing to fight back against the Taliban?"
GOLD = "Mr Biden has publicly blamed the Afghan Government"


class GatedEmbedder:
    """The real embedder behind a gate: ``load`` (the warm-up) blocks until the test opens the gate, standing
    in for a slow model load."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.gate = threading.Event()
        self.load_started = threading.Event()
        self.loaded = False

    def load(self) -> None:
        self.load_started.set()
        assert self.gate.wait(60), "the test never opened the gate"
        self.inner.embed_query("warm up")
        self.loaded = True

    def embed_documents(self, texts):
        return self.inner.embed_documents(texts)

    def embed_with_units(self, texts, spans):
        return self.inner.embed_with_units(texts, spans)

    def embed_query(self, text):
        assert self.loaded, "a question was embedded before the warm-up finished"
        return self.inner.embed_query(text)


async def test_question_during_warm_up_is_deferred_then_answered(
    fake: FakeDiscord, seed_settings: Any, seed_retriever: Any, embedder: Any
) -> None:
    from index.retrieve import Retriever

    gated = GatedEmbedder(embedder)
    retriever = Retriever.open(seed_settings, gated)
    bot = QuoteBot(retriever, seed_settings, bot_settings(fake), guild_ready_timeout=0.1)
    try:
        async with start_client(bot, fake, wait_ready=True):
            # Connected and ready while the model is still loading.
            assert await asyncio.to_thread(gated.load_started.wait, 10)
            assert not bot.ready.is_set() and not gated.loaded
            record = await fake.send_slash("ask", {"question": QUESTION})
            callback = await fake.wait_callback(record, timeout=5)
            assert callback.json["type"] == 5  # deferred at once, within Discord's 3 s
            await asyncio.sleep(0.3)
            edits = rf"^/webhooks/\d+/{re.escape(record.token)}/messages/@original$"
            assert not fake.find_requests("PATCH", edits)  # no answer yet
            gated.gate.set()
            message = await fake.wait_answer(record, timeout=30)
            assert bot.ready.is_set()
            assert GOLD in visible(message["embeds"][0]["description"])
    finally:
        gated.gate.set()
        retriever.close()


async def test_index_on_start_indexes_in_the_background_and_then_answers(
    fake: FakeDiscord, tmp_path: Any, embedder: Any
) -> None:
    from index.retrieve import Retriever

    settings = corpus_settings(tmp_path, EVERYONE_CORPUS)
    retriever = Retriever.open(settings, embedder)
    assert retriever.passage_count() == 0  # nothing indexed before the bot starts
    bot = QuoteBot(retriever, settings, bot_settings(fake), index_on_start=True, guild_ready_timeout=0.1)
    try:
        async with start_client(bot, fake, wait_ready=True):
            record = await fake.send_slash(
                "ask", {"question": "What should volunteers bring to the park gates?"}
            )
            callback = await fake.wait_callback(record, timeout=5)
            assert callback.json["type"] == 5
            message = await fake.wait_answer(record, timeout=60)
            assert "gloves, rakes and a flask" in visible(message["embeds"][0]["description"])
            assert retriever.passage_count() > 0
            assert [s.source for s in bot.cached_sources()] == ["village-notice.txt"]
    finally:
        retriever.close()
