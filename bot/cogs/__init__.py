"""One Cog per feature; each module ends with ``async def setup(bot)``."""

from __future__ import annotations

import discord
from discord import app_commands


async def cooldown_check(interaction: discord.Interaction) -> bool:
    """The per-user requests-per-minute limit (QUOTEBOT_COOLDOWN); raises CooldownError when over it."""
    interaction.client.check_cooldown(interaction.user.id)  # type: ignore[attr-defined]
    return True


def per_user_cooldown():  # noqa: ANN201 - returns discord.py's check decorator
    """Decorator form of :func:`cooldown_check` for app commands."""
    return app_commands.check(cooldown_check)
