"""An embedded store and a second process (defect 1): a running bot never breaks, and `quotebot index` run
elsewhere is served within seconds (the bot that owns the store does the work)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.handoff import HandoffServer
from index.ingest import index_corpus
from index.retrieve import Retriever
from tests.conftest import SEEDS, make_settings

QUOTEBOT = str(Path(sys.executable).parent / "quotebot")
ARTICLE = (
    "Harbour Bridge Reopens\n\n"
    "The harbour bridge reopened to traffic on Friday after eight months of repairs to its steel cables. "
    "Engineers replaced more than four hundred corroded wires and repainted the towers.\n"
)


@pytest.fixture()
def indexed(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(SEEDS.glob("*.txt"))[3:5]:
        shutil.copy(path, corpus / path.name)
    settings = make_settings(corpus, tmp_path / "store")
    index_corpus(settings, embedder=embedder)
    return settings


def quotebot(settings, *args: str) -> subprocess.CompletedProcess:
    """`quotebot ARGS --corpus .. --store ..` in another process, with no quotebot settings from outside."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUOTEBOT_", "CHROMA_", "DISCORD_"))}
    dirs = ["--corpus", str(settings.corpus_dir), "--store", str(settings.store_dir)]
    return subprocess.run(
        [QUOTEBOT, *args, *dirs],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=settings.corpus_dir,
    )


def test_index_from_another_process_is_done_by_the_running_bot(indexed, embedder):
    bot = Retriever.open(indexed, embedder)  # what `quotebot run` opens
    server = HandoffServer(bot).start()
    try:
        assert bot.search("Who hosted the talks in Moscow?").answered
        (indexed.corpus_dir / "bridge.txt").write_text(ARTICLE, encoding="utf-8")
        started = time.monotonic()
        done = quotebot(indexed, "index")
        assert done.returncode == 0, done.stderr
        assert "1 added" in done.stdout and "2 unchanged" in done.stdout
        answer = bot.search("When did the harbour bridge reopen?")  # no restart, no error
        assert answer.answered and answer.hits[0].source == "bridge.txt"
        assert time.monotonic() - started < 60
        assert bot.search("Who hosted the talks in Moscow?").answered
    finally:
        server.stop()
        bot.close()


def test_other_commands_get_a_clear_refusal_and_the_bot_keeps_answering(indexed, embedder):
    bot = Retriever.open(indexed, embedder)
    server = HandoffServer(bot).start()
    try:
        result = quotebot(indexed, "sources")
        assert result.returncode == 1 and "Traceback" not in result.stderr
        (line,) = [x for x in result.stderr.splitlines() if x.strip()]
        assert "in use by another quotebot process" in line and f"pid {os.getpid()}" in line
        assert "CHROMA_URL" in line
        assert bot.search("Who hosted the talks in Moscow?").answered
    finally:
        server.stop()
        bot.close()


def test_an_owner_that_takes_no_hand_offs_is_named_not_broken(indexed, embedder):
    reader = Retriever.open(indexed, embedder)  # e.g. a long `quotebot ask -` session
    try:
        (indexed.corpus_dir / "bridge.txt").write_text(ARTICLE, encoding="utf-8")
        result = quotebot(indexed, "index")
        assert result.returncode == 1 and "in use by another quotebot process" in result.stderr
        assert reader.search("Who hosted the talks in Moscow?").answered
    finally:
        reader.close()
    # Once the owner has gone, the other process indexes by itself.
    result = quotebot(indexed, "index")
    assert result.returncode == 0 and "1 added" in result.stdout, result.stderr
