"""Quotes of a Markdown page, end to end: the real readers, chunker, model and store behind the real discord.py
client against the fake Discord. The posted messages keep the page's code fenced and linked to the page, and the
page's own links as masked links to their absolute addresses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from bot import render
from index.config import IndexSettings
from tests.bot_fixtures import assert_no_pings, open_indexed_retriever, running_bot
from tests.fakediscord import FakeDiscord
from tests.markup_check import RAW_MENTION, check_markup

PAGE = """---
title: Moderation FAQ
---

# Moderation FAQ

## Bans

### How do I ban a member from the server?

Call `guild.members.ban()` with the member and a **reason**; the audit log keeps the reason.

```js
await interaction.guild.members.ban(target, { reason: 'spam' }); // never pings @everyone
```

### How do I remove a timeout?

Pass `null` as the duration to `member.timeout()` and the member can talk again at once.

## Roles

Roles are granted with `member.roles.add()`; the bot's own role must sit above the role it grants. If the role
still cannot be granted, check [this page](permissions.md#hierarchy) or <a href="#bans">the bans section</a>.
"""


@pytest.fixture(scope="module")
def faq_setup(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> tuple[Any, IndexSettings]:
    root = tmp_path_factory.mktemp("faq")
    corpus = root / "corpus"
    (corpus / "guide").mkdir(parents=True)
    (corpus / "guide" / "moderation.md").write_text(PAGE, encoding="utf-8")
    settings = IndexSettings(
        _env_file=None,
        corpus_dir=corpus,
        store_dir=root / "store",
        source_url="https://docs.example.org/{path}",
    )
    retriever = open_indexed_retriever(settings, embedder)
    yield retriever, settings
    retriever.close()


@pytest_asyncio.fixture
async def faq_bot(fake: FakeDiscord, faq_setup: tuple[Any, IndexSettings]) -> AsyncIterator[Any]:
    retriever, settings = faq_setup
    async with running_bot(fake, retriever, settings) as bot:
        yield bot


async def asked(fake: FakeDiscord, retriever: Any, question: str) -> tuple[dict, Any]:
    """``/ask question`` through the fake: the top quote's embed (the answer pinged no one) and the top hit."""
    record = await fake.send_slash("ask", {"question": question})
    message = await fake.wait_answer(record, timeout=30)
    assert_no_pings((await fake.wait_original_edit(record)).json)
    return message["embeds"][0], retriever.search(question, 3).hits[0]


async def test_ask_posts_the_code_answer_fenced_with_its_section_and_page_link(
    fake: FakeDiscord, faq_bot: Any, faq_setup: tuple[Any, IndexSettings]
) -> None:
    question = "How do I ban a member?"
    top, hit = await asked(fake, faq_setup[0], question)
    shown = check_markup(top["description"], hit.quote)
    assert (
        "await interaction.guild.members.ban(target, { reason: 'spam' }); // never pings @everyone"
        in shown["code"]
    )
    assert "```js" in top["description"].split("\n")
    assert "`guild.members.ban()`" in top["description"]  # inline code kept (inside the bold focus or not)
    assert "**How do I ban a member from the server?**" in top["description"].split("\n")  # heading line
    assert top["url"] == "https://docs.example.org/guide/moderation#how-do-i-ban-a-member-from-the-server"
    source = {f["name"]: f["value"] for f in top["fields"]}["Source"]
    assert source.startswith("Moderation FAQ \u203a Bans \u203a How do I ban a member from the server?\n")
    assert "guide/moderation.md, lines" in source


async def test_quote_card_shows_the_focus_and_a_masked_link(fake: FakeDiscord, faq_bot: Any) -> None:
    record = await fake.send_slash("quote", {"text": "remove a timeout from a member"})
    message = await fake.wait_answer(record, timeout=30)
    content = message["content"]
    assert len(content) <= render.CONTENT_LIMIT and RAW_MENTION.search(content) is None
    quote, attribution = content.rsplit("\n", 1)
    assert "`null`" in quote and "`member.timeout()`" in quote
    check_markup(
        quote, "Pass null as the duration to member.timeout() and the member can talk again at once."
    )
    assert attribution.startswith("\u2014 **Moderation FAQ \u203a Bans \u203a How do I remove a timeout?**")
    assert attribution.endswith(
        "[page](<https://docs.example.org/guide/moderation#how-do-i-remove-a-timeout>)"
    )


async def test_ask_posts_the_pages_links_as_masked_links(
    fake: FakeDiscord, faq_bot: Any, faq_setup: tuple[Any, IndexSettings]
) -> None:
    question = "Why can the bot not grant a role?"
    top, hit = await asked(fake, faq_setup[0], question)
    assert hit.quote.endswith("check this page or the bans section.")  # the quote stays the page's words
    shown = check_markup(top["description"], hit.quote)
    assert shown["links"] == [
        ("this page", "https://docs.example.org/guide/permissions#hierarchy"),
        ("the bans section", "https://docs.example.org/guide/moderation#bans"),
    ]
    assert "[this page](<https://docs.example.org/guide/permissions#hierarchy>)" in top["description"]
