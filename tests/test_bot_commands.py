"""/quote (with autocomplete), /sources, /reindex, cooldown and error handling, end to end against the
fake Discord with the real retriever."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import pytest

from bot import render
from index.errors import UnknownSourceError
from tests.bot_fixtures import (
    RAW_MENTION,
    all_text,
    assert_no_pings,
    callback_flags,
    is_ephemeral,
    running_bot,
    visible,
)
from tests.fakediscord import FakeDiscord
from tests.fakediscord import payloads as p


async def test_quote_autocomplete_serves_titles_within_limits(
    fake: FakeDiscord, seed_bot: Any, seed_retriever: Any
) -> None:
    titles = {s.title for s in seed_retriever.sources()}
    record = await fake.send_autocomplete("quote", {"text": "talks", "source": ""}, "source")
    choices = await fake.wait_autocomplete(record)
    assert record.callback_type == 8
    assert 0 < len(choices) <= 25 and len(choices) == len(titles)
    assert all(len(c["name"]) <= 100 and 0 < len(c["value"]) <= 100 for c in choices)

    record = await fake.send_autocomplete("quote", {"text": "talks", "source": "rUsSia"}, "source")
    narrowed = await fake.wait_autocomplete(record)
    assert narrowed and all("russia" in c["name"].casefold() for c in narrowed)


async def test_quote_shares_the_focus_with_title_source_and_location(
    fake: FakeDiscord, seed_bot: Any, seed_retriever: Any
) -> None:
    text = "Biden has publicly blamed the Afghan Government for failing to fight back"
    record = await fake.send_autocomplete("quote", {"text": text, "source": "Afghan crisis"}, "source")
    choice = (await fake.wait_autocomplete(record))[0]
    record = await fake.send_slash("quote", {"text": text, "source": choice["value"]})
    message = await fake.wait_answer(record, timeout=30)
    assert record.callback_type == 5 and not is_ephemeral(message)
    assert_no_pings((await fake.wait_original_edit(record)).json)

    source = seed_retriever.resolve_source(choice["value"])
    hit = seed_retriever.search(text, 1, source=source.source).hits[0]
    block, attribution = message["content"].rsplit("\n", 1)
    assert block.startswith("> ")
    assert visible(block) in hit.focus_text
    assert "Mr Biden has publicly blamed the Afghan Government" in visible(block)
    assert render.unescape(attribution) == f"\u2014 **{hit.title}** \u00b7 {hit.source}, {hit.location}"


async def test_quote_with_an_unknown_source_gets_a_private_error(
    fake: FakeDiscord, seed_bot: Any, seed_retriever: Any
) -> None:
    with pytest.raises(UnknownSourceError) as expected:
        seed_retriever.resolve_source("no such document")
    record = await fake.send_slash("quote", {"text": "phone call", "source": "no such document"})
    callback = await fake.wait_callback(record)
    assert callback.json["type"] == 4 and callback_flags(callback.json) & p.EPHEMERAL
    assert callback.json["data"]["content"] == str(expected.value)


async def test_sources_lists_every_document_with_passage_counts(
    fake: FakeDiscord, seed_bot: Any, seed_retriever: Any
) -> None:
    record = await fake.send_slash("sources")
    message = await fake.wait_answer(record, timeout=30)
    assert is_ephemeral(message)
    text = render.unescape(message["embeds"][0]["description"])
    for source in seed_retriever.sources():
        assert f"{source.passages} passages" in text
        assert source.source in text
    assert message["embeds"][0]["footer"]["text"].startswith("Page 1/1")


async def test_reindex_needs_manage_server_and_reports_while_answering(
    fake: FakeDiscord, seed_bot: Any
) -> None:
    command = fake.find_command("reindex", guild_id=fake.guild_id)
    assert command is not None and int(command["default_member_permissions"]) == p.MANAGE_GUILD
    assert not fake.can_invoke("reindex", p.MEMBER_PERMISSIONS)
    assert fake.can_invoke("reindex", p.MANAGER_PERMISSIONS)

    # Discord hides it from members; a member who invokes it anyway is refused by the bot itself.
    refused = await fake.send_slash("reindex", user_id=fake.user_id)
    callback = await fake.wait_callback(refused)
    assert callback.json["type"] == 4 and callback_flags(callback.json) & p.EPHEMERAL
    assert "Manage Server" in callback.json["data"]["content"]

    reindex = await fake.send_slash("reindex", user_id=fake.manager_id)
    busy = await fake.send_slash("reindex", user_id=fake.manager_id)
    asked = await fake.send_slash("ask", {"question": "What did the G7 foreign ministers say?"})
    answer = await fake.wait_answer(asked, timeout=30)
    assert answer["embeds"]
    assert "already running" in (await fake.wait_callback(busy)).json["data"]["content"]
    report = await fake.wait_answer(reindex, timeout=60)
    assert is_ephemeral(report)
    assert re.match(r"Reindexed: \d+ added, \d+ changed, \d+ removed, \d+ unchanged", report["content"])


async def test_cooldown_limits_each_user_separately(
    fake: FakeDiscord, seed_retriever: Any, seed_settings: Any
) -> None:
    async with running_bot(fake, seed_retriever, seed_settings, cooldown=2):
        for _ in range(2):
            record = await fake.send_slash("ask", {"question": "Who met in Doha?"})
            await fake.wait_answer(record, timeout=30)
        limited = await fake.send_slash("quote", {"text": "Who met in Doha?"})
        callback = await fake.wait_callback(limited)
        assert callback.json["type"] == 4 and callback_flags(callback.json) & p.EPHEMERAL
        assert re.fullmatch(r"Slow down: you can ask again in \d+ s\.", callback.json["data"]["content"])
        other = await fake.send_slash("ask", {"question": "Who met in Doha?"}, user_id=fake.other_user_id)
        assert (await fake.wait_callback(other)).json["type"] == 5


async def test_empty_index_gets_a_clear_private_message(
    fake: FakeDiscord, empty_retriever: Any, seed_settings: Any
) -> None:
    async with running_bot(fake, empty_retriever, seed_settings):
        record = await fake.send_slash("ask", {"question": "What happened in Kabul?"})
        followup = await fake.wait_followup(record, timeout=30)
        assert is_ephemeral(followup)
        assert "index" in followup["content"].casefold()
        assert (
            record.original_message_id is None or fake.original_message(record) is None
        )  # public "thinking" removed

        private = await fake.send_slash("ask", {"question": "What happened in Kabul?", "private": True})
        message = await fake.wait_answer(private, timeout=30)
        assert is_ephemeral(message) and "index" in message["content"].casefold()


async def test_everyone_inside_a_quoted_passage_never_pings(
    fake: FakeDiscord, everyone_retriever: Any, seed_settings: Any
) -> None:
    async with running_bot(fake, everyone_retriever, seed_settings):
        record = await fake.send_slash(
            "ask", {"question": "Who did the hall committee write to about volunteers?"}
        )
        message = await fake.wait_answer(record, timeout=30)
        edit = await fake.wait_original_edit(record)
        assert_no_pings(edit.json)
        description = message["embeds"][0]["description"]
        assert "@\u200beveryone" in description and "\\<@\u200b123456789012345678\\>" in description
        assert RAW_MENTION.search(all_text(message)) is None
        assert "@everyone in the village chat" in visible(description)

        quote = await fake.send_slash("quote", {"text": "committee wrote to everyone asking for volunteers"})
        card = await fake.wait_answer(quote, timeout=30)
        assert RAW_MENTION.search(card["content"]) is None


class FailingRetriever:
    """The real retriever, except that search fails unexpectedly (as a bug would)."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def search(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom: an unexpected failure")


async def test_unexpected_errors_show_an_error_id_and_the_bot_keeps_running(
    fake: FakeDiscord, seed_retriever: Any, seed_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    async with running_bot(fake, FailingRetriever(seed_retriever), seed_settings) as bot:
        record = await fake.send_slash("ask", {"question": "What happened in Kabul?", "private": True})
        message = await fake.wait_answer(record, timeout=30)
        error_id = re.search(r"error id `([0-9a-f]{8})`", message["content"]).group(1)
        assert "boom" not in message["content"] and "Traceback" not in message["content"]
        logged = [r for r in caplog.records if error_id in r.getMessage()]
        assert logged and "/ask" in logged[0].getMessage() and logged[0].exc_info

        bot.retriever = seed_retriever  # the same bot still answers
        record = await fake.send_slash("ask", {"question": "What happened in Kabul?"})
        assert (await fake.wait_answer(record, timeout=30))["embeds"]
        await asyncio.sleep(0)
