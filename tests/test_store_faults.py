"""Store faults on a Chroma server: a rebuild by another client (defect 2) and a server that stops answering
(defect 3). A running reader never breaks, and nothing waits on a hung server without a bound."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import threading
import time
import uuid
from typing import Any

import pytest

from index.config import IndexSettings
from index.errors import StoreUnavailableError
from index.ingest import index_corpus
from index.retrieve import Retriever
from tests.bot_fixtures import running_bot
from tests.conftest import CHROMA_PROCESSES, SEEDS
from tests.fakediscord import FakeDiscord

ASK = "Who hosted the talks in Moscow?"


def server_corpus(tmp_path, chroma_server: str, n: int = 2, **kw: Any) -> IndexSettings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(SEEDS.glob("*.txt"))[-n:]:
        shutil.copy(path, corpus / path.name)
    return IndexSettings(
        _env_file=None,
        corpus_dir=corpus,
        chroma_url=chroma_server,
        collection=f"f{uuid.uuid4().hex[:8]}",
        refresh_seconds=0,
        **kw,
    )


def test_a_rebuild_by_another_client_does_not_break_a_running_reader(chroma_server, tmp_path, embedder):
    settings = server_corpus(tmp_path, chroma_server)
    index_corpus(settings, embedder=embedder)
    reader = Retriever.open(settings, embedder)
    try:
        assert reader.search(ASK).answered
        (settings.corpus_dir / "orchard.txt").write_text(
            "Orchard Harvest\n\nThe valley orchards picked a record apple harvest this autumn, growers said.",
            encoding="utf-8",
        )
        index_corpus(settings, embedder=embedder, rebuild=True)  # drops and re-creates the collections
        hit = reader.search("How was the apple harvest this year?").hits[0]
        assert hit.source == "orchard.txt"
        assert reader.search(ASK).answered
        assert {s.source for s in reader.sources()} >= {"orchard.txt"}
    finally:
        reader.close()


@contextlib.contextmanager
def stopped(url: str):
    """SIGSTOP the `chroma run` process behind ``url``; SIGCONT it whatever happens."""
    proc = CHROMA_PROCESSES[url]
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(proc.pid, signal.SIGCONT)


def within(seconds: float, fn, *args, **kwargs):
    """Run ``fn`` in a thread; its result or error, or AssertionError when it is still running after
    ``seconds`` (the thread is left to finish once the server continues)."""
    box: dict[str, Any] = {}

    def run():
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{fn.__name__} still waiting after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["result"], time.monotonic() - started


def test_a_hung_server_costs_a_bounded_wait_and_a_clear_message(chroma_server, tmp_path, embedder):
    settings = server_corpus(tmp_path, chroma_server, store_timeout=1.5)
    index_corpus(settings, embedder=embedder)
    reader = Retriever.open(settings, embedder)
    try:
        with stopped(chroma_server):
            # Questions are answered from the tables in memory, the first one after at most one timeout.
            answer, _ = within(8, reader.search, ASK)
            assert answer.answered and "hosted by Russia" in answer.hits[0].quote
            for _ in range(3):
                _, took = within(8, reader.search, ASK)
                assert took < 1.0  # later ones do not wait on the server at all
            # Writing needs the server: a bounded wait, then a clear message.
            with pytest.raises(StoreUnavailableError, match="not reachable right now"):
                within(12, index_corpus, settings, embedder=embedder)
        assert within(30, reader.search, ASK)[0].answered
    finally:
        reader.close()


async def test_a_hung_server_stalls_nothing_in_discord(
    chroma_server, tmp_path, embedder, fake: FakeDiscord
) -> None:
    settings = server_corpus(tmp_path, chroma_server, store_timeout=1.5)
    index_corpus(settings, embedder=embedder)
    reader = Retriever.open(settings, embedder)
    try:
        async with running_bot(fake, reader, settings):
            first = await fake.send_slash("ask", {"question": ASK})
            answer = await fake.wait_answer(first, timeout=30)
            with stopped(chroma_server):
                asks = [await fake.send_slash("ask", {"question": ASK}) for _ in range(8)]
                sources = await fake.send_slash("sources", {})
                complete = await fake.send_autocomplete("quote", {"text": "talks", "source": ""}, "source")
                context = await fake.click(answer, label="Context", user_id=fake.user_id)
                assert await fake.wait_autocomplete(complete, timeout=3)
                await fake.wait_answer(sources, timeout=5)
                await fake.wait_answer(context, timeout=5)
                for record in asks:
                    message = await fake.wait_answer(record, timeout=10)
                    assert "hosted by Russia" in message["embeds"][0]["description"]
    finally:
        reader.close()
