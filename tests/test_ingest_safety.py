"""Indexing never deletes what it cannot see (defect 11): a file that is present but unreadable keeps its
document, and an empty corpus folder (an unmounted share) removes nothing unless asked."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

from bot.cli import app
from index.errors import EmptyCorpusError
from index.ingest import index_corpus
from index.store import Store
from tests.conftest import SEEDS, make_settings


@pytest.fixture()
def small(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(SEEDS.glob("*.txt"))[:2]:
        shutil.copy(path, corpus / path.name)
    return make_settings(corpus, tmp_path / "store")


def markers(settings, embedder):
    with Store.open(settings, model=embedder.name, dim=embedder.dim) as store:
        return store.markers()


def test_unreadable_or_emptied_file_keeps_its_document(small, embedder):
    assert index_corpus(small, embedder=embedder).added == 2
    before = markers(small, embedder)
    first, second = sorted(small.corpus_dir.iterdir())
    first.write_bytes(b"\x00\x01binary garbage\x00" * 10)  # e.g. a half-copied file
    second.write_text("", encoding="utf-8")  # e.g. truncated while an editor saves it
    report = index_corpus(small, embedder=embedder)
    assert (report.removed, report.skipped, report.unchanged) == (0, 2, 0)
    assert markers(small, embedder) == before


def test_empty_corpus_folder_is_refused_unless_allowed(small, embedder):
    index_corpus(small, embedder=embedder)
    before = markers(small, embedder)
    for path in small.corpus_dir.iterdir():
        path.unlink()  # the share is not mounted
    with pytest.raises(EmptyCorpusError, match="--allow-empty"):
        index_corpus(small, embedder=embedder)
    assert markers(small, embedder) == before
    report = index_corpus(small, embedder=embedder, allow_empty=True)
    assert report.removed == 2 and markers(small, embedder) == {}


def test_cli_refuses_an_empty_corpus_in_one_line(small, embedder):
    index_corpus(small, embedder=embedder)
    for path in small.corpus_dir.iterdir():
        path.unlink()
    args = ["index", "--corpus", str(small.corpus_dir), "--store", str(small.store_dir)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--allow-empty" in result.output and "2 indexed documents" in result.output
    result = CliRunner().invoke(app, [*args, "--allow-empty"])
    assert result.exit_code == 0 and "2 removed" in result.output
