"""Entry points: `quotebot run` token handling, `quotebot sync`, and the terminal session."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from rich.console import Console

from bot import render
from bot.config import BotSettings
from bot.runner import MISSING_TOKEN, REJECTED_TOKEN, run_bot, sync_commands
from bot.terminal import markdown_text, run_terminal
from tests.fakediscord import FakeDiscord, patch_discord

COMMANDS = {"ask", "quote", "sources", "reindex", "Find sources"}


@contextlib.contextmanager
def fake_in_thread(**options: Any) -> Iterator[FakeDiscord]:
    """A fake Discord (``options`` go to its constructor) on its own loop in a thread, so the synchronous
    entry points can asyncio.run."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = asyncio.run_coroutine_threadsafe(FakeDiscord(**options).start(), loop).result(10)
    try:
        with patch_discord(fake):
            yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def settings_without_env(monkeypatch: pytest.MonkeyPatch, **values: Any) -> BotSettings:
    for name in ("DISCORD_TOKEN", "QUOTEBOT_DISCORD_TOKEN", "DISCORD_GUILD_ID", "QUOTEBOT_COOLDOWN"):
        monkeypatch.delenv(name, raising=False)
    return BotSettings(_env_file=None, **values)


def test_bot_settings_read_the_token_and_never_show_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token-value")
    monkeypatch.setenv("QUOTEBOT_COOLDOWN", "4")
    settings = BotSettings(_env_file=None)
    assert settings.token() == "secret-token-value" and settings.cooldown == 4
    assert "secret-token-value" not in repr(settings) and "secret-token-value" not in str(settings)


def test_missing_token_is_one_line_and_exit_code_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], seed_settings: Any
) -> None:
    assert run_bot(seed_settings, settings_without_env(monkeypatch)) == 2
    assert run_bot(seed_settings, settings_without_env(monkeypatch, discord_token="  ")) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [MISSING_TOKEN, MISSING_TOKEN]


def test_rejected_token_is_one_line_exit_2_and_never_logged(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    seed_settings: Any,
    seed_retriever: Any,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = "wrong-token-XYZ123"
    with fake_in_thread() as fake:
        code = run_bot(seed_settings, settings_without_env(monkeypatch, discord_token=token))
        assert [r.path for r in fake.requests if r.path == "/users/@me"]
        assert not any(r.authorized for r in fake.requests)
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip() == REJECTED_TOKEN and "Traceback" not in err
    assert token not in err and token not in caplog.text


@pytest.mark.parametrize("to_guild", [True, False])
def test_sync_registers_every_command_and_prints_the_count(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], seed_settings: Any, to_guild: bool
) -> None:
    with fake_in_thread() as fake:
        guild_id = fake.guild_id if to_guild else None
        code = sync_commands(
            seed_settings, settings_without_env(monkeypatch, discord_token=fake.token), guild_id
        )
        synced = fake.guild_commands.get(fake.guild_id, []) if to_guild else fake.global_commands
    assert code == 0
    assert {c["name"] for c in synced} == COMMANDS
    assert f"Synced {len(COMMANDS)} commands" in capsys.readouterr().out
    ask = next(c for c in synced if c["name"] == "ask")
    options = {o["name"]: o for o in ask["options"]}
    assert options["question"]["min_length"] == 1 and options["question"]["max_length"] == 300
    assert options["results"]["min_value"] == 1 and options["results"]["max_value"] == 5
    assert options["private"]["type"] == 5 and not options["private"].get("required")
    quote = next(c for c in synced if c["name"] == "quote")
    assert next(o for o in quote["options"] if o["name"] == "source")["autocomplete"] is True


def test_bot_start_does_not_sync_without_a_development_guild(
    monkeypatch: pytest.MonkeyPatch, seed_settings: Any, seed_retriever: Any
) -> None:
    from bot.client import QuoteBot

    async def start_and_stop(fake: FakeDiscord) -> None:
        bot = QuoteBot(
            seed_retriever, seed_settings, settings_without_env(monkeypatch, discord_token=fake.token)
        )
        async with bot:
            await bot.login(fake.token)

    with fake_in_thread() as fake:
        asyncio.run(start_and_stop(fake))
        assert not [r for r in fake.requests if r.method == "PUT"]


def terminal_output(retriever: Any, lines: str) -> str:
    out = io.StringIO()
    run_terminal(
        retriever, stdin=io.StringIO(lines), console=Console(file=out, width=100_000, color_system=None)
    )
    return out.getvalue()


def test_terminal_answers_with_the_same_quotes_the_bot_posts(seed_retriever: Any) -> None:
    question = "Whom has Biden publicly blamed for failing to fight back against the Taliban?"
    output = terminal_output(seed_retriever, f"{question}\nquit\nnot asked\n")
    rendered = render.render_answer(seed_retriever.search(question, 3))
    assert "ask> " in output
    for embed in rendered.embeds:
        assert render.unescape(embed.title) in output
        first_line = embed.description.split("\n")[0][2:].replace("**", "")
        assert render.unescape(first_line) in output
    assert "Mr Biden has publicly blamed the Afghan Government" in output
    assert "not asked" not in output


def test_terminal_gives_the_bots_messages_for_bad_input(seed_retriever: Any, empty_retriever: Any) -> None:
    output = terminal_output(seed_retriever, "x" * 301 + "\n")  # ends at EOF
    assert "too long" in output
    with pytest.raises(Exception) as error:
        empty_retriever.search("anything", 3)
    # as a reader sees the message: its inline code (`quotebot index`) shown as code, without backticks
    assert markdown_text(str(error.value)).plain in terminal_output(empty_retriever, "anything\n")
