"""Helpers for the end-to-end bot tests: run the real QuoteBot against the fake Discord, read what it
sent, measure latency. The fixtures themselves live in tests/conftest_bot.py."""

from __future__ import annotations

import asyncio
import contextlib
import re
import statistics
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from bot.client import QuoteBot
from bot.config import BotSettings
from index.config import IndexSettings
from tests.fakediscord import FakeDiscord, start_client
from tests.fakediscord import payloads as p

ZWSP = "\u200b"

EVERYONE_CORPUS = {
    "village-notice.txt": (
        "Village hall notice\n\n"
        "The hall committee wrote to @everyone in the village chat asking for volunteers to run the "
        "spring fair on Saturday, and thanked <@123456789012345678> for the bunting.\n\n"
        "Volunteers should bring gloves, rakes and a flask to the park gates at nine o'clock; the "
        "committee will provide lunch for everyone who helps.\n\n"
        "The fair raised money for the new roof of the hall last year, and the committee hopes to "
        "finish the repairs before winter.\n"
    )
}


def corpus_settings(root: Path, files: dict[str, str]) -> IndexSettings:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return IndexSettings(_env_file=None, corpus_dir=corpus, store_dir=root / "store")


def open_indexed_retriever(settings: IndexSettings, embedder: Any) -> Any:
    from index.ingest import index_corpus
    from index.retrieve import Retriever

    index_corpus(settings, embedder=embedder)
    return Retriever.open(settings, embedder=embedder)


def bot_settings(fake: FakeDiscord, *, cooldown: int = 0) -> BotSettings:
    """Settings for a bot under test: the fake's token and guild (commands synced there at start-up)."""
    return BotSettings(
        _env_file=None, discord_token=fake.token, discord_guild_id=fake.guild_id, cooldown=cooldown
    )


@contextlib.asynccontextmanager
async def running_bot(
    fake: FakeDiscord, retriever: Any, settings: IndexSettings, *, cooldown: int = 0
) -> AsyncIterator[QuoteBot]:
    """A real QuoteBot logged in to ``fake`` (setup_hook ran and synced to the fake's guild)."""
    bot = QuoteBot(retriever, settings, bot_settings(fake, cooldown=cooldown), guild_ready_timeout=0.1)
    async with start_client(bot, fake, wait_ready=True) as client:
        yield client


# --- reading what the bot sent -------------------------------------------------------------------


def visible(markdown: str) -> str:
    """What a reader sees: block-quote prefixes, our ** markers, escapes and zero-width breaks removed."""
    text = "\n".join(line[2:] if line.startswith("> ") else line for line in markdown.split("\n"))
    text = re.sub(r"(?<!\\)\*\*", "", text)
    text = re.sub(r"\\(.)", r"\1", text)
    return text.replace("@" + ZWSP, "@").strip("\u2026")


def is_ephemeral(message_or_json: dict[str, Any]) -> bool:
    return bool((message_or_json.get("flags") or 0) & p.EPHEMERAL)


def callback_flags(callback_json: dict[str, Any]) -> int:
    return int((callback_json.get("data") or {}).get("flags") or 0)


def assert_no_pings(request_json: dict[str, Any]) -> None:
    """The message carries allowed_mentions that allow nothing."""
    mentions = request_json.get("allowed_mentions")
    assert mentions is not None, request_json
    assert mentions.get("parse") == []
    assert not mentions.get("users") and not mentions.get("roles") and not mentions.get("replied_user")


RAW_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>")


def all_text(message: dict[str, Any]) -> str:
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f['name']} {f['value']}" for f in embed.get("fields") or []]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(parts)


# --- latency -------------------------------------------------------------------------------------


async def timed_asks(fake: FakeDiscord, questions: list[str], *, timeout: float = 60.0) -> list[Any]:
    """Send one /ask per question at once (each from its own member) and wait for every final edit.

    Returns the interaction records; ``record.ack_latency`` is dispatch -> callback, and
    :func:`final_edit_latency` dispatch -> the PATCH of the answer.
    """
    users = [fake.add_user(f"asker{i}") for i in range(len(questions))]
    payloads = [
        fake.build_slash_command("ask", {"question": q}, user_id=u)
        for q, u in zip(questions, users, strict=True)
    ]
    records = [await fake.send_interaction(payload) for payload in payloads]
    await asyncio.gather(*(fake.wait_original_edit(r, timeout=timeout) for r in records))
    return records


def final_edit_latency(fake: FakeDiscord, record: Any) -> float:
    return record.original_edits[-1].received_at - record.sent_at


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def latency_summary(label: str, values: list[float]) -> str:
    return (
        f"{label}: n={len(values)} median {statistics.median(values) * 1000:.0f} ms, "
        f"p95 {percentile(values, 0.95) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"
    )
