"""Fixtures for the bot tests. tests/conftest.py imports them::

    from tests.conftest_bot import *  # noqa: F403

They build on the shared session fixtures ``embedder``, ``seed_settings`` and ``seed_retriever``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bot.client import QuoteBot
from index.config import IndexSettings
from tests.bot_fixtures import EVERYONE_CORPUS, corpus_settings, open_indexed_retriever, running_bot
from tests.fakediscord import FakeDiscord, running_fake

__all__ = ["empty_retriever", "everyone_retriever", "fake", "seed_bot"]


@pytest.fixture(scope="session")
def empty_retriever(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Any:
    """A retriever over a store that has nothing indexed."""
    return open_indexed_retriever(corpus_settings(tmp_path_factory.mktemp("empty"), {}), embedder)


@pytest.fixture(scope="session")
def everyone_retriever(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Any:
    """A retriever over a one-document corpus whose text contains "@everyone" and a user mention."""
    return open_indexed_retriever(
        corpus_settings(tmp_path_factory.mktemp("everyone"), EVERYONE_CORPUS), embedder
    )


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake(ack_deadline=3.0) as server:
        yield server


@pytest_asyncio.fixture
async def seed_bot(
    fake: FakeDiscord, seed_retriever: Any, seed_settings: IndexSettings
) -> AsyncIterator[QuoteBot]:
    """The bot over the indexed seed corpus, no cooldown."""
    async with running_bot(fake, seed_retriever, seed_settings) as bot:
        yield bot
