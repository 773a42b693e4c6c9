"""/reindex: re-index the corpus in the background while the bot keeps answering."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuoteBot
from bot.errors import BusyError
from index.ingest import index_corpus
from index.models import IndexReport

log = logging.getLogger(__name__)


def reindex_blocking(bot: QuoteBot) -> IndexReport:
    """Index the corpus incrementally with the retriever's own model, then refresh the retriever."""
    reindex = getattr(bot.retriever, "reindex", None)
    if reindex is not None:
        return reindex()
    report = index_corpus(bot.index_settings, embedder=getattr(bot.retriever, "embedder", None))
    bot.retriever.refresh()
    return report


class Admin(commands.Cog):
    def __init__(self, bot: QuoteBot) -> None:
        self.bot = bot

    @app_commands.command(
        name="reindex", description="Re-index the corpus (only changed files are embedded)."
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        if self.bot.reindex_lock.locked():
            raise BusyError("A reindex is already running; its summary will be posted when it ends.")
        async with self.bot.reindex_lock:
            await interaction.response.defer(ephemeral=True, thinking=True)
            interaction.extras["ephemeral"] = True
            log.info("Reindex requested by %s", interaction.user.id)
            report = await asyncio.to_thread(reindex_blocking, self.bot)
            await self.bot.refresh_sources()
            log.info("Reindex done: %s", report.line())
            note = getattr(self.bot.retriever, "last_note", None)
            content = f"Reindexed: {report.line()}" + (f"\n{note}" if note else "")
            try:
                await interaction.edit_original_response(content=content)
            except discord.HTTPException as error:
                await report_in_channel(interaction, content, error)


async def report_in_channel(
    interaction: discord.Interaction, content: str, error: discord.HTTPException
) -> None:
    """The /reindex reply could not be delivered (typically: it outlived the 15-minute interaction token):
    post the report in the channel instead, or at least log it. Never raises."""
    log.warning("could not edit the /reindex reply (%s); posting the report in the channel", error)
    who = discord.utils.escape_mentions(discord.utils.escape_markdown(interaction.user.display_name))
    channel = interaction.channel
    try:
        if channel is None or not hasattr(channel, "send"):
            raise RuntimeError("no channel to post in")
        await channel.send(f"/reindex requested by {who} finished. {content}")
    except (discord.HTTPException, RuntimeError) as fallback:
        log.warning("could not post the /reindex report either (%s): %s", fallback, content)


async def setup(bot: QuoteBot) -> None:
    await bot.add_cog(Admin(bot))
