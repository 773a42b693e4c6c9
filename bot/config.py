"""Settings for the Discord side, from the environment or `.env`."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BotSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    discord_token: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("DISCORD_TOKEN", "QUOTEBOT_DISCORD_TOKEN"),
        description="Bot token from the Discord developer portal. Never logged.",
    )
    discord_guild_id: int | None = Field(
        None,
        validation_alias=AliasChoices("DISCORD_GUILD_ID", "QUOTEBOT_DISCORD_GUILD_ID"),
        description="Development guild: when set, the bot syncs its commands there at start-up.",
    )
    cooldown: int = Field(
        6,
        ge=0,
        validation_alias=AliasChoices("QUOTEBOT_COOLDOWN", "COOLDOWN"),
        description="Requests per minute per user for /ask, /quote and Find sources (0 = no limit).",
    )

    def token(self) -> str | None:
        """The token in clear, or None when unset or blank."""
        if self.discord_token is None:
            return None
        value = self.discord_token.get_secret_value().strip()
        return value or None
