"""The bot token never appears in a log line or in error output: not in tracebacks (typer's pretty
tracebacks show no local variables), not in discord.py's debug logs, not after network faults."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.bot_fixtures import running_bot
from tests.fakediscord import running_fake
from tests.fakediscord.rest import rate_limited, server_error

TOKEN = "MTIzNDU2Nzg5.RECOGNISABLE-FAKE-TOKEN.zZ9-do-not-leak"
QUOTEBOT = str(Path(sys.executable).parent / "quotebot")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUOTEBOT_", "CHROMA_", "DISCORD_"))}
    env.update(extra)
    return env


def test_an_unexpected_crash_in_a_command_shows_no_locals(tmp_path):
    # A command that crashes with the token in a local variable, run by quotebot's own typer app.
    script = textwrap.dedent(
        """
        import os
        from bot.cli import app

        @app.command("crash")
        def crash() -> None:
            token = os.environ["DISCORD_TOKEN"]
            raise RuntimeError("something broke with " + str(len(token)) + " characters")

        app(["crash"])
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script],
        env=clean_env(DISCORD_TOKEN=TOKEN, COLUMNS="200"),
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0 and "something broke" in proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr


def test_sync_without_a_reachable_discord_is_one_line_without_the_token(tmp_path):
    # No internet here (DNS fails); elsewhere Discord rejects the fake token. Either way: one line.
    proc = subprocess.run(
        [QUOTEBOT, "sync", "--store", str(tmp_path / "store")],
        env=clean_env(DISCORD_TOKEN=TOKEN),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (1, 2)
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert TOKEN not in proc.stdout + proc.stderr


async def test_the_token_is_in_no_log_line_through_faults(
    seed_retriever: Any, seed_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # everything, discord.py's debug logs included
    async with running_fake(token=TOKEN, ack_deadline=3.0) as fake:
        fake.inject_faults("PATCH", r"/messages/@original$", rate_limited(0.1), server_error(502))
        async with running_bot(fake, seed_retriever, seed_settings):
            record = await fake.send_slash("ask", {"question": "Who hosted the talks in Moscow?"})
            await fake.wait_answer(record, timeout=30)
            await fake.drop_connection(4000)
            await fake.wait_for(lambda: fake.resume_count >= 1, timeout=30, what="a RESUME")
            record = await fake.send_slash("ask", {"question": "   "})  # an error path
            await fake.wait_callback(record, timeout=30)
    assert caplog.records and TOKEN not in caplog.text
    assert all(TOKEN not in str(r.args) for r in caplog.records)
