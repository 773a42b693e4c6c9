"""/quote autocomplete offers only values that /quote accepts, even for long paths and titles (defect 12)."""

from __future__ import annotations

from typing import Any

import pytest

from bot import render
from index.models import SourceInfo
from tests.bot_fixtures import corpus_settings, open_indexed_retriever, running_bot
from tests.fakediscord import FakeDiscord

LONG_DIR = "community/guides/moderation-and-safety/appeals-and-reports/" + "archive-2026-" * 4
LONG_TITLE = "How the moderation team reviews appeals, reports, temporary bans and permanent bans in our community server"
LONG_SOURCE = LONG_DIR + "appeals.txt"
DOCUMENT = (
    f"{LONG_TITLE}\n\n"
    "An appeal is read by two moderators who were not involved in the original decision, and they answer "
    "within seven days with a written explanation of what they decided and why.\n\n"
    "Reports about harassment are handled first, and the reporter is told when the case is closed.\n"
)


def test_every_choice_value_resolves_even_past_100_characters():
    assert len(LONG_SOURCE) > 100 and len(LONG_TITLE) > 100
    sources = [
        SourceInfo("aaaaaaaaaaaa", LONG_SOURCE, LONG_TITLE, 3),
        SourceInfo("bbbbbbbbbbbb", "short.txt", "Short", 1),
    ]
    choices = render.source_choices(sources, "")
    assert len(choices) == 2
    for name, value in choices:
        assert len(name) <= 100 and 0 < len(value) <= 100
        found = render.find_source(sources, value)
        assert found is not None and name.startswith(found.title[:40])  # the choice names its document
    assert {render.find_source(sources, v).source for _, v in choices} == {LONG_SOURCE, "short.txt"}


@pytest.fixture(scope="module")
def long_path_retriever(tmp_path_factory: pytest.TempPathFactory, embedder: Any):
    settings = corpus_settings(tmp_path_factory.mktemp("longpath"), {})
    path = settings.corpus_dir / LONG_SOURCE
    path.parent.mkdir(parents=True)
    path.write_text(DOCUMENT, encoding="utf-8")
    retriever = open_indexed_retriever(settings, embedder)
    yield settings, retriever
    retriever.close()


async def test_quote_with_an_autocompleted_long_source_answers(
    fake: FakeDiscord, long_path_retriever: Any
) -> None:
    settings, retriever = long_path_retriever
    async with running_bot(fake, retriever, settings):
        record = await fake.send_autocomplete("quote", {"text": "appeal", "source": "moderation"}, "source")
        (choice,) = await fake.wait_autocomplete(record)
        assert len(choice["value"]) <= 100
        record = await fake.send_slash("quote", {"text": "Who reads an appeal?", "source": choice["value"]})
        message = await fake.wait_answer(record, timeout=30)
    assert "two moderators" in render.unescape(message["content"])
