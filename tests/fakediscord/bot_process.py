"""Run the real `quotebot` command in this process against a fake Discord served by another process.

    python -m tests.fakediscord.bot_process http://127.0.0.1:PORT run -v

Only the network edge changes: discord.py's REST base and gateway URL point at the fake (as
:func:`tests.fakediscord.patch_discord` does in-process); everything else is `quotebot` itself, with its
settings from the environment (DISCORD_TOKEN, DISCORD_GUILD_ID, CHROMA_URL, QUOTEBOT_*).
"""

from __future__ import annotations

import sys

import discord.gateway
import discord.http
import yarl


def point_at(base_url: str) -> None:
    base = base_url.rstrip("/")
    discord.http.Route.BASE = f"{base}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
        base.replace("http://", "ws://", 1) + "/gateway"
    )


def main(argv: list[str]) -> None:
    if not argv or not argv[0].startswith("http://"):
        raise SystemExit(
            "usage: python -m tests.fakediscord.bot_process http://127.0.0.1:PORT <quotebot args>"
        )
    point_at(argv[0])
    from bot.cli import main as quotebot

    sys.argv = ["quotebot", *argv[1:]]
    quotebot()


if __name__ == "__main__":
    main(sys.argv[1:])
