"""Settings for the Discord side, from the environment or `.env`."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
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

    shards: Literal["auto"] | int | None = Field(
        None,
        validation_alias=AliasChoices("QUOTEBOT_SHARDS", "SHARDS"),
        description="Shard the gateway connection (discord.py's AutoShardedBot): auto (Discord's recommended "
        "count) or a number. Empty: one connection, no sharding. Discord requires shards past 2,500 guilds.",
    )
    shard_ids: str | None = Field(
        None,
        validation_alias=AliasChoices("QUOTEBOT_SHARD_IDS", "SHARD_IDS"),
        description="With QUOTEBOT_SHARDS=N: the shards this process runs, e.g. 0,1 (another process runs the "
        "rest). Empty: all N.",
    )

    @field_validator("shards", mode="before")
    @classmethod
    def _check_shards(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            if value in ("", "none", "off", "0"):
                return None
            if value != "auto":
                if not value.isdigit():
                    raise ValueError(f"QUOTEBOT_SHARDS must be auto or a number of shards, not {value!r}")
                value = int(value)
        if isinstance(value, int) and value < 1:
            raise ValueError("QUOTEBOT_SHARDS must be at least 1 (or empty for no sharding)")
        return value

    @model_validator(mode="after")
    def _check_shard_ids(self) -> BotSettings:
        if self.shard_ids is not None and self.shard_ids.strip():
            ids = self.shard_id_list()
            if not isinstance(self.shards, int):
                raise ValueError("QUOTEBOT_SHARD_IDS needs QUOTEBOT_SHARDS set to the total number of shards")
            bad = [i for i in ids if i >= self.shards]
            if bad:
                raise ValueError(f"QUOTEBOT_SHARD_IDS {bad} are not below QUOTEBOT_SHARDS={self.shards}")
        return self

    def shard_id_list(self) -> list[int] | None:
        """QUOTEBOT_SHARD_IDS as numbers (``"0, 2"`` -> ``[0, 2]``), or None when unset."""
        if self.shard_ids is None or not self.shard_ids.strip():
            return None
        parts = [x.strip() for x in self.shard_ids.split(",") if x.strip()]
        if not parts or not all(x.isdigit() for x in parts):
            raise ValueError(
                f"QUOTEBOT_SHARD_IDS must be shard numbers separated by commas, not {self.shard_ids!r}"
            )
        return sorted({int(x) for x in parts})

    def sharding(self) -> dict[str, Any] | None:
        """Options for discord.py's AutoShardedBot, or None for one unsharded connection."""
        if self.shards is None:
            return None
        if self.shards == "auto":
            return {}
        options: dict[str, Any] = {"shard_count": self.shards}
        ids = self.shard_id_list()
        if ids is not None:
            options["shard_ids"] = ids
        return options

    def token(self) -> str | None:
        """The token in clear, or None when unset or blank."""
        if self.discord_token is None:
            return None
        value = self.discord_token.get_secret_value().strip()
        return value or None
