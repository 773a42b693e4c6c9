"""Entry points for the CLI: run the bot, or log in once to sync the slash commands."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TextIO

import aiohttp
import discord

from bot.client import QuoteBot, create_bot
from bot.config import BotSettings
from index.config import IndexSettings
from index.errors import QuotebotError, StoreOpenError

log = logging.getLogger(__name__)

MISSING_TOKEN = "DISCORD_TOKEN is not set (environment or .env): cannot start the Discord bot."
REJECTED_TOKEN = (
    "Discord rejected DISCORD_TOKEN (improper token): check the bot token in the developer portal."
)
SHARDING_REQUIRED = (
    "Discord requires this bot to be sharded (it is in too many guilds for one connection): "
    "set QUOTEBOT_SHARDS=auto."
)
INVALID_SHARD = "Discord refused the shard settings: check QUOTEBOT_SHARDS and QUOTEBOT_SHARD_IDS."


def run_bot(
    index_settings: IndexSettings,
    bot_settings: BotSettings,
    *,
    err: TextIO | None = None,
    index_first: bool = False,
) -> int:
    """Run the bot until it is stopped; returns the process exit code (2 for a missing/rejected token).

    The bot connects at once and loads the model in the background (questions meanwhile are deferred and
    answered when it is ready); ``index_first`` also indexes the corpus in that background step, with the
    same model."""
    err = err or sys.stderr
    token = bot_settings.token()
    if token is None:
        print(MISSING_TOKEN, file=err)
        return 2
    try:
        return asyncio.run(_run(index_settings, bot_settings, token, index_first))
    except discord.LoginFailure:
        print(REJECTED_TOKEN, file=err)
        return 2
    except discord.ConnectionClosed as error:
        known = {4010: INVALID_SHARD, 4011: SHARDING_REQUIRED}
        print(known.get(error.code, f"Discord closed the connection: {error.code} {error.reason}"), file=err)
        return 1
    except QuotebotError as error:
        print(str(error), file=err)  # each says what is wrong and where (index, model, server)
        return 1
    except (OSError, aiohttp.ClientError) as error:
        print(f"Cannot reach Discord: {error.__class__.__name__}: {error}", file=err)
        return 1
    except KeyboardInterrupt:
        return 0
    except Exception as error:  # noqa: BLE001 - one line for the admin, the traceback in the log
        log.error("quotebot stopped on an unexpected error", exc_info=True)
        print(f"quotebot stopped on an unexpected error: {error.__class__.__name__}", file=err)
        return 1


def _open_retriever(index_settings: IndexSettings):
    """The retriever; local failures (store folder, files) as one clear QuotebotError, so that they are
    never mistaken for network errors on the way to Discord."""
    from index.retrieve import Retriever

    try:
        return Retriever.open(index_settings)
    except OSError as error:
        raise StoreOpenError(
            f"Cannot open the index at {index_settings.server_url() or index_settings.store_dir}: "
            f"{error.strerror or error}."
        ) from error


async def _run(
    index_settings: IndexSettings, bot_settings: BotSettings, token: str, index_first: bool = False
) -> int:
    from index.handoff import HandoffServer

    retriever = await asyncio.to_thread(_open_retriever, index_settings)  # the model loads later, lazily
    # `quotebot index` run elsewhere while the bot runs is done by the bot (see index/handoff.py).
    server = HandoffServer(retriever).start()
    try:
        async with create_bot(retriever, index_settings, bot_settings, index_on_start=index_first) as bot:
            await bot.start(token)
    finally:
        server.stop()
        close = getattr(retriever, "close", None)
        if close is not None:
            await asyncio.to_thread(close)
    return 0


def sync_commands(
    index_settings: IndexSettings,
    bot_settings: BotSettings,
    guild_id: int | None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Log in, sync the commands to ``guild_id`` (or globally), print the count, exit."""
    out, err = out or sys.stdout, err or sys.stderr
    token = bot_settings.token()
    if token is None:
        print(MISSING_TOKEN, file=err)
        return 2
    try:
        count = asyncio.run(_sync(index_settings, bot_settings, token, guild_id))
    except discord.LoginFailure:
        print(REJECTED_TOKEN, file=err)
        return 2
    except discord.HTTPException as error:
        print(f"Discord refused the sync: {error.status} {error.text or ''}".strip(), file=err)
        return 1
    except (OSError, aiohttp.ClientError) as error:
        print(f"Cannot reach Discord: {error.__class__.__name__}: {error}", file=err)
        return 1
    except Exception as error:  # noqa: BLE001 - one line for the admin, the traceback in the log
        log.debug("the sync stopped on an unexpected error", exc_info=True)
        print(f"The sync stopped on an unexpected error: {error.__class__.__name__}", file=err)
        return 1
    where = f"guild {guild_id}" if guild_id is not None else "all guilds (global; may take up to an hour)"
    print(f"Synced {count} commands to {where}.", file=out)
    return 0


async def _sync(
    index_settings: IndexSettings, bot_settings: BotSettings, token: str, guild_id: int | None
) -> int:
    # No retriever is needed to declare the commands: the cogs only touch it when invoked.
    settings = bot_settings.model_copy(update={"discord_guild_id": None})
    async with QuoteBot(_NoRetriever(), index_settings, settings) as bot:
        await bot.login(token)
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            bot.tree.copy_global_to(guild=guild)
            synced = await bot.tree.sync(guild=guild)
        else:
            synced = await bot.tree.sync()
    return len(synced)


class _NoRetriever:
    """Stands in for the Retriever while syncing: commands are declared, never invoked."""

    def sources(self) -> list:
        return []
