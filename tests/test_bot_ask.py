"""/ask, its buttons (More, Context, Share) and Find sources, end to end: the real discord.py client
against the fake Discord, answering from the real retriever over the seed corpus."""

from __future__ import annotations

from typing import Any

from bot import render
from bot.views import NOT_YOURS
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

QUESTION = "Whom has Biden publicly blamed for failing to fight back against the Taliban?"
GOLD = "Mr Biden has publicly blamed the Afghan Government"
GOLD_SOURCE = "000_63bb270ddb7fdb85.txt"


async def ask(fake: FakeDiscord, question: str = QUESTION, **options: Any) -> tuple[Any, dict[str, Any]]:
    record = await fake.send_slash("ask", {"question": question, **options})
    return record, await fake.wait_answer(record, timeout=30)


async def test_ask_defers_then_edits_with_the_right_quote_and_attribution(
    fake: FakeDiscord, seed_bot: Any, seed_retriever: Any
) -> None:
    record, message = await ask(fake)
    assert record.callback_type == 5 and not callback_flags(record.callback.json) & p.EPHEMERAL
    assert record.ack_latency is not None and record.ack_latency < 3
    edit = await fake.wait_original_edit(record)
    assert_no_pings(edit.json)

    expected = seed_retriever.search(QUESTION, 3)
    embeds = message["embeds"]
    assert len(embeds) == len(expected.hits) == 3
    assert render.read_question(message["content"]) == QUESTION
    top = embeds[0]
    assert GOLD in visible(top["description"])
    assert top["description"].startswith("> ")
    assert "**" in top["description"]  # the focus sentence is bold
    for rank, (embed, hit) in enumerate(zip(embeds, expected.hits, strict=True), start=1):
        assert embed["title"] == render.clip(f"{rank}. {hit.title}", 256)
        assert visible(embed["description"]) in hit.quote  # verbatim
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert hit.source in render.unescape(fields["Source"]) and hit.location in fields["Source"]
        assert f"{round(hit.score * 100)}%" in fields["Match"]
    assert GOLD_SOURCE in render.unescape(top["fields"][0]["value"])
    labels = [b["label"] for b in p.iter_components(message["components"]) if b.get("type") == 2]
    assert labels == ["More", "Context"]  # no Share on a public answer


async def test_private_ask_is_ephemeral_and_offers_share(fake: FakeDiscord, seed_bot: Any) -> None:
    record, message = await ask(fake, private=True, results=2)
    assert record.callback_type == 5 and callback_flags(record.callback.json) & p.EPHEMERAL
    assert is_ephemeral(message)
    assert len(message["embeds"]) == 2
    labels = [b["label"] for b in p.iter_components(message["components"]) if b.get("type") == 2]
    assert labels == ["More", "Context", "Share"]


async def test_more_pages_on_and_only_the_asker_may_press_it(fake: FakeDiscord, seed_bot: Any) -> None:
    record, message = await ask(fake)
    first_page = [visible(e["description"]) for e in message["embeds"]]

    refused = await fake.click(message, label="More", user_id=fake.other_user_id)
    callback = await fake.wait_callback(refused)
    assert callback.json["type"] == 4 and callback_flags(callback.json) & p.EPHEMERAL
    assert callback.json["data"]["content"] == NOT_YOURS
    assert fake.messages[int(message["id"])]["embeds"] == message["embeds"]  # untouched

    click = await fake.click(message, label="More", user_id=fake.user_id)
    assert (await fake.wait_callback(click)).json["type"] == 6  # deferred update of the same message
    edit = await fake.wait_original_edit(click, timeout=30)
    assert_no_pings(edit.json)
    page = fake.messages[int(message["id"])]
    assert [e["title"].split("\\.")[0] for e in page["embeds"]] == ["4", "5", "6"]
    assert not set(first_page) & {visible(e["description"]) for e in page["embeds"]}
    more = fake.find_button(page, label="More")
    assert more["custom_id"] == f"qb:more:{fake.user_id}:6:3:1"  # page 1 was re-scored: so are the next pages


