"""Property tests: rendered messages respect Discord's limits and never ping, format or link."""

from __future__ import annotations

import re

import discord
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import render
from index.models import Answer, Hit, Passage, SourceInfo

ZWSP = "\u200b"
ELLIPSIS = "\u2026"
MARKDOWN = set("\\*_~`|<>[]()#")

NASTY = [
    "@everyone",
    "@here",
    "<@123456789012345678>",
    "<@!123456789012345678>",
    "<@&456456456456456456>",
    "<#789789789789789789>",
    "<@123>",
    "<@&456>",
    "*",
    "**",
    "_",
    "__",
    "~~",
    "`",
    "```",
    "||",
    ">",
    ">>> ",
    "# ",
    "-# ",
    "- ",
    "1. ",
    "\\",
    "[x](https://evil.example)",
    "https://evil.example/path",
    "<https://evil.example>",
    "\n",
    "\n\n",
    " ",
    ZWSP,
    "\u2026",
]
LONG_WORD = st.integers(min_value=500, max_value=5000).map(lambda n: "w" * n)

nasty_text = st.lists(
    st.one_of(st.text(max_size=40), st.sampled_from(NASTY), LONG_WORD),
    max_size=30,
).map("".join)
any_text = st.one_of(st.text(), nasty_text)
quote_text = any_text.filter(lambda s: s.strip() != "")


@st.composite
def hits(draw: st.DrawFn) -> Hit:
    quote = draw(quote_text)
    focus = None
    if draw(st.booleans()):
        a = draw(st.integers(0, len(quote)))
        b = draw(st.integers(a, len(quote)))
        focus = (a, b)
    return Hit(
        passage_id=draw(st.from_regex(r"[0-9a-f]{16}-[0-9a-f]{12}-\d{5}", fullmatch=True)),
        doc_id="d",
        quote=quote,
        title=draw(any_text),
        source=draw(any_text),
        location=draw(st.sampled_from(["paragraph 1 of 1", "paragraphs 2\u20133 of 19"])),
        ordinal=0,
        score=draw(st.floats(0, 1)),
        focus=focus,
    )


RAW_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")


def assert_safe(text: str) -> None:
    assert RAW_MENTION.search(text) is None, text
    assert re.search(r"[A-Za-z0-9]://", text) is None, text  # a scheme directly before "://"
    assert "](" not in text, text


def visible(markdown: str) -> tuple[str, int]:
    """What a reader sees in an escaped block quote, and how many bold markers it has.

    Fails on any markdown character that is not escaped and not one of our ``**`` markers.
    """
    lines = markdown.split("\n")
    assert all(line.startswith("> ") for line in lines), markdown
    shown: list[str] = []
    markers = 0
    for line in lines:
        body, out, i, line_markers = line[2:], [], 0, 0
        while i < len(body):
            char = body[i]
            if char == "\\":
                assert i + 1 < len(body) and body[i + 1] in MARKDOWN | set("-+.:"), body
                out.append(body[i + 1])
                i += 2
            elif body.startswith("**", i):
                line_markers += 1
                i += 2
            elif char == "@":
                assert body[i + 1 : i + 2] == ZWSP, body
                out.append("@")
                i += 2
            else:
                assert char not in MARKDOWN, f"unescaped {char!r} in {body!r}"
                out.append(char)
                i += 1
        assert line_markers % 2 == 0, f"unbalanced bold in {line!r}"
        markers += line_markers
        shown.append("".join(out))
    return "\n".join(shown), markers


def assert_verbatim(shown: str, quote: str) -> None:
    candidates = {shown}
    if shown.startswith(ELLIPSIS):
        candidates.add(shown[1:])
    if shown.endswith(ELLIPSIS):
        candidates |= {c[:-1] for c in list(candidates)}
    assert any(c in quote for c in candidates), (shown, quote)


def assert_embed_limits(embeds: list[discord.Embed]) -> None:
    assert len(embeds) <= render.EMBEDS_PER_MESSAGE
    assert sum(len(e) for e in embeds) <= render.EMBED_TOTAL_LIMIT
    for e in embeds:
        assert len(e.title or "") <= render.TITLE_LIMIT
        assert len(e.description or "") <= render.DESCRIPTION_LIMIT
        assert len(e.fields) <= 25
        for f in e.fields:
            assert 0 < len(f.name) <= render.FIELD_NAME_LIMIT
            assert 0 < len(f.value) <= render.FIELD_VALUE_LIMIT
        assert len(e.footer.text or "") <= render.FOOTER_LIMIT
        assert len(e.author.name or "") <= render.AUTHOR_LIMIT
        for text in (e.title, e.description, e.footer.text, *(f.value for f in e.fields)):
            assert_safe(text or "")


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(any_text)
def test_escape_round_trips_and_is_safe(text: str) -> None:
    escaped = render.escape(text)
    assert render.unescape(escaped) == text
    assert_safe(escaped)


