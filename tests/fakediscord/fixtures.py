"""pytest fixtures for the fake Discord. Import them where needed (a test module or tests/conftest.py)::

    from tests.fakediscord.fixtures import fake_discord_fixture  # noqa: F401

The fixture is named ``fake_discord``: ``async def test_x(fake_discord): ...`` gets a started
:class:`FakeDiscord` with discord.py pointed at it, stopped and unpatched after the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from .harness import running_fake
from .server import FakeDiscord


@pytest_asyncio.fixture(name="fake_discord")
async def fake_discord_fixture() -> AsyncIterator[FakeDiscord]:
    """A running fake Discord (default token ``fake.token``), discord.py patched to use it."""
    async with running_fake() as fake:
        yield fake
