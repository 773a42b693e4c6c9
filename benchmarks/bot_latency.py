"""/ask latency through the fake Discord: acknowledgement and final edit, one at a time and in bursts.

    python benchmarks/bot_latency.py [--corpus seeds] [--concurrent 50] [--bursts 6] [--rounds 20]
                                     [--compare | --process] [--rerank N]

Indexes the corpus into a temporary store, starts the fake Discord and the real bot (real model, real
Chroma, the real discord.py client; no Discord account needed) and prints, for single questions and for
bursts of ``--concurrent`` questions sent at once (each from its own member), p50/p95/max of:

- acknowledgement: interaction sent -> the bot's deferral reaches the fake (Discord's limit is 3 s);
- final edit: interaction sent -> the answer's edit reaches the fake;

and the CPU time one burst costs (steadier than latency on a shared machine). Burst figures pool every
question of every burst.

By default the bot runs in this process, beside the fake, as the tests run it. ``--process`` runs it as
deployed: `quotebot run` in its own process (tests/fakediscord/bot_process.py), the fake in this one.
``--compare`` (in process) interleaves two ways of running the bursts: "batched" (as shipped) and "one by
one" (the query micro-batcher off: every question encoded alone, as before issue 12).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from index.config import IndexSettings  # noqa: E402
from index.embedding import get_embedder  # noqa: E402
from index.ingest import index_corpus  # noqa: E402
from index.retrieve import Retriever  # noqa: E402
from tests.bot_fixtures import final_edit_latency, latency_summary, running_bot, timed_asks  # noqa: E402
from tests.fakediscord import FakeDiscord, patch_discord  # noqa: E402

QUESTIONS = [
    "Who did the president talk to first?",
    "What did the foreign ministers say about reprisals?",
    "Which countries pushed for power-sharing?",
    "What does the Foreign Secretary hope for?",
    "When did the takeover happen?",
    "How was the apple harvest this year?",
    "Who hosted the talks in Moscow?",
]


def batcher_of(embedder: object):
    """The encoder's query micro-batcher, or None (an older tree, another embedder)."""
    encoder = embedder.load() if hasattr(embedder, "load") else embedder
    return getattr(encoder, "query_batcher", None)


class Variant:
    """A way to run the bursts: batched as shipped, or each question encoded alone."""

    def __init__(self, name: str, batcher, *, batched: bool) -> None:
        self.name, self.batcher, self.batched = name, batcher, batched
        self.ack: list[float] = []
        self.final: list[float] = []
        self.burst_p95: list[float] = []
        self.sizes: list[int] = []
        self.cpu: list[float] = []  # process CPU seconds (all threads) per burst: steadier than latency

    def apply(self) -> None:
        if self.batcher is None:
            return
        self.default = getattr(self, "default", (self.batcher.window, self.batcher.max_batch))
        self.batcher.window, self.batcher.max_batch = self.default if self.batched else (0.0, 1)


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) used so far by process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def bot_in_process(fake: FakeDiscord, settings: IndexSettings, embedder) -> AsyncIterator[Callable]:
    """The bot in this process (as the tests run it); yields a CPU clock of this process."""
    retriever = await asyncio.to_thread(Retriever.open, settings, embedder=embedder)
    with patch_discord(fake):
        async with running_bot(fake, retriever, settings):
            yield lambda: sum(os.times()[:2])
    retriever.close()


