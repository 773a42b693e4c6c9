"""Network faults between the real discord.py client and the fake Discord: dropped gateway, rate limits and
server errors, acknowledgements that come too late, and a /reindex that outlives its interaction token."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest

from bot import render
from tests.bot_fixtures import assert_no_pings, running_bot
from tests.fakediscord import FakeDiscord
from tests.fakediscord.rest import rate_limited, server_error

ASK = "Who hosted the talks in Moscow?"
GOLD = "hosted by Russia"


async def answered(fake: FakeDiscord, question: str = ASK) -> dict[str, Any]:
    record = await fake.send_slash("ask", {"question": question})
    return await fake.wait_answer(record, timeout=30)


def text_of(message: dict[str, Any]) -> str:
    return render.unescape(str(message.get("content")) + str(message.get("embeds")))


async def test_bot_resumes_after_the_gateway_drops(fake: FakeDiscord, seed_bot: Any) -> None:
    await fake.drop_connection(4000)  # a resumable close
    await fake.wait_for(lambda: fake.resume_count >= 1, timeout=30, what="a RESUME")
    assert GOLD in text_of(await answered(fake))
    fake._sessions.clear()  # the session is gone: RESUME is refused, the bot must IDENTIFY again
    identified = fake.identify_count
    await fake.drop_connection(4000)
    await fake.wait_for(lambda: fake.identify_count > identified, timeout=30, what="a new IDENTIFY")
    assert GOLD in text_of(await answered(fake))


async def test_rate_limits_and_server_errors_are_retried_until_the_answer_arrives(
    fake: FakeDiscord, seed_bot: Any
) -> None:
    callback = fake.inject_faults("POST", r"^/interactions/\d+/[^/]+/callback$", rate_limited(0.2))
    edit = fake.inject_faults(
        "PATCH", r"^/webhooks/\d+/[^/]+/messages/@original$", rate_limited(0.3), server_error(500)
    )
    message = await answered(fake)
    assert GOLD in text_of(message)
    assert not callback.answers and not edit.answers  # every fault was served, then the real answer
    statuses = [r.status for r in fake.find_requests("PATCH", r"/messages/@original$")]
    assert statuses[-3:] == [429, 500, 200]


async def test_a_late_acknowledgement_is_logged_once_not_retried(
    fake: FakeDiscord, seed_bot: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    record = await fake.send_slash("ask", {"question": ASK})
    record.sent_at -= 10  # delivered 10 s late, as after a stalled connection: the token is dead
    await fake.wait_for(
        lambda: fake.find_requests("POST", re.escape(record.token)) or None, what="the acknowledgement"
    )
    assert GOLD in text_of(await answered(fake))  # the next interaction is answered as usual
    attempts = fake.find_requests(None, re.escape(record.token))
    assert len(attempts) == 1 and attempts[0].status == 404  # one try, no error message sent after it
    late = [r for r in caplog.records if "too late" in r.getMessage()]
    assert late and all(r.levelno == logging.WARNING for r in late)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_reindex_that_outlives_its_token_still_reports(
    fake: FakeDiscord, tmp_path, embedder, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.bot_fixtures import EVERYONE_CORPUS, corpus_settings, open_indexed_retriever

    settings = corpus_settings(tmp_path, EVERYONE_CORPUS)
    retriever = open_indexed_retriever(settings, embedder)
    try:
        async with running_bot(fake, retriever, settings):
            record = await fake.send_slash("reindex", user_id=fake.manager_id)
            await fake.wait_callback(record)
            fake.expire_token(record)  # the indexing took longer than the token lives
            sent = await fake.wait_for(
                lambda: fake.channel_messages() or None, timeout=60, what="a channel report"
            )
            assert GOLD not in text_of(sent[0]) and "Reindexed:" in text_of(sent[0])
            assert "1 unchanged" in text_of(sent[0])
            post = fake.find_requests("POST", rf"^/channels/{fake.channel_id}/messages$")[-1]
            assert_no_pings(post.json)
            assert await answered(fake, "Who asked for volunteers for the spring fair?")
    finally:
        retriever.close()
    assert "Reindexed" in caplog.text or "reindex" in caplog.text.lower()
