"""/quote: the single best quote, formatted for sharing, optionally from one document."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import QuoteBot
from bot.cogs import per_user_cooldown
from bot.errors import Notice

log = logging.getLogger(__name__)


class Quote(commands.Cog):
    def __init__(self, bot: QuoteBot) -> None:
        self.bot = bot

    @app_commands.command(name="quote", description="The single best quote for a text, ready to share.")
    @app_commands.describe(text="What the quote should say.", source="Only quote this document.")
    @per_user_cooldown()
    async def quote(
        self,
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, 300],
        source: str | None = None,
    ) -> None:
        source_path = None
        if source:
            # Autocomplete only suggests: validate the final value (UnknownSourceError -> ephemeral).
            # The in-memory list answers at once; only an unknown value asks the retriever before the
            # deferral, so a bad value gets a private error instead of a public "thinking" message.
            known = render.find_source(self.bot.cached_sources(), source)
            source_path = (known or await self.bot.resolve_source(source)).source
        await interaction.response.defer(thinking=True)
        answer = await self.bot.search(text, k=1, source=source_path)
        if not answer.answered or not answer.hits:
            raise Notice(render.NOT_ANSWERED)  # said privately; the public "thinking" goes
        await interaction.edit_original_response(content=render.render_quote_card(answer.hits[0]))

    @quote.autocomplete("source")
    async def source_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        choices = render.source_choices(self.bot.cached_sources(), current)
        return [app_commands.Choice(name=name, value=value) for name, value in choices]


async def setup(bot: QuoteBot) -> None:
    await bot.add_cog(Quote(bot))
