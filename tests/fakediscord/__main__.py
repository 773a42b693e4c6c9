"""Watch a full Discord exchange without a Discord account: ``python -m tests.fakediscord``.

Starts the fake Discord on 127.0.0.1, runs a bot against it, sends ``/ask`` as a guild member and prints
every request in order with its timing, then the answer as Discord would store it.

Which bot runs:
- by default the real quotebot (``bot.client.QuoteBot`` with a ``Retriever`` opened from the usual
  settings, so the index must exist: run ``quotebot index`` first, or pass ``--index``);
- if quotebot cannot be imported yet, or with ``--builtin``, a tiny built-in discord.py demo bot;
- with ``--bot module:factory``, any ``factory(fake) -> discord.Client`` (sync or async).

Examples::

    python -m tests.fakediscord
    python -m tests.fakediscord --question "Who hosted the talks in Moscow?" --click More
    python -m tests.fakediscord --builtin
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import logging
import os
import sys
import time
from typing import Any

import discord
from discord import app_commands

from . import payloads
from .harness import running_fake, start_client
from .server import FakeDiscord

DEFAULT_QUESTION = "Who hosted the talks in Moscow?"


class DemoBot(discord.Client):
    """Stand-in used when quotebot is not importable: ``/ask`` defers, then edits with one embed."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.1,
        )
        self.tree = app_commands.CommandTree(self)
        self.guild_object = discord.Object(guild_id)

        @self.tree.command(name="ask", description="Ask the corpus a question")
        async def ask(
            interaction: discord.Interaction, question: str, results: int = 3, private: bool = False
        ) -> None:
            await interaction.response.defer(thinking=True, ephemeral=private)
            await asyncio.sleep(0.05)  # pretend to retrieve, off the event loop
            embed = discord.Embed(
                title="Built-in demo bot", description=f"> {discord.utils.escape_markdown(question)}"
            )
            embed.set_footer(text="The real quotebot answers with verbatim quotes from the corpus.")
            await interaction.edit_original_response(content=f"**Q:** {question}", embed=embed)

    async def setup_hook(self) -> None:
        self.tree.copy_global_to(guild=self.guild_object)
        await self.tree.sync(guild=self.guild_object)


def quotebot_factory(fake: FakeDiscord, *, index_first: bool = False) -> discord.Client:
    """The hook for the real bot: QuoteBot with a Retriever over the configured store, syncing its
    commands to the fake's guild (``DISCORD_GUILD_ID``). Raises ImportError while quotebot is unfinished."""
    from bot.client import QuoteBot
    from bot.config import BotSettings
    from index.config import IndexSettings

    retriever_cls = importlib.import_module("index.retrieve").Retriever

    os.environ["DISCORD_GUILD_ID"] = str(fake.guild_id)
    index_settings = IndexSettings()
    if index_first:
        from index.ingest import index_corpus

        print(index_corpus(index_settings).line())
    retriever = retriever_cls.open(index_settings)
    return QuoteBot(retriever, index_settings, BotSettings(), guild_ready_timeout=0.1)


async def make_bot(fake: FakeDiscord, args: argparse.Namespace) -> discord.Client:
    if args.bot:
        module_name, _, attr = args.bot.partition(":")
        factory = getattr(importlib.import_module(module_name), attr or "create_bot")
        bot = factory(fake)
        return await bot if inspect.isawaitable(bot) else bot
    if not args.builtin:
        try:
            return await asyncio.to_thread(quotebot_factory, fake, index_first=args.index)
        except ImportError as exc:
            print(f"(quotebot is not importable yet: {exc}; using the built-in demo bot)\n")
    return DemoBot(fake.guild_id)


def _short(value: Any, limit: int = 160) -> str:
    text = json.dumps(value, ensure_ascii=False) if value is not None else ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_requests(fake: FakeDiscord, since: int, t0: float) -> None:
    for rec in fake.requests[since:]:
        ms = (rec.received_at - t0) * 1000
        print(f"  +{ms:8.1f} ms  {rec.method:6} {rec.path:70} -> {rec.status}  {_short(rec.json)}")


def print_message(message: dict[str, Any]) -> None:
    flags = message["flags"]
    print(f"  message {message['id']}{'  (ephemeral)' if flags & payloads.EPHEMERAL else ''}")
    if message.get("content"):
        print("  content: " + message["content"].replace("\n", "\n           "))
    for i, embed in enumerate(message.get("embeds", []), 1):
        print(f"  embed {i}: {embed.get('title', '')}")
        if embed.get("description"):
            print("    " + embed["description"].replace("\n", "\n    "))
        for embed_field in embed.get("fields", []):
            print(f"    [{embed_field['name']}] {embed_field['value']}")
        if embed.get("footer"):
            print(f"    — {embed['footer'].get('text', '')}")
    buttons = [c for c in payloads.iter_components(message.get("components", [])) if c.get("type") == 2]
    if buttons:
        print("  buttons: " + ", ".join(f"[{b.get('label')}] ({b.get('custom_id')})" for b in buttons))


async def demo(args: argparse.Namespace) -> int:
    async with running_fake() as fake:
        print(f"fake Discord: REST {fake.api_url}  gateway {fake.gateway_url}")
        bot = await make_bot(fake, args)
        print(f"bot: {type(bot).__module__}.{type(bot).__qualname__}\n")
        t0 = time.monotonic()
        async with start_client(bot, fake, timeout=args.timeout):
            print("login, gateway and sync:")
            print_requests(fake, 0, t0)
            print(f"  gateway: {len(fake.gateway_log)} frames, READY + GUILD_CREATE '{fake.guild_name}'\n")

            mark = fake.mark()
            options = {"question": args.question, "private": args.private}
            record = await fake.send_slash("ask", options, user_id=fake.user_id)
            print(f"alice: /ask question:{args.question!r} private:{args.private}")
            answer = await fake.wait_answer(record, timeout=args.timeout)
            print_requests(fake, mark, record.sent_at)
            print(f"  acknowledged after {record.ack_latency * 1000:.1f} ms\n\nanswer:")
            print_message(answer)

            if args.click:
                mark = fake.mark()
                click = await fake.click(answer, label=args.click, user_id=fake.user_id)
                print(f"\nalice clicks [{args.click}]")
                await fake.wait_callback(click, timeout=args.timeout)
                await asyncio.sleep(0.5)  # let edits and followups land
                print_requests(fake, mark, click.sent_at)
                print("\nafter the click:")
                print_message(fake.original_message(click) or answer)
                for message in fake.followups(click):
                    print_message(message)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakediscord", description=__doc__.split("\n\n")[0])
    parser.add_argument("--question", default=DEFAULT_QUESTION)
    parser.add_argument("--private", action="store_true", help="ask with private:True")
    parser.add_argument("--click", metavar="LABEL", help="then click the answer's button with this label")
    parser.add_argument("--builtin", action="store_true", help="use the built-in demo bot, not quotebot")
    parser.add_argument("--bot", metavar="MODULE:FACTORY", help="factory(fake) -> discord.Client to run")
    parser.add_argument("--index", action="store_true", help="index the corpus before starting quotebot")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for each step")
    parser.add_argument("-v", "--verbose", action="store_true", help="show discord.py debug logs")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.ERROR, format="%(name)s: %(message)s"
    )
    try:
        return asyncio.run(demo(args))
    except (TimeoutError, AssertionError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
