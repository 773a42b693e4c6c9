"""Errors raised by the Discord layer, and the one place that turns any error into a user message."""

from __future__ import annotations

import logging
import uuid

import discord
from discord import app_commands

from index.errors import QuotebotError

log = logging.getLogger(__name__)

PERMISSION_NAMES = {"manage_guild": "Manage Server"}
GENERIC_MESSAGE = "Something went wrong on my side (error id `{error_id}`). Please try again later."


class CooldownError(app_commands.CheckFailure):
    """The user sent too many requests in the last minute."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        seconds = max(1, round(retry_after + 0.49))
        super().__init__(f"Slow down: you can ask again in {seconds} s.")


class BusyError(app_commands.CheckFailure):
    """A one-at-a-time job (such as /reindex) is already running."""


class Notice(app_commands.AppCommandError):
    """Not a failure: a short message for the user (e.g. no quote clears the threshold)."""


def new_error_id() -> str:
    return uuid.uuid4().hex[:8]


def user_message(error: BaseException, *, command: str) -> str:
    """The short message a user sees for ``error``; unexpected errors are logged with an id."""
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        inner = error.__cause__ or getattr(error, "original", None)
        if inner is None:
            break
        error = inner
    if isinstance(error, QuotebotError | CooldownError | BusyError | Notice):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions):
        names = ", ".join(
            PERMISSION_NAMES.get(p, p.replace("_", " ").title()) for p in error.missing_permissions
        )
        return f"You need the {names} permission to use this command."
    if isinstance(error, app_commands.TransformerError):
        return f"“{str(error.value)[:100]}” is not a valid value for this option."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works in a server."
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use this command here."
    error_id = new_error_id()
    log.error(
        "Unexpected error in %s (error id %s)",
        command,
        error_id,
        exc_info=(type(error), error, error.__traceback__),
    )
    return GENERIC_MESSAGE.format(error_id=error_id)


# Discord's codes for an interaction whose token is no longer valid: acknowledged too late (10062, after
# 3 s) or answered after the token expired (50027, after 15 minutes). Retrying cannot help.
UNKNOWN_INTERACTION = 10062
INVALID_WEBHOOK_TOKEN = 50027


def _unwrap(error: BaseException) -> BaseException:
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        inner = error.__cause__ or getattr(error, "original", None)
        if inner is None:
            break
        error = inner
    return error


def interaction_expired(error: BaseException) -> bool:
    """Whether ``error`` says the interaction can no longer be answered (too late, or token expired)."""
    error = _unwrap(error)
    return isinstance(error, discord.HTTPException) and error.code in (
        UNKNOWN_INTERACTION,
        INVALID_WEBHOOK_TOKEN,
    )


def command_name(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        return f"/{interaction.command.qualified_name}"
    data = interaction.data or {}
    custom_id = data.get("custom_id")
    if custom_id:
        return f"button {str(custom_id).split(':')[1] if ':' in str(custom_id) else custom_id}"
    return str(data.get("name") or interaction.type.name)


async def send_error(interaction: discord.Interaction, error: BaseException) -> None:
    """Answer ``interaction`` with the short ephemeral message for ``error``, whatever its state."""
    if interaction_expired(error):
        age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
        log.warning(
            "%s came too late to be answered (interaction %s, %.1f s old): %s; not retried",
            command_name(interaction),
            interaction.id,
            age,
            _unwrap(error),
        )
        return
    message = user_message(error, command=command_name(interaction))
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(message, ephemeral=True)
            return
        if interaction.extras.get("ephemeral"):
            # Our deferral was an ephemeral "thinking" message: it can carry the error itself.
            await interaction.edit_original_response(content=message, embeds=[], view=None)
            return
        if interaction.type is discord.InteractionType.component:
            # The original message is an answer the button sits on: keep it, reply privately.
            await interaction.followup.send(message, ephemeral=True)
            return
        # A public deferral: remove the public "thinking" message, tell the user privately.
        try:
            await interaction.delete_original_response()
        except discord.HTTPException:
            log.debug("could not delete the original response", exc_info=True)
        await interaction.followup.send(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error message for %s", command_name(interaction), exc_info=True)
