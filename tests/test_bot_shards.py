"""QUOTEBOT_SHARDS: the bot runs discord.py's AutoShardedBot, one IDENTIFY per shard, and answers over the shard
that owns the guild; QUOTEBOT_SHARD_IDS splits the shards between processes."""

from __future__ import annotations

import time
from typing import Any

import pytest

from bot.client import QuoteBot, ShardedQuoteBot, create_bot
from bot.config import BotSettings
from bot.runner import SHARDING_REQUIRED, run_bot
from tests.bot_fixtures import bot_settings
from tests.fakediscord import running_fake, start_client
from tests.test_bot_runner import fake_in_thread, settings_without_env

pytestmark = pytest.mark.timeout(120)

QUESTION = "Who hosted the talks in Moscow?"


def sharded_settings(fake: Any, shards: str, shard_ids: str | None = None) -> BotSettings:
    base = bot_settings(fake).model_dump(exclude={"shards", "shard_ids"})
    return BotSettings(_env_file=None, **base, shards=shards, shard_ids=shard_ids)


def identifies(fake: Any) -> list[list[int]]:
    """The ``shard`` field of every IDENTIFY frame the fake received."""
    return [
        frame["d"].get("shard") for way, frame in fake.gateway_log if way == "received" and frame["op"] == 2
    ]


async def test_two_shards_identify_once_each_and_answer_over_the_guilds_shard(
    seed_retriever: Any, seed_settings: Any
) -> None:
    async with running_fake(ack_deadline=3.0, shards=2, max_concurrency=2) as fake:
        settings = BotSettings.model_validate({"QUOTEBOT_SHARDS": "auto"})
        assert settings.sharding() == {}  # auto: the count comes from GET /gateway/bot
        bot = create_bot(
            seed_retriever,
            seed_settings,
            sharded_settings(fake, "auto"),
            guild_ready_timeout=0.1,
        )
        assert isinstance(bot, ShardedQuoteBot)
        t0 = time.monotonic()
        async with start_client(bot, fake, wait_ready=True, timeout=30):
            await fake.wait_for(lambda: len(fake.identified_shards) == 2, timeout=30, what="two IDENTIFYs")
            started = time.monotonic() - t0
            assert fake.find_requests("GET", r"^/gateway/bot$")
            assert sorted(identifies(fake)) == [[0, 2], [1, 2]]
            assert bot.shard_count == 2 and sorted(bot.shards) == [0, 1]
            owner = (fake.guild_id >> 22) % 2
            assert bot.get_guild(fake.guild_id).shard_id == owner
            # two buckets (max_concurrency 2): no 5-second wait between the shards' IDENTIFYs
            assert started < 5.0, started

            record = await fake.send_slash("ask", {"question": QUESTION}, user_id=fake.user_id)
            answer = await fake.wait_answer(record, timeout=30)
            assert record.callback_type == 5 and answer["embeds"]
            assert "Moscow" in " ".join(e.get("description") or "" for e in answer["embeds"])


async def test_shard_ids_start_only_this_processes_shards(seed_retriever: Any, seed_settings: Any) -> None:
    async with running_fake(ack_deadline=3.0, shards=2) as fake:
        owner = (fake.guild_id >> 22) % 2
        bot = create_bot(
            seed_retriever, seed_settings, sharded_settings(fake, "2", str(owner)), guild_ready_timeout=0.1
        )
        async with start_client(bot, fake, wait_ready=True, timeout=30):
            assert identifies(fake) == [[owner, 2]]  # the other shard belongs to another process
            assert bot.shard_count == 2 and list(bot.shards) == [owner]
            record = await fake.send_slash("ask", {"question": QUESTION}, user_id=fake.user_id)
            assert (await fake.wait_answer(record, timeout=30))["embeds"]


def test_an_unsharded_bot_that_discord_wants_sharded_stops_with_one_clear_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    seed_settings: Any,
    seed_retriever: Any,
) -> None:
    with fake_in_thread(shards=2, sharding_required=True) as fake:
        code = run_bot(seed_settings, settings_without_env(monkeypatch, discord_token=fake.token))
        assert fake.identify_count == 0
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == SHARDING_REQUIRED and "Traceback" not in err


@pytest.mark.parametrize(
    ("env", "sharding"),
    [
        ({}, None),
        ({"QUOTEBOT_SHARDS": ""}, None),
        ({"QUOTEBOT_SHARDS": "auto"}, {}),
        ({"QUOTEBOT_SHARDS": " Auto "}, {}),
        ({"QUOTEBOT_SHARDS": "3"}, {"shard_count": 3}),
        ({"QUOTEBOT_SHARDS": "4", "QUOTEBOT_SHARD_IDS": "2, 0,2"}, {"shard_count": 4, "shard_ids": [0, 2]}),
    ],
)
def test_shard_settings(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], sharding: Any) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert BotSettings(_env_file=None).sharding() == sharding


@pytest.mark.parametrize(
    "env",
    [
        {"QUOTEBOT_SHARDS": "many"},
        {"QUOTEBOT_SHARDS": "-1"},
        {"QUOTEBOT_SHARD_IDS": "0"},  # ids without a count
        {"QUOTEBOT_SHARDS": "auto", "QUOTEBOT_SHARD_IDS": "0"},
        {"QUOTEBOT_SHARDS": "2", "QUOTEBOT_SHARD_IDS": "2"},  # ids count from 0
        {"QUOTEBOT_SHARDS": "2", "QUOTEBOT_SHARD_IDS": "one"},
    ],
)
def test_bad_shard_settings_are_refused_with_the_setting_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match="QUOTEBOT_SHARD"):
        BotSettings(_env_file=None)


def test_no_shard_setting_keeps_one_plain_connection(seed_retriever: Any, seed_settings: Any) -> None:
    bot = create_bot(seed_retriever, seed_settings, BotSettings(_env_file=None))
    assert type(bot) is QuoteBot


@pytest.mark.parametrize(("buckets", "expected"), [(1, [0.0, 1.0, 2.0]), (2, [0.0, 0.0, 1.0])])
async def test_shards_identify_one_per_interval_in_each_bucket(
    monkeypatch: pytest.MonkeyPatch,
    seed_retriever: Any,
    seed_settings: Any,
    buckets: int,
    expected: list[float],
) -> None:
    import asyncio

    from bot import client

    interval = 0.3
    monkeypatch.setattr(client, "IDENTIFY_INTERVAL", interval)
    settings = BotSettings(_env_file=None, shards=3)
    bot = create_bot(seed_retriever, seed_settings, settings)
    assert isinstance(bot, ShardedQuoteBot)
    bot._max_concurrency = buckets  # what GET /gateway/bot's session_start_limit says
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    done: dict[int, float] = {}

    async def identify(shard: int) -> None:
        await bot.before_identify_hook(shard, initial=shard == 0)
        done[shard] = (loop.time() - t0) / interval

    await asyncio.gather(*(identify(shard) for shard in range(3)))  # e.g. three shards re-identifying at once
    for shard, slot in enumerate(expected):
        assert slot <= done[shard] < slot + 0.6, done
    bot._workers.shutdown()  # never logged in: nothing else to close