async def test_context_shows_the_passages_around_the_top_quote(fake: FakeDiscord, seed_bot: Any) -> None:
    _, message = await ask(fake)
    click = await fake.click(message, label="Context", user_id=fake.user_id)
    context = await fake.wait_answer(click, timeout=30)
    assert is_ephemeral(context)
    titles = [e["title"] for e in context["embeds"]]
    assert any(t.startswith("Quoted passage") for t in titles)
    quoted = next(e for e in context["embeds"] if e["title"].startswith("Quoted passage"))
    assert GOLD in visible(quoted["description"])
    assert len(context["embeds"]) >= 2  # a neighbour before or after


async def test_buttons_still_work_after_the_bot_restarts(
    fake: FakeDiscord, seed_retriever: Any, seed_settings: Any
) -> None:
    async with running_bot(fake, seed_retriever, seed_settings):
        _, message = await ask(fake)
    async with running_bot(fake, seed_retriever, seed_settings):  # a new process, same old message
        click = await fake.click(message, label="More", user_id=fake.user_id)
        await fake.wait_original_edit(click, timeout=30)
        page = fake.messages[int(message["id"])]
        assert page["embeds"][0]["title"].startswith("4\\.")
        context = await fake.click(message, label="Context", user_id=fake.user_id)
        assert (await fake.wait_answer(context, timeout=30))["embeds"]


async def test_share_reposts_a_private_answer_publicly_without_pinging(
    fake: FakeDiscord, seed_bot: Any
) -> None:
    _, message = await ask(fake, private=True)
    refused = await fake.click(message, label="Share", user_id=fake.other_user_id)
    assert (await fake.wait_callback(refused)).json["data"]["content"] == NOT_YOURS

    click = await fake.click(message, label="Share", user_id=fake.user_id)
    callback = await fake.wait_callback(click)
    assert callback.json["type"] == 4 and not callback_flags(callback.json) & p.EPHEMERAL
    assert_no_pings(callback.json["data"])
    shared = await fake.wait_answer(click)
    assert not is_ephemeral(shared)
    assert shared["content"].startswith(f"Shared by <@{fake.user_id}>")
    assert render.read_question(shared["content"]) == QUESTION
    assert [e["description"] for e in shared["embeds"]] == [e["description"] for e in message["embeds"]]
    labels = [b["label"] for b in p.iter_components(shared["components"]) if b.get("type") == 2]
    assert labels == ["More", "Context"]


async def test_find_sources_answers_a_message_privately(fake: FakeDiscord, seed_bot: Any) -> None:
    target = fake.post_user_message(
        "honestly who did Biden blame for not fighting back against the Taliban??"
    )
    record = await fake.send_message_command("Find sources", target)
    message = await fake.wait_answer(record, timeout=30)
    assert record.callback_type == 5 and callback_flags(record.callback.json) & p.EPHEMERAL
    assert is_ephemeral(message)
    assert GOLD in "\n".join(visible(e["description"]) for e in message["embeds"])


async def test_everyone_in_a_question_is_escaped_and_never_pings(fake: FakeDiscord, seed_bot: Any) -> None:
    question = "@everyone <@123456789012345678> @here who did Biden blame for the Taliban takeover?"
    record, message = await ask(fake, question)
    edit = await fake.wait_original_edit(record)
    assert_no_pings(edit.json)
    assert RAW_MENTION.search(all_text(message)) is None
    assert "@\u200beveryone" in message["content"]
    assert render.read_question(message["content"]) == question


async def test_context_of_a_grown_quote_shows_all_of_it(
    fake: FakeDiscord, docs_retriever: Any, docs_settings: Any
) -> None:
    """A quote grown over two passages of one section (index/assemble.py): its Context button names both, and
    the context shows the whole quote and what is around it, not the quote's own second half as "After"."""
    import re

    async with running_bot(fake, docs_retriever, docs_settings):
        _, message = await ask(fake, "how do i stop listening to a hook later on")
        assert "sub.off();" in message["embeds"][0]["description"]
        button = fake.find_button(message, label="Context")
        assert re.fullmatch(r"qb:ctx:\d+:[\w.\-]+:\d+-\d+", button["custom_id"])
        click = await fake.click(message, label="Context", user_id=fake.user_id)
        context = await fake.wait_answer(click, timeout=30)
    quoted = next(e for e in context["embeds"] if e["title"].startswith("Quoted passage"))
    assert "sub.off();" in quoted["description"]
    others = [e for e in context["embeds"] if not e["title"].startswith("Quoted passage")]
    assert all("sub.off();" not in e["description"] for e in others)
