"""/sources: the indexed documents with their passage counts, paginated."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import QuoteBot

log = logging.getLogger(__name__)


class Pager(discord.ui.View):
    """Previous/next buttons over pre-rendered pages, for the user who asked (ephemeral anyway)."""

    def __init__(self, pages: list[discord.Embed], owner_id: int) -> None:
        super().__init__(timeout=300)
        self.pages, self.owner_id, self.index = pages, owner_id, 0
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return interaction.user.id == self.owner_id

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        self.index = max(0, min(index, len(self.pages) - 1))
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.pages[self.index], view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await self._show(interaction, self.index + 1)


class Sources(commands.Cog):
    def __init__(self, bot: QuoteBot) -> None:
        self.bot = bot

    @app_commands.command(name="sources", description="List the indexed documents.")
    async def sources(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        interaction.extras["ephemeral"] = True
        pages = render.render_sources_pages(await self.bot.refresh_sources())
        if len(pages) == 1:
            await interaction.edit_original_response(embed=pages[0])
        else:
            await interaction.edit_original_response(embed=pages[0], view=Pager(pages, interaction.user.id))


async def setup(bot: QuoteBot) -> None:
    await bot.add_cog(Sources(bot))
