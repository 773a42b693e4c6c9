"""/ask latency through the fake Discord: interaction sent -> final edit, single and 50 concurrent.

    python benchmarks/bot_latency.py [--corpus seeds] [--concurrent 50] [--rounds 20]

Indexes the corpus into a temporary store, starts the fake Discord and the real bot, and prints the
median and p95 latencies (the real model and Chroma; no Discord account needed).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.config import IndexSettings  # noqa: E402
from index.embedding import get_embedder  # noqa: E402
from index.ingest import index_corpus  # noqa: E402
from index.retrieve import Retriever  # noqa: E402
from tests.bot_fixtures import final_edit_latency, latency_summary, running_bot, timed_asks  # noqa: E402
from tests.fakediscord import running_fake  # noqa: E402

QUESTIONS = [
    "Who did the president talk to first?",
    "What did the foreign ministers say about reprisals?",
    "Which countries pushed for power-sharing?",
    "What does the Foreign Secretary hope for?",
    "When did the takeover happen?",
]


async def main(corpus: Path, concurrent: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(corpus, Path(tmp) / "corpus")
        settings = IndexSettings(corpus_dir=Path(tmp) / "corpus", store_dir=Path(tmp) / "store")
        embedder = get_embedder()
        print(index_corpus(settings, embedder=embedder).line())
        retriever = await asyncio.to_thread(Retriever.open, settings, embedder=embedder)
        async with running_fake(ack_deadline=3.0) as fake, running_bot(fake, retriever, settings):
            await timed_asks(fake, QUESTIONS)  # warm-up
            single = []
            for i in range(rounds):
                (record,) = await timed_asks(fake, [QUESTIONS[i % len(QUESTIONS)]])
                single.append(final_edit_latency(fake, record))
            records = await timed_asks(
                fake, [f"{QUESTIONS[i % len(QUESTIONS)]} ({i})" for i in range(concurrent)]
            )
            print(latency_summary("/ask single, sent -> final edit", single))
            print(
                latency_summary(
                    f"/ask {concurrent} concurrent, acknowledgement", [r.ack_latency for r in records]
                )
            )
            print(
                latency_summary(
                    f"/ask {concurrent} concurrent, sent -> final edit",
                    [final_edit_latency(fake, r) for r in records],
                )
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("seeds"))
    parser.add_argument("--concurrent", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.corpus, args.concurrent, args.rounds))
