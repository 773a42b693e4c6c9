"""A fake Discord on 127.0.0.1 for testing the real discord.py client end to end.

Quick start (pytest-asyncio, ``asyncio_mode = "auto"``)::

    from tests.fakediscord import running_fake, start_client

    async def test_something():
        async with running_fake() as fake, start_client(make_bot(), fake):
            record = await fake.send_slash("ask", {"question": "Who hosted the talks?"})
            callback = await fake.wait_callback(record)          # the defer (type 5)
            answer = await fake.wait_answer(record)              # the stored @original message
            click = await fake.click(answer, label="More", user_id=fake.user_id)

Public names:

- :class:`FakeDiscord` — the server: REST + gateway, request log, message store, builders, waits.
- :func:`running_fake` — async context manager: start a fake and patch discord.py to use it.
- :func:`patch_discord` — context manager: set/restore ``Route.BASE`` and ``DEFAULT_GATEWAY``.
- :func:`start_client` — async context manager: log a client in, connect, wait for the guild, close.
- :class:`RecordedRequest`, :class:`InteractionRecord`, :class:`FakeDiscordTimeout`.
- :mod:`.payloads` — permission bits (``MANAGE_GUILD``, ``MEMBER_PERMISSIONS``...), message flags
  (``EPHEMERAL``, ``LOADING``) and pure payload builders.

Run ``python -m tests.fakediscord`` to watch a full exchange in the terminal.
"""

from . import payloads
from .harness import patch_discord, running_fake, start_client
from .records import FakeDiscordTimeout, InteractionRecord, RecordedRequest
from .server import FakeDiscord

__all__ = [
    "FakeDiscord",
    "FakeDiscordTimeout",
    "InteractionRecord",
    "RecordedRequest",
    "patch_discord",
    "payloads",
    "running_fake",
    "start_client",
]