@contextlib.asynccontextmanager
async def bot_in_its_own_process(
    fake: FakeDiscord, settings: IndexSettings, tmp: Path
) -> AsyncIterator[Callable]:
    """`quotebot run` in its own process, as deployed (Discord elsewhere); yields that process's CPU clock."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("QUOTEBOT_", "CHROMA_", "DISCORD_"))},
        "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": fake.token,
        "DISCORD_GUILD_ID": str(fake.guild_id),
        "QUOTEBOT_CORPUS_DIR": str(settings.corpus_dir),
        "QUOTEBOT_STORE_DIR": str(settings.store_dir),
        "QUOTEBOT_COOLDOWN": "0",
        "QUOTEBOT_RERANK": str(settings.rerank),
    }
    with (tmp / "bot.log").open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.fakediscord.bot_process", fake.base_url, "run",
            env=env, cwd=tmp, stdout=log, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    try:
        await fake.wait_for(
            lambda: fake.connected and fake.find_command("ask", guild_id=fake.guild_id), timeout=120
        )
        yield lambda: process_cpu(proc.pid)
    finally:
        proc.terminate()
        await proc.wait()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(args.corpus, Path(tmp) / "corpus")
        settings = IndexSettings(
            _env_file=None,
            corpus_dir=Path(tmp) / "corpus",
            store_dir=Path(tmp) / "store",
            **({} if args.rerank is None else {"rerank": args.rerank}),
        )
        embedder = get_embedder()
        print(index_corpus(settings, embedder=embedder).line())
        batcher = None if args.process else batcher_of(embedder)
        name = "own process" if args.process else "batched" if batcher is not None else "no batcher"
        variants = [Variant(name, batcher, batched=True)]
        if args.compare:
            if batcher is None:
                raise SystemExit("--compare needs the query micro-batcher (index/batcher.py), in process")
            variants.append(Variant("one by one", batcher, batched=False))
        async with FakeDiscord(ack_deadline=3.0) as fake:
            serving = (
                bot_in_its_own_process(fake, settings, Path(tmp))
                if args.process
                else bot_in_process(fake, settings, embedder)
            )
            async with serving as cpu_clock:
                await timed_asks(fake, QUESTIONS, timeout=120)  # warm-up (the model loads)
                single = []
                for i in range(args.rounds):
                    (record,) = await timed_asks(fake, [QUESTIONS[i % len(QUESTIONS)]])
                    single.append(final_edit_latency(fake, record))
                print(latency_summary("/ask single, sent -> final edit", single))
                for burst in range(args.bursts):
                    for variant in variants if burst % 2 == 0 else variants[::-1]:
                        variant.apply()
                        seen = len(batcher.batch_sizes) if batcher is not None else 0
                        questions = [
                            f"{QUESTIONS[i % len(QUESTIONS)]} ({burst}.{i})" for i in range(args.concurrent)
                        ]
                        cpu0 = cpu_clock()
                        records = await timed_asks(fake, questions)
                        variant.cpu.append(cpu_clock() - cpu0)
                        final = [final_edit_latency(fake, r) for r in records]
                        variant.ack += [r.ack_latency for r in records]
                        variant.final += final
                        variant.burst_p95.append(p(final, 0.95))
                        if batcher is not None:
                            variant.sizes += batcher.batch_sizes[seen:]
                        await asyncio.sleep(0.2)  # let the last responses settle
        for v in variants:
            label = f"/ask {args.concurrent} concurrent x {args.bursts} bursts [{v.name}]"
            print(latency_summary(f"{label}, acknowledgement", v.ack))
            print(latency_summary(f"{label}, sent -> final edit", v.final))
            whose = "bot process" if args.process else "process"
            cpu = f"; {whose} CPU per burst median {statistics.median(v.cpu) * 1000:.0f} ms"
            sizes = f"; encodes per burst {len(v.sizes) / args.bursts:.1f}, texts per encode " + (
                f"median {statistics.median(v.sizes):.0f}, max {max(v.sizes)}" if v.sizes else "n/a"
            )
            print(
                f"{label}: per-burst p95 {', '.join(f'{x * 1000:.0f}' for x in v.burst_p95)} ms"
                + cpu
                + (sizes if batcher is not None else "")
            )
        if args.compare:
            a, b = variants
            print(
                f"ratio one-by-one / batched: final p50 "
                f"{statistics.median(b.final) / statistics.median(a.final):.2f}x, "
                f"p95 {p(b.final, 0.95) / p(a.final, 0.95):.2f}x, "
                f"CPU per burst {statistics.median(b.cpu) / statistics.median(a.cpu):.2f}x"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("seeds"))
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument(
        "--rerank", type=int, default=None, help="QUOTEBOT_RERANK for the bot (default: its own)"
    )
    parser.add_argument("--compare", action="store_true", help="interleave batched and one-by-one bursts")
    parser.add_argument(
        "--process", action="store_true", help="run the bot as `quotebot run` in its own process"
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
        f"{time.strftime('%Y-%m-%d %H:%M')}"
    )
    asyncio.run(main(args))
