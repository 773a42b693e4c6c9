"""The Bot subclass: loads the cogs, registers the restart-proof buttons, handles every error."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.config import BotSettings
from bot.cooldown import Cooldown
from bot.errors import CooldownError, send_error
from bot.views import DYNAMIC_ITEMS
from index.models import Answer, Passage, SourceInfo

if TYPE_CHECKING:
    from index.config import IndexSettings
    from index.retrieve import Retriever

log = logging.getLogger(__name__)

EXTENSIONS = ("bot.cogs.ask", "bot.cogs.quote", "bot.cogs.sources", "bot.cogs.admin")
SOURCES_CACHE_SECONDS = 30.0
# Threads for questions (search and rendering). More than asyncio's default (cores + 4 = 6 here), so that a
# burst's questions all wait for the model together and share its encodes (index/batcher.py): measured in
# benchmarks/bot_latency.py. A waiting thread costs a stack, not CPU.
WORKER_THREADS = 32
T = TypeVar("T")


def answer_threshold(retriever: object) -> float | None:
    threshold = getattr(retriever, "threshold", None)
    try:
        return float(threshold()) if callable(threshold) else None
    except Exception:
        log.exception("Could not read the confidence threshold")
        return None


class QuoteTree(app_commands.CommandTree):
    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await send_error(interaction, error)


class QuoteBot(commands.Bot):
    """quotebot's client. The entry point opens the Retriever and passes it in."""

    def __init__(
        self,
        retriever: Retriever,
        index_settings: IndexSettings,
        bot_settings: BotSettings | None = None,
        *,
        extensions: tuple[str, ...] = EXTENSIONS,
        index_on_start: bool = False,
        **options: Any,
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = False
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=QuoteTree,
            help_command=None,
            **options,
        )
        self.retriever = retriever
        self.index_settings = index_settings
        self.bot_settings = bot_settings or BotSettings()
        self.extensions_to_load = extensions
        self.cooldown = Cooldown(self.bot_settings.cooldown)
        self.reindex_lock = asyncio.Lock()
        self._sources: list[SourceInfo] = []
        self._sources_at = 0.0
        self._sources_task: asyncio.Task[None] | None = None
        # Set once the model is warm (and, with ``index_on_start``, the corpus indexed): searches wait for it,
        # after the interaction is deferred, so the bot can connect before the model has loaded.
        self.index_on_start = index_on_start
        self.ready = asyncio.Event()
        self._warm_task: asyncio.Task[None] | None = None
        self._workers = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="quotebot-worker")

    async def setup_hook(self) -> None:
        self._warm_task = asyncio.create_task(self._warm_up())
        for extension in self.extensions_to_load:
            try:
                await self.load_extension(extension)
            except Exception:
                log.exception("Failed to load extension %s", extension)
        self.add_dynamic_items(*DYNAMIC_ITEMS)
        await self.refresh_sources()
        guild_id = self.bot_settings.discord_guild_id
        if guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("Synced %d commands to the development guild %s", len(synced), guild_id)

    async def on_ready(self) -> None:
        log.info(
            "Logged in as %s (%s); %d sources indexed",
            self.user,
            getattr(self.user, "id", "?"),
            len(self._sources),
        )

    # -- warm-up: the gateway first, the model in the background ----------------------------------

    async def _warm_up(self) -> None:
        t0 = time.perf_counter()
        try:
            if self.index_on_start:
                async with self.reindex_lock:  # a /reindex meanwhile is told one is running
                    await asyncio.to_thread(self._prepare)
            else:
                await asyncio.to_thread(self._prepare)
        except Exception:
            log.exception("Warm-up failed; questions will report the error")
        finally:
            self.ready.set()
        await self.refresh_sources()
        log.info("Ready to answer after %.1f s of warm-up", time.perf_counter() - t0)

    def _prepare(self) -> None:
        """Blocking: load the encoder, then (with ``index_on_start``) index the corpus incrementally."""
        embedder = getattr(self.retriever, "embedder", None)
        load = getattr(embedder, "load", None)
        if self.index_on_start:
            from bot.cogs.admin import reindex_blocking

            log.info("Indexing %s", self.index_settings.corpus_dir)
            log.info("Indexed: %s", reindex_blocking(self).line())
        if load is not None:
            load()

    async def wait_ready(self) -> None:
        if not self.ready.is_set():
            log.info("A question arrived during warm-up: it is answered once the model is ready")
            await self.ready.wait()

    async def close(self) -> None:
        if self._warm_task is not None and not self._warm_task.done():
            self._warm_task.cancel()
        await super().close()
        self._workers.shutdown(wait=False, cancel_futures=True)

    # -- retrieval, always off the event loop -------------------------------------------------------

    async def off_loop(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on one of the bot's worker threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._workers, functools.partial(fn, *args, **kwargs))

    async def search(
        self, question: str, *, k: int = 3, offset: int = 0, source: str | None = None
    ) -> Answer:
        await self.wait_ready()
        return await self.off_loop(self.retriever.search, question, k, offset=offset, source=source)

    async def answer(
        self,
        question: str,
        *,
        k: int = 3,
        offset: int = 0,
        content_prefix: str = "",
        rescore: bool | None = None,
    ) -> tuple[Answer, render.Rendered]:
        """Search and render in one trip off the event loop (rendering a page of quotes takes a few ms of
        CPU: 50 of them in a burst held the loop for about 100 ms)."""
        await self.wait_ready()
        threshold = self.threshold()

        def work() -> tuple[Answer, render.Rendered]:
            answer = self.retriever.search(question, k, offset=offset, rescore=rescore)
            rendered = render.render_answer(
                answer, offset=offset, content_prefix=content_prefix, threshold=threshold
            )
            return answer, rendered

        return await self.off_loop(work)

    async def context(
        self, passage_id: str, span: tuple[int, int] | None = None
    ) -> tuple[Passage | None, Passage | None, Passage | None]:
        return await self.off_loop(self.retriever.context, passage_id, span)

    async def resolve_source(self, value: str) -> SourceInfo:
        return await self.off_loop(self.retriever.resolve_source, value)

    def threshold(self) -> float | None:
        """The retriever's confidence threshold (pure, no I/O), to mark individual weak quotes."""
        return answer_threshold(self.retriever)

    def check_cooldown(self, user_id: int) -> None:
        """Raise CooldownError when ``user_id`` is over the per-minute limit."""
        retry_after = self.cooldown.hit(user_id)
        if retry_after is not None:
            raise CooldownError(retry_after)

    # -- the source list, served from memory for autocomplete -----------------------------------------

    def cached_sources(self) -> list[SourceInfo]:
        """The last known source list; schedules a background refresh when it is old. Never blocks."""
        stale = time.monotonic() - self._sources_at > SOURCES_CACHE_SECONDS
        if stale and (self._sources_task is None or self._sources_task.done()):
            self._sources_task = asyncio.create_task(self.refresh_sources())
        return self._sources

    async def refresh_sources(self) -> list[SourceInfo]:
        try:
            self._sources = await asyncio.to_thread(self.retriever.sources)
        except Exception:
            log.exception("Could not list the indexed sources")
        self._sources_at = time.monotonic()
        return self._sources


IDENTIFY_INTERVAL = 5.0  # Discord: one IDENTIFY per 5 s per rate-limit bucket (shard id % max_concurrency)


class ShardedQuoteBot(QuoteBot, commands.AutoShardedBot):
    """quotebot on discord.py's AutoShardedBot (``QUOTEBOT_SHARDS``): one gateway connection per shard, all in
    this process unless ``QUOTEBOT_SHARD_IDS`` names a subset (other processes then run the rest).

    Shards identify as fast as Discord allows: one per 5 s in each of the ``max_concurrency`` buckets the
    gateway announces (discord.py's default waits 5 s before every shard after the first)."""

    def __init__(self, *args: Any, **options: Any) -> None:
        super().__init__(*args, **options)
        self._max_concurrency = 1
        self._identified_at: dict[int, float] = {}

    async def setup_hook(self) -> None:
        try:
            limits = await self.fetch_session_start_limits()
            self._max_concurrency = max(1, int(limits.max_concurrency))
        except discord.DiscordException as error:
            log.warning("could not read the session start limits (%s): shards identify 5 s apart", error)
        await super().setup_hook()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        loop = asyncio.get_running_loop()
        bucket = (shard_id or 0) % self._max_concurrency
        last = self._identified_at.get(bucket)
        # Take the bucket's next slot before sleeping, so that shards re-identifying at once queue up.
        at = loop.time() if last is None else max(loop.time(), last + IDENTIFY_INTERVAL)
        self._identified_at[bucket] = at
        if at > loop.time():
            await asyncio.sleep(at - loop.time())

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("Shard %d of %s ready", shard_id, self.shard_count)


def create_bot(
    retriever: Retriever,
    index_settings: IndexSettings,
    bot_settings: BotSettings | None = None,
    **options: Any,
) -> QuoteBot:
    """The bot the settings ask for: :class:`QuoteBot` on one gateway connection, or
    :class:`ShardedQuoteBot` when ``QUOTEBOT_SHARDS`` is set."""
    bot_settings = bot_settings or BotSettings()
    sharding = bot_settings.sharding()
    if sharding is None:
        return QuoteBot(retriever, index_settings, bot_settings, **options)
    log.info("Sharded gateway: %s", sharding or "Discord's recommended shard count")
    return ShardedQuoteBot(retriever, index_settings, bot_settings, **sharding, **options)