@FAST
@given(quote_text, st.integers(1, 5000), st.data())
def test_block_quote_fits_limit_and_shows_a_verbatim_part_with_balanced_bold(
    text: str, limit: int, data: st.DataObject
) -> None:
    a = data.draw(st.integers(0, len(text)))
    focus = (a, data.draw(st.integers(a, len(text))))
    block = render.block_quote(text, limit, focus)
    assert len(block) <= limit
    if not block:
        return
    assert_safe(block)
    shown, _ = visible(block)
    assert_verbatim(shown, text)


@FAST
@given(quote_text)
def test_block_quote_keeps_short_text_whole_with_the_focus_bold(text: str) -> None:
    words = [m.span() for m in re.finditer(r"\S+", text)]
    focus = words[len(words) // 2] if words else None
    block = render.block_quote(text, 100_000, focus)
    shown, markers = visible(block)
    assert shown == text
    assert markers == (2 if focus is not None else 0)


@FAST
@given(st.lists(hits(), min_size=0, max_size=10), any_text, st.booleans(), st.integers(0, 20))
def test_answers_respect_every_discord_limit(
    found: list[Hit], question: str, answered: bool, offset: int
) -> None:
    rendered = render.render_answer(Answer(question, answered, tuple(found)), offset=offset)
    assert len(rendered.content) <= render.CONTENT_LIMIT
    assert_safe(rendered.content)
    assert_embed_limits(rendered.embeds)
    for embed, hit in zip(rendered.embeds, found, strict=False):
        if embed.description:
            shown, _ = visible(embed.description)
            assert_verbatim(shown, hit.quote)


@FAST
@given(any_text.map(lambda s: " ".join(s.split())[:500]))
def test_question_survives_the_round_trip_through_the_message(question: str) -> None:
    content = render.render_answer(Answer(question, False, ())).content
    assert render.read_question(content) == question


@FAST
@given(hits())
def test_quote_card_fits_a_message_and_quotes_the_focus(hit: Hit) -> None:
    card = render.render_quote_card(hit)
    assert len(card) <= render.CONTENT_LIMIT
    assert_safe(card)
    block, attribution = card.rsplit("\n", 1)
    assert attribution.startswith("\u2014 **")
    if block:
        shown, markers = visible(block)
        assert markers == 0
        assert_verbatim(shown, hit.focus_text.strip() or hit.quote)


@FAST
@given(st.lists(st.tuples(any_text, any_text, st.integers(0, 10**6)), max_size=60))
def test_source_pages_and_autocomplete_stay_within_limits(rows: list[tuple[str, str, int]]) -> None:
    sources = [SourceInfo(f"d{i}", src, title, n) for i, (title, src, n) in enumerate(rows)]
    pages = render.render_sources_pages(sources)
    for page in pages:
        assert_embed_limits([page])
    choices = render.source_choices(sources, "")
    assert len(choices) <= render.CHOICES_LIMIT
    assert all(len(name) <= 100 and len(value) <= 100 for name, value in choices)


@FAST
@given(st.lists(quote_text, min_size=3, max_size=3), st.sampled_from([0, 1, 2]))
def test_context_respects_limits(texts: list[str], missing: int) -> None:
    passages = [
        Passage(f"p{i}", "d", "src", "T @everyone", "v", i, t, 0, len(t), 1, 1, 3)
        for i, t in enumerate(texts)
    ]
    before, this, after = passages
    if missing == 0:
        before = None
    elif missing == 2:
        after = None
    rendered = render.render_context(before, this, after)
    assert_embed_limits(rendered.embeds)
    assert len(rendered.embeds) == (2 if missing != 1 else 3)


def test_mentions_markdown_and_links_in_a_quote_are_neutralised() -> None:
    quote = "Hi @everyone and @here, <@123> <@&456> <#789> **bold** [x](https://evil) ||spoiler||"
    hit = Hit("p", "d", quote, "T", "s.txt", "paragraph 1 of 1", 0, 0.9, (0, 2))
    description = render.render_answer(Answer("q", True, (hit,))).embeds[0].description
    assert "@\u200beveryone" in description and "@\u200bhere" in description
    assert "\\<@\u200b123\\>" in description
    shown, markers = visible(description)
    assert shown == quote and markers == 2
    assert description.startswith("> **Hi**")


@pytest.mark.parametrize(
    "score, shown",
    [(0.853, "▰▰▰▰▰▰▰▰▰▱ 85%"), (0.849, "▰▰▰▰▰▰▰▰▰▱ 85%"), (0.0, "▱▱▱▱▱▱▱▱▱▱ 0%"), (1.2, "▰▰▰▰▰▰▰▰▰▰ 100%")],
)
def test_the_score_bar_is_drawn_from_the_printed_percentage(score: float, shown: str) -> None:
    from bot.render import score_bar

    assert score_bar(score) == shown


def test_small_talk_gets_a_note_not_the_no_answer_line() -> None:
    from index.models import Answer

    rendered = render.render_answer(Answer("thanks!", False, (), small_talk=True))
    assert render.SMALL_TALK in rendered.content and render.NOT_ANSWERED not in rendered.content
    assert not rendered.embeds
    plain = render.render_answer(Answer("what is the budget?", False, ()))
    assert render.NOT_ANSWERED in plain.content
