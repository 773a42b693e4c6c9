"""Hostile questions (defect 15): lone surrogates and bidirectional controls are removed before the
tokenizer sees them or the "Question:" line shows them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from index.errors import QuestionError
from index.questions import validate_question
from tests.fakediscord import FakeDiscord

RLO = "\u202e"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("\ud800who hosted\udfff the talks?", "who hosted the talks?"),
        (f"{RLO}who hosted the talks?", "who hosted the talks?"),
        (f"who {BIDI}hosted the talks?", "who hosted the talks?"),
        ("who\x00 hosted\x1b the\x7f talks?", "who hosted the talks?"),
        ("emoji 😀 and accents é stay", "emoji 😀 and accents é stay"),
    ],
)
def test_questions_are_sanitised(raw, clean):
    assert validate_question(raw) == clean


def test_a_question_of_only_controls_is_empty():
    with pytest.raises(QuestionError, match="empty"):
        validate_question(f"{RLO}\ud800 \u2066")


def test_search_survives_a_lone_surrogate_and_echoes_no_override(seed_retriever):
    answer = seed_retriever.search(f"{RLO}Who hosted the talks in Moscow?\udc80")
    assert answer.answered and "hosted by Russia" in answer.hits[0].quote
    assert answer.question == "Who hosted the talks in Moscow?"
    answer.question.encode("utf-8")  # no surrogate left


def test_cli_question_with_undecodable_bytes_is_answered(seed_settings, seed_retriever):
    # A terminal that sends invalid UTF-8 gives Python surrogate escapes in argv.
    question = "Who hosted the talks in Moscow?" + b"\xed\xa0\x80".decode("utf-8", "surrogateescape")
    args = ["--corpus", str(seed_settings.corpus_dir), "--store", str(seed_settings.store_dir)]
    result = CliRunner().invoke(app, ["ask", question, "--json", *args])
    assert result.exit_code == 0, result.output
    obj = json.loads(result.stdout.strip().splitlines()[-1])
    assert obj["answered"] and obj["question"] == "Who hosted the talks in Moscow?"


async def test_question_line_in_discord_has_no_direction_override(fake: FakeDiscord, seed_bot: Any) -> None:
    record = await fake.send_slash("ask", {"question": f"{RLO}Who hosted the talks in Moscow?{RLO}"})
    message = await fake.wait_answer(record, timeout=30)
    text = message["content"] + json.dumps(message.get("embeds"), ensure_ascii=False)
    assert RLO not in text and "Who hosted the talks in Moscow?" in text
