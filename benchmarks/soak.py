"""Soak: thousands of interactions through the fake Discord against the real bot in its own process, with a
re-index from another process in the middle and (server mode) a Chroma-server restart.

    python benchmarks/soak.py [--mode embedded|server|both] [--interactions 2000] [--seconds 120]

The bot runs as `quotebot run` does (run_bot: the hand-off server, the real model and store), only pointed at
the fake Discord, in a subprocess whose memory is measured from /proc. The soak process plays Discord and the
users: /ask, /quote, Find sources, autocomplete, /sources and Context clicks at a steady rate, from 50 members.

Prints, per mode: interactions sent, acknowledged in time, answered, failed (no acknowledgement within Discord's
3 s, an error message, or no answer within 60 s), latencies, when the re-indexed text was first served, the
server restart's downtime, and the bot's memory after warm-up and at the end. Exit code 1 when any interaction
failed or memory grew by 50 MB or more.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakediscord import FakeDiscord  # noqa: E402

QUOTEBOT = str(Path(sys.executable).parent / "quotebot")
CHROMA = str(Path(sys.executable).parent / "chroma")
QUESTIONS = [
    "Who did the president talk to first?",
    "What did the foreign ministers say about reprisals?",
    "Which countries pushed for power-sharing?",
    "Who hosted the talks in Moscow?",
    "When did the takeover happen?",
    "How many troops are American?",
    "thanks!",
    "What is the capital of Peru?",
]
# What members type into /quote's source box: the soak's data about the seed corpus, like QUESTIONS.
SOURCE_TYPED = ["", "afghan", "Biden", "talks", "ru"]
NEW_FACT = "The harbour committee approved the zeppelin mooring plan on a stormy Tuesday evening."
NEW_QUESTION = "What did the harbour committee approve for the zeppelins?"
WARMUP_FACT = "The lighthouse keepers repainted the lamp room in bright orange during the autumn."
ERROR_MARKS = ("Something went wrong", "not reachable", "error id")
ANSWER_TIMEOUT = 60.0
MEMORY_LIMIT_MB = 50.0
REINDEX = os.environ.get("SOAK_NO_REINDEX") != "1"  # for diagnosis only


# -- the bot process ---------------------------------------------------------------------------------------


def bot_main(args: argparse.Namespace) -> int:
    """`quotebot run`, pointed at the fake Discord (soak's child process)."""
    import discord.gateway
    import discord.http
    import yarl

    from bot.config import BotSettings
    from bot.runner import run_bot
    from index.config import IndexSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord").setLevel(logging.WARNING)
    discord.http.Route.BASE = args.api
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(args.gateway)
    index_settings = IndexSettings(
        _env_file=None, corpus_dir=args.corpus, store_dir=args.store, chroma_url=args.chroma or None
    )
    bot_settings = BotSettings(
        _env_file=None, discord_token=args.token, discord_guild_id=args.guild, cooldown=0
    )
    return run_bot(index_settings, bot_settings)


# -- helpers -----------------------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUOTEBOT_", "CHROMA_", "DISCORD_"))}
    env.update(extra)
    return env


class ChromaServer:
    def __init__(self, path: Path) -> None:
        self.path, self.port = path, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = open(path.parent / "chroma.log", "a")  # noqa: SIM115

    def start(self) -> float:
        started = time.monotonic()
        cmd = [CHROMA, "run", "--path", str(self.path), "--host", "127.0.0.1", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return time.monotonic() - started
            except OSError:
                if time.monotonic() - started > 60:
                    raise RuntimeError("chroma run did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class Outcome:
    kind: str
    sent: float
    acked: float | None = None
    answered: float | None = None
    error: str = ""


@dataclass
class Soak:
    fake: FakeDiscord
    users: list[int]
    answers: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (asker, message) with buttons
    outcomes: list[Outcome] = field(default_factory=list)
    new_served_at: float | None = None

    async def one(self, i: int, rng: random.Random) -> None:
        fake = self.fake
        user = self.users[i % len(self.users)]
        roll = rng.random()
        contexts = [(u, m) for u, m in self.answers[-20:] if _has_button(m, "Context")]
        if roll < 0.40:
            kind, record = (
                "ask",
                await fake.send_slash("ask", {"question": rng.choice(QUESTIONS)}, user_id=user),
            )
        elif roll < 0.50:
            text = rng.choice(QUESTIONS)
            kind, record = "quote", await fake.send_slash("quote", {"text": text}, user_id=user)
        elif roll < 0.55:
            target = fake.post_user_message(rng.choice(QUESTIONS))
            kind, record = "find", await fake.send_message_command("Find sources", target, user_id=user)
        elif roll < 0.75:
            kind = "autocomplete"
            partial = rng.choice(SOURCE_TYPED)
            record = await fake.send_autocomplete(
                "quote", {"text": "talks", "source": partial}, "source", user_id=user
            )
        elif roll < 0.85 or not contexts:
            kind, record = "sources", await fake.send_slash("sources", {}, user_id=user)
        else:
            asker, message = rng.choice(contexts)
            kind, record = "context", await fake.click(message, label="Context", user_id=asker)
        outcome = Outcome(kind, record.sent_at)
        self.outcomes.append(outcome)
        try:
            callback = await fake.wait_callback(record, timeout=3.5)
            outcome.acked = callback.received_at
            if callback.status != 200:
                outcome.error = f"callback {callback.status}"
                return
            if kind == "autocomplete":
                await fake.wait_autocomplete(record, timeout=ANSWER_TIMEOUT)
                outcome.answered = time.monotonic()
                return
            message = await self.final_message(record)
            outcome.answered = time.monotonic()
            text = json.dumps(message.get("content")) + json.dumps(message.get("embeds"))
            if any(mark in text for mark in ERROR_MARKS):
                outcome.error = "error message: " + (message.get("content") or "")[:120]
            elif kind == "ask" and _has_button(message, "Context"):
                self.answers.append((record.user_id, message))
            if kind == "ask" and "zeppelin" in text and self.new_served_at is None:
                self.new_served_at = time.monotonic()
        except AssertionError as error:  # FakeDiscordTimeout
            outcome.error = "no acknowledgement" if outcome.acked is None else f"no answer: {error}"[:160]

    async def final_message(self, record: Any) -> dict[str, Any]:
        """The answer: the edited original, or (when the original "thinking" message was replaced by a
        private note, as /quote does when nothing answers well enough) the first followup."""
        fake = self.fake

        def check() -> dict[str, Any] | None:
            followups = fake.followups(record)
            if followups:
                return followups[0]
            message = fake.original_message(record)
            if message is None or message["flags"] & 128:  # LOADING
                return None
            if record.callback_type == 6 and not fake._edited_since_callback(record):
                return None
            return message

        return await fake.wait_for(check, timeout=ANSWER_TIMEOUT, what=f"the answer to {record.token}")


def _has_button(message: dict[str, Any], label: str) -> bool:
    return any(
        c.get("label") == label for row in message.get("components") or [] for c in row.get("components", [])
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] if ordered else float("nan")


# -- one soak run ------------------------------------------------------------------------------------------


async def run_mode(mode: str, interactions: int, seconds: float, workdir: Path) -> bool:
    print(f"\n== {mode} store: {interactions} interactions over {seconds:.0f} s ==", flush=True)
    corpus = workdir / "corpus"
    shutil.copytree(ROOT / "seeds", corpus)
    store = workdir / "store"
    server = ChromaServer(workdir / "chroma") if mode == "server" else None
    env = clean_env()
    if server is not None:
        server.start()
        env["CHROMA_URL"] = server.url
    dirs = ["--corpus", str(corpus), "--store", str(store)]
    t = time.monotonic()
    subprocess.run([QUOTEBOT, "index", *dirs], env=env, check=True, capture_output=True, text=True)
    print(f"indexed the seeds in {time.monotonic() - t:.1f} s", flush=True)

    fake = FakeDiscord(ack_deadline=3.0)
    await fake.start()
    bot_log = open(workdir / "bot.log", "w")  # noqa: SIM115
    bot = subprocess.Popen(
        [sys.executable, __file__, "_bot", "--api", fake.api_url, "--gateway", fake.gateway_url]
        + [
            "--token",
            fake.token,
            "--guild",
            str(fake.guild_id),
            "--corpus",
            str(corpus),
            "--store",
            str(store),
        ]
        + (["--chroma", server.url] if server else []),
        env=clean_env(),
        stdout=bot_log,
        stderr=subprocess.STDOUT,
    )
    ok = False
    try:
        await fake.wait_connected(timeout=180)
        await fake.wait_for(lambda: fake.find_command("ask", guild_id=fake.guild_id), timeout=60, what="sync")
        soak = Soak(fake, [fake.add_user(f"member{i}") for i in range(50)])
        rng = random.Random(11)
        warmup = max(50, interactions // 10)
        await asyncio.gather(*(soak.one(i, rng) for i in range(warmup)))
        await asyncio.sleep(1)
        before_mb = rss_mb(bot.pid)
        # Warm up the indexing path too (its parsers and tokenizer load on first use): one re-index from
        # another process, of an edited document, while the interactions go on.
        warm: dict[str, Any] = {}
        await asyncio.gather(
            reindex_elsewhere(corpus, dirs, env, warm, WARMUP_FACT),
            *(soak.one(i, rng) for i in range(warmup, 2 * warmup)),
        )
        await asyncio.sleep(1)
        base_mb = rss_mb(bot.pid)
        soak.outcomes.clear()
        print(
            f"warm-up: {2 * warmup} interactions and one re-index (exit {warm.get('reindex_rc')}); bot RSS "
            f"{before_mb:.0f} MB before the first re-index, {base_mb:.0f} MB after it",
            flush=True,
        )

        samples: list[tuple[float, float]] = []
        sampler = asyncio.create_task(sample_memory(bot.pid, samples))
        started = time.monotonic()
        dt = seconds / interactions
        tasks: list[asyncio.Task[None]] = []
        events: dict[str, Any] = {}
        reindex_task = restart_task = None
        for i in range(interactions):
            at = started + i * dt
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            if reindex_task is None and REINDEX and time.monotonic() - started >= seconds / 3:
                reindex_task = asyncio.create_task(reindex_elsewhere(corpus, dirs, env, events))
            if server is not None and restart_task is None and time.monotonic() - started >= 2 * seconds / 3:
                restart_task = asyncio.create_task(restart(server, events))
            if events.get("reindexed_at") and soak.new_served_at is None and i % 10 == 0:
                tasks.append(asyncio.create_task(probe(soak, rng)))
            tasks.append(asyncio.create_task(soak.one(i, rng)))
        sending = time.monotonic() - started
        await asyncio.gather(*tasks)
        for task in (reindex_task, restart_task):
            if task is not None:
                await task
        while REINDEX and soak.new_served_at is None and time.monotonic() - started < seconds + 120:
            await probe(soak, rng)
        sampler.cancel()
        end_mb = rss_mb(bot.pid)
        ok = report(soak, events, sending, started, base_mb, end_mb, interactions)
        print("bot RSS over time (s: MB): " + ", ".join(f"{t - started:.0f}: {mb:.0f}" for t, mb in samples))
    finally:
        bot.send_signal(signal.SIGINT)
        try:
            bot.wait(30)
        except subprocess.TimeoutExpired:
            bot.kill()
        bot_log.close()
        await fake.stop()
        if server is not None:
            server.stop()
    errors = [line for line in (workdir / "bot.log").read_text().splitlines() if " ERROR " in line]
    print(f"bot log: {len(errors)} ERROR lines" + (f", first: {errors[0][:200]}" if errors else ""))
    return ok and not errors


async def sample_memory(pid: int, samples: list[tuple[float, float]], every: float = 10.0) -> None:
    while True:
        samples.append((time.monotonic(), rss_mb(pid)))
        await asyncio.sleep(every)


async def probe(soak: Soak, rng: random.Random) -> None:
    record = await soak.fake.send_slash("ask", {"question": NEW_QUESTION}, user_id=rng.choice(soak.users))
    try:
        message = await soak.fake.wait_answer(record, timeout=ANSWER_TIMEOUT)
    except AssertionError:
        return
    if "zeppelin" in json.dumps(message.get("embeds")) and soak.new_served_at is None:
        soak.new_served_at = time.monotonic()


async def reindex_elsewhere(
    corpus: Path, dirs: list[str], env: dict[str, str], events: dict[str, Any], fact: str = NEW_FACT
) -> None:
    """Edit a document and run `quotebot index` in another process (it hands off to the bot when the store is
    embedded, and writes to the server itself otherwise)."""
    target = sorted(corpus.glob("*.txt"))[0 if fact == NEW_FACT else 1]
    target.write_text(target.read_text(encoding="utf-8") + "\n\n" + fact + "\n", encoding="utf-8")
    events["reindex_started"] = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        QUOTEBOT, "index", *dirs, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await proc.communicate()
    events["reindexed_at"] = time.monotonic()
    events["reindex_rc"] = proc.returncode
    events["reindex_out"] = (out.decode().strip() or err.decode().strip()[-300:]).splitlines()[-1:]


async def restart(server: ChromaServer, events: dict[str, Any]) -> None:
    t = time.monotonic()
    await asyncio.to_thread(server.stop)
    await asyncio.to_thread(server.start)
    events["restart_downtime"] = time.monotonic() - t


def report(
    soak: Soak,
    events: dict[str, Any],
    sending: float,
    started: float,
    base_mb: float,
    end_mb: float,
    interactions: int,
) -> bool:
    outs = soak.outcomes
    acked = [o for o in outs if o.acked is not None and not o.error.startswith("callback")]
    failed = [o for o in outs if o.error]
    ack_ms = [(o.acked - o.sent) * 1000 for o in acked]
    answer_ms = [(o.answered - o.sent) * 1000 for o in outs if o.answered is not None]
    kinds = {k: sum(1 for o in outs if o.kind == k) for k in sorted({o.kind for o in outs})}
    print(f"sent {len(outs)} interactions in {sending:.0f} s ({len(outs) / sending:.1f}/s): {kinds}")
    print(f"acknowledged within 3 s: {len(acked)}; answered: {len(answer_ms)}; failed: {len(failed)}")
    for o in failed[:10]:
        print(f"  failed {o.kind}: {o.error}")
    print(
        f"ack latency ms: median {statistics.median(ack_ms):.0f}, p95 {percentile(ack_ms, 0.95):.0f}, "
        f"max {max(ack_ms):.0f}"
    )
    print(
        f"answer latency ms: median {statistics.median(answer_ms):.0f}, p95 {percentile(answer_ms, 0.95):.0f}, "
        f"max {max(answer_ms):.0f}"
    )
    if "reindex_started" in events:
        served = soak.new_served_at
        print(
            f"re-index from another process: exit {events.get('reindex_rc')} ({events.get('reindex_out')}), "
            f"took {events['reindexed_at'] - events['reindex_started']:.1f} s; new text served "
            + (f"{served - events['reindex_started']:.1f} s after it started" if served else "NEVER")
        )
    if "restart_downtime" in events:
        print(f"chroma server restart: down for {events['restart_downtime']:.1f} s")
    growth = end_mb - base_mb
    print(f"bot memory: {base_mb:.0f} MB after warm-up, {end_mb:.0f} MB at the end (growth {growth:+.1f} MB)")
    good = (
        not failed
        and len(outs) == interactions
        and soak.new_served_at is not None
        and events.get("reindex_rc") == 0
        and growth < MEMORY_LIMIT_MB
    )
    print("PASS" if good else "FAIL")
    return good


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_bot":
        parser = argparse.ArgumentParser()
        for name in ("--api", "--gateway", "--token", "--corpus", "--store"):
            parser.add_argument(name, required=True)
        parser.add_argument("--guild", type=int, required=True)
        parser.add_argument("--chroma", default="")
        return bot_main(parser.parse_args(sys.argv[2:]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("embedded", "server", "both"), default="both")
    parser.add_argument("--interactions", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=120.0)
    args = parser.parse_args()
    modes = ("embedded", "server") if args.mode == "both" else (args.mode,)
    results = []
    for mode in modes:
        with tempfile.TemporaryDirectory(prefix=f"soak-{mode}-") as tmp:
            results.append(asyncio.run(run_mode(mode, args.interactions, args.seconds, Path(tmp))))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
