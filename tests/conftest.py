"""Shared fixtures: the real model (loaded once), the seed corpus indexed once into a temp Chroma store,
and a real `chroma run` server on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# Tests never read a developer's settings.
for _key in list(os.environ):
    if _key.startswith(("QUOTEBOT_", "CHROMA_", "DISCORD_")):
        del os.environ[_key]
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from index.config import IndexSettings  # noqa: E402
from tests.conftest_bot import *  # noqa: E402,F401,F403  (the bot's fixtures)
from tests.fakediscord.fixtures import fake_discord_fixture  # noqa: E402,F401


def make_settings(corpus: Path, store: Path, **kw) -> IndexSettings:
    return IndexSettings(_env_file=None, corpus_dir=corpus, store_dir=store, refresh_seconds=0, **kw)


@pytest.fixture(scope="session")
def embedder():
    from index.embedding import get_embedder

    return get_embedder()


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory) -> IndexSettings:
    root = tmp_path_factory.mktemp("seedstore")
    corpus = root / "seeds"
    shutil.copytree(SEEDS, corpus)
    return make_settings(corpus, root / "store")


def indexed_retriever(settings, embedder):
    """A retriever over ``settings``' corpus, indexed first; closed when the fixture ends."""
    from index.ingest import index_corpus
    from index.retrieve import Retriever

    index_corpus(settings, embedder=embedder)
    retriever = Retriever.open(settings, embedder)
    yield retriever
    retriever.close()


@pytest.fixture(scope="session")
def seed_retriever(seed_settings, embedder):
    yield from indexed_retriever(seed_settings, embedder)


# url -> the `chroma run` process behind it, for tests that stop and continue the server.
CHROMA_PROCESSES: dict[str, subprocess.Popen] = {}


DOCS = ROOT / "tests" / "fixtures" / "docs"


@pytest.fixture(scope="session")
def docs_settings(tmp_path_factory) -> IndexSettings:
    root = tmp_path_factory.mktemp("docsstore")
    corpus = root / "docs"
    shutil.copytree(DOCS, corpus)
    return make_settings(corpus, root / "store", source_url="https://wiki.example.org/{path}")


@pytest.fixture(scope="session")
def docs_retriever(docs_settings, embedder):
    yield from indexed_retriever(docs_settings, embedder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory) -> Iterator[str]:
    """A real `chroma run` server on a free loopback port; yields its URL."""
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        exe = Path(shutil.which("chroma") or "chroma")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(exe), "run", "--path", str(path / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"chroma run exited: {(path / 'server.log').read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("chroma run did not start within 60 s") from None
                time.sleep(0.2)
        CHROMA_PROCESSES[url] = proc
        yield url
    finally:
        CHROMA_PROCESSES.pop(url, None)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
