"""Pointing discord.py at the fake, and running a client against it (tests only)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import discord
import discord.gateway
import discord.http
import yarl

from .server import FakeDiscord

log = logging.getLogger(__name__)
ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.contextmanager
def patch_discord(fake: FakeDiscord) -> Iterator[FakeDiscord]:
    """Point discord.py at ``fake`` (a started server) and restore the real endpoints on exit.

    Sets ``discord.http.Route.BASE`` (used by the bot's HTTP client *and* by the webhook adapter that
    sends interaction callbacks, edits and followups) and ``DiscordWebSocket.DEFAULT_GATEWAY`` (a
    ``yarl.URL``; discord.py appends ``?v=10&encoding=json&compress=zlib-stream`` to it).
    """
    if not fake.port:
        raise RuntimeError("start the fake first (await fake.start())")
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = fake.api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield fake
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway


@contextlib.asynccontextmanager
async def running_fake(**kwargs: Any) -> AsyncIterator[FakeDiscord]:
    """Start a :class:`FakeDiscord` (kwargs go to its constructor), patch discord.py to use it, and
    stop/unpatch on exit::

        async with running_fake() as fake, start_client(MyBot(), fake) as bot:
            record = await fake.send_slash("ask", {"question": "..."})
            message = await fake.wait_answer(record)
    """
    fake = FakeDiscord(**kwargs)
    await fake.start()
    try:
        with patch_discord(fake):
            yield fake
    finally:
        await fake.stop()


@contextlib.asynccontextmanager
async def start_client(
    client: ClientT,
    fake: FakeDiscord,
    *,
    token: str | None = None,
    timeout: float = 10.0,
    wait_ready: bool = False,
) -> AsyncIterator[ClientT]:
    """Log ``client`` in to ``fake`` (runs ``setup_hook``), connect the gateway in a task, wait until
    it identified and cached the fake guild, yield it, then close it.

    ``token`` defaults to ``fake.token``. With ``wait_ready=True`` it also waits for ``on_ready``
    (discord.py delays that by the client's ``guild_ready_timeout``, 2 s by default — pass
    ``guild_ready_timeout=0.1`` to the client to keep tests fast). A client that crashes while
    connecting makes this raise instead of hanging.
    """
    await asyncio.wait_for(client.login(fake.token if token is None else token), timeout)
    task = asyncio.create_task(client.connect(reconnect=True), name="fake-discord-client")
    try:
        await _wait_connected(client, fake, task, timeout, wait_ready)
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(task, timeout)


async def _wait_connected(
    client: discord.Client, fake: FakeDiscord, task: asyncio.Task[None], timeout: float, wait_ready: bool
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while client.get_guild(fake.guild_id) is None or not fake.connected:
        if task.done():
            task.result()  # re-raise the client's error
            raise RuntimeError("the client stopped before connecting")
        if loop.time() > deadline:
            raise TimeoutError(f"client did not connect to the fake within {timeout}s")
        await asyncio.sleep(0.01)
    if wait_ready:
        await asyncio.wait_for(client.wait_until_ready(), max(deadline - loop.time(), 0.01))
