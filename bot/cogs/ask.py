"""/ask and the "Find sources" message command: quotes that answer a question."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import QuoteBot
from bot.cogs import cooldown_check, per_user_cooldown
from bot.views import answer_view

log = logging.getLogger(__name__)

QUESTION_MAX = 300


async def answer_question(interaction: discord.Interaction, question: str, *, k: int, private: bool) -> None:
    """Defer (ephemeral when private), search off the loop, then edit the original response."""
    bot: QuoteBot = interaction.client  # type: ignore[assignment]
    await interaction.response.defer(ephemeral=private, thinking=True)
    interaction.extras["ephemeral"] = private
    answer, rendered = await bot.answer(question, k=k)
    view = answer_view(interaction.user.id, answer, offset=0, k=k, private=private)
    await interaction.edit_original_response(content=rendered.content, embeds=rendered.embeds, view=view)


def question_from_message(message: discord.Message) -> str:
    """The text of a message as a question: whitespace collapsed, cut at a word to 300 characters."""
    parts = [message.content or ""]
    parts.extend(e.description or "" for e in message.embeds)
    text = " ".join(" ".join(parts).split())
    if len(text) > QUESTION_MAX:
        cut = text.rfind(" ", 0, QUESTION_MAX)
        text = text[: cut if cut > QUESTION_MAX // 2 else QUESTION_MAX]
    return text


class Ask(commands.Cog):
    def __init__(self, bot: QuoteBot) -> None:
        self.bot = bot
        self.find_sources = app_commands.ContextMenu(name="Find sources", callback=self.find_sources_callback)
        self.find_sources.add_check(cooldown_check)
        self.bot.tree.add_command(self.find_sources)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.find_sources.name, type=self.find_sources.type)

    @app_commands.command(name="ask", description="Answer a question with verbatim quotes from the corpus.")
    @app_commands.describe(
        question="What do you want to know?",
        results="How many quotes to show (1-5).",
        private="Only you see the answer.",
    )
    @per_user_cooldown()
    async def ask(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, QUESTION_MAX],
        results: app_commands.Range[int, 1, 5] = 3,
        private: bool = False,
    ) -> None:
        await answer_question(interaction, question, k=results, private=private)

    async def find_sources_callback(self, interaction: discord.Interaction, message: discord.Message) -> None:
        question = question_from_message(message)
        if not question:
            await interaction.response.send_message("That message has no text to look up.", ephemeral=True)
            return
        await answer_question(interaction, question, k=3, private=True)


async def setup(bot: QuoteBot) -> None:
    await bot.add_cog(Ask(bot))
