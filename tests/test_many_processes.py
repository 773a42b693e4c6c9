"""Many processes, one index: two bot processes and an indexer process share one real `chroma run` server.

Each bot is the real `quotebot run` in its own process, logged in to its own fake Discord (two bot
applications serving one corpus; the fakes run in this test's process). A document changes and the indexer
process re-indexes it while both bots are being asked continuously: no interaction fails, and both bots
answer from the new version within their refresh interval (QUOTEBOT_REFRESH_SECONDS).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot_fixtures import all_text, visible
from tests.conftest import ROOT, SEEDS
from tests.fakediscord import FakeDiscord

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

REFRESH_SECONDS = 1.0
RELOAD_SLACK = 2.0  # a reload in progress (started by an earlier question) may still serve the old tables
QUESTION = "When will the harbour bridge reopen to traffic?"
OLD, NEW = "Monday 14 April", "Thursday 24 April"
BRIDGE = (
    "Harbour Bridge Works\n\n"
    "The harbour bridge will reopen to traffic on {day}, the council said, once the repairs to its lifting "
    "deck are signed off by the inspectors.\n\n"
    "Cyclists will share the east lane with pedestrians until the new riverside path opens in the summer.\n"
)


def child_env(tmp_path: Path, chroma_url: str, collection: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(ROOT),
        CHROMA_URL=chroma_url,
        QUOTEBOT_COLLECTION=collection,
        QUOTEBOT_CORPUS_DIR=str(tmp_path / "corpus"),
        QUOTEBOT_STORE_DIR=str(tmp_path / "unused-store"),
        QUOTEBOT_REFRESH_SECONDS=str(REFRESH_SECONDS),
        QUOTEBOT_COOLDOWN="0",
        **extra,
    )
    return env


async def run_indexer(env: dict[str, str], cwd: Path) -> tuple[str, float]:
    """`quotebot index` in its own process; its output and the moment it exited."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "index",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 180)
    done = time.monotonic()
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text
    return text, done


@contextlib.asynccontextmanager
async def bot_process(fake: FakeDiscord, env: dict[str, str], cwd: Path, log: Path) -> AsyncIterator[None]:
    """The real `quotebot run` in its own process, logged in to ``fake``."""
    env = {**env, "DISCORD_TOKEN": fake.token, "DISCORD_GUILD_ID": str(fake.guild_id)}
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.fakediscord.bot_process",
            fake.base_url,
            "run",
            "-v",
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        await fake.wait_for(
            lambda: fake.connected and fake.find_command("ask", guild_id=fake.guild_id),
            timeout=90,
            what=f"the bot process to connect and sync (log: {log})",
        )
        yield
        assert proc.returncode is None, f"the bot process died: {log.read_text()[-3000:]}"
        text = log.read_text(errors="replace")
        assert "Traceback" not in text and " ERROR " not in text, text[-3000:]
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def version_of(message: dict[str, Any] | None) -> str:
    """ "old" or "new": which version of the bridge notice the answer quotes (anything else fails)."""
    assert message is not None and message["embeds"], message
    text = visible(all_text(message))
    has_old, has_new = OLD in text, NEW in text
    assert has_old != has_new, text
    return "new" if has_new else "old"


async def ask_until(fake: FakeDiscord, stop: asyncio.Event, every: float) -> list[Any]:
    """Send /ask every ``every`` seconds (each from a new member) until ``stop``; the records."""
    records = []
    while not stop.is_set():
        user = fake.add_user(f"asker{len(records)}")
        records.append(await fake.send_slash("ask", {"question": QUESTION}, user_id=user))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
    return records


async def test_two_bot_processes_and_an_indexer_share_one_chroma_server(
    chroma_server: str, tmp_path: Path
) -> None:
    t0 = time.monotonic()
    shutil.copytree(SEEDS, tmp_path / "corpus")
    bridge = tmp_path / "corpus" / "harbour-bridge.txt"
    bridge.write_text(BRIDGE.format(day=OLD), encoding="utf-8")
    env = child_env(tmp_path, chroma_server, f"many{uuid.uuid4().hex[:8]}")
    first, _ = await run_indexer(env, tmp_path)
    assert "6 added" in first, first

    async with FakeDiscord(ack_deadline=3.0) as fake_a, FakeDiscord(ack_deadline=3.0) as fake_b:
        fakes = (fake_a, fake_b)
        async with (
            bot_process(fake_a, env, tmp_path, tmp_path / "bot-a.log"),
            bot_process(fake_b, env, tmp_path, tmp_path / "bot-b.log"),
        ):
            started = time.monotonic() - t0
            for fake in fakes:  # the first answer waits for the bot's model to load
                record = await fake.send_slash("ask", {"question": QUESTION}, user_id=fake.user_id)
                assert version_of(await fake.wait_answer(record, timeout=90)) == "old"

            stop = asyncio.Event()
            askers = [asyncio.create_task(ask_until(fake, stop, 0.2)) for fake in fakes]
            await asyncio.sleep(1.0)
            bridge.write_text(BRIDGE.format(day=NEW), encoding="utf-8")
            reindex_started = time.monotonic()
            second, indexed_at = await run_indexer(env, tmp_path)
            assert "1 changed" in second, second
            await asyncio.sleep(REFRESH_SECONDS + RELOAD_SLACK + 1.5)
            stop.set()
            streams = await asyncio.gather(*askers)

            delays = []
            for fake, records in zip(fakes, streams, strict=True):
                answers = [await fake.wait_answer(r, timeout=60) for r in records]
                for record in records:  # no failed interaction while the index changed
                    assert record.callback_type == 5 and record.callback.status < 300, record.callback
                seen = [(r.sent_at, version_of(a)) for r, a in zip(records, answers, strict=True)]
                assert all(v == "old" for at, v in seen if at < reindex_started), seen
                assert all(v == "new" for at, v in seen if at > indexed_at + REFRESH_SECONDS + RELOAD_SLACK)
                first_new = min(at for at, v in seen if v == "new")
                delays.append(first_new - indexed_at)
                assert first_new - indexed_at <= REFRESH_SECONDS + RELOAD_SLACK, seen
            print(
                f"\nmany processes: bots up {started:.1f} s after start; {sum(map(len, streams))} questions "
                f"while re-indexing, none failed; indexer ran {indexed_at - reindex_started:.1f} s; first "
                f"new answers {', '.join(f'{d:+.2f}' for d in delays)} s after it exited "
                f"(refresh {REFRESH_SECONDS:.0f} s); total {time.monotonic() - t0:.1f} s"
            )
