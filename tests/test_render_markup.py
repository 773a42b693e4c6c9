"""Quotes of formatted pages (Markdown, HTML): they read like the page and still never ping, link, break their
formatting or Discord's limits. Real pages go through the real readers and the chunker; generated pages
cover what real pages rarely hold (fences inside code, mentions, crossing styles, 300-line blocks)."""

from __future__ import annotations

import re
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.text import Text

from bot import render, terminal
from bot.quotes import render_markup, slice_blocks
from index import links
from index.chunking import chunk_document
from index.formats import reader_for
from index.models import Answer, Block, Hit, Passage, StyleSpan
from tests.markup_check import ELLIPSIS, RAW_MENTION, ZWSP, check_markup, visible_line

FAQ = """---
title: Bot FAQ
description: Questions people ask
---

# Bot FAQ

## Commands

### How do I ping everyone?

You **cannot**: the bot never pings @everyone or <@123>. Use *allowed mentions* with `parse: []` and
``a`b`` as shown:

~~~~js
const text = "```not a fence```";
client.on('ready', () => console.log(`Logged in as ${client.user.tag}`));
// @everyone <@123> https://example.org/docs
~~~~

- Keep `allowedMentions` **strict**
- Read [the docs](https://example.org/docs)
  1. nested step

| Option | Meaning |
| --- | --- |
| parse | which mentions ping |

### What is a *gateway* intent?

> An intent is a ~~permission~~ subscription to events.

```python
import discord
intents = discord.Intents.default()
```
"""

HTML = """<html><head><title>Install</title></head><body><nav>Home | Blog</nav><main><article>
<h1>Install guide</h1><h2>Setup</h2>
<p>Run the <code>pip</code> command with <b>care</b> and <i>patience</i> today, as every user must do.</p>
<pre><code class="language-python">import os
print(os.getcwd())</code></pre>
<ul><li>first item here</li><li>second item, <b>bold</b></li></ul>
</article></main></body></html>"""


def read(source: str, raw: str):
    doc = reader_for(source)(source, raw)
    assert doc is not None
    return doc, chunk_document(doc)


def hit_of(p: Passage, focus: tuple[int, int] | None, url_template: str | None = None) -> Hit:
    """A Hit as the retriever builds it from a passage (section and anchor of the focus's block)."""
    block = p.block_at(focus[0]) if focus else (p.blocks[0] if p.blocks else None)
    url = links.with_anchor(links.page_url(p.source, p.page_url, url_template), block.anchor if block else "")
    return Hit(
        p.passage_id, p.doc_id, p.text, p.title, p.source, p.location, p.ordinal, 0.8, focus,
        block.path if block else p.section, url, p.blocks, p.markup,
    )  # fmt: skip


def code_passage(passages: list[Passage], lang: str) -> tuple[Passage, Block]:
    for p in passages:
        for b in p.blocks:
            if b.kind == "code" and b.lang == lang:
                return p, b
    raise AssertionError(f"no {lang} code block")


def description_of(hit: Hit) -> str:
    rendered = render.render_answer(Answer("q", True, (hit,)))
    return rendered.embeds[0].description or ""


# -- real pages -------------------------------------------------------------------------------------------


def test_faq_code_answer_is_a_fenced_block_that_cannot_be_broken() -> None:
    doc, passages = read("faq/bot.md", FAQ)
    p, code = code_passage(passages, "js")
    hit = hit_of(p, (code.start, code.end), "https://example.org/{path}")
    md = description_of(hit)
    shown = check_markup(md, hit.quote)
    source_lines = p.text[code.start : code.end].split("\n")
    assert shown["code"] == source_lines  # every line, verbatim once ZWSPs are removed
    lines = md.split("\n")
    opening = lines.index("```js")
    assert lines[opening - 1] == "\u25b6"  # the focus is the code block
    assert lines[opening + 1] == 'const text = "`\u200b`\u200b`not a fence`\u200b`\u200b`";'
    assert sum(1 for line in lines if line.startswith("```")) == 2  # the quoted ``` did not open or close one
    assert "**cannot**" in md and "*allowed mentions*" in md and "`parse: []`" in md
    assert "``a`b``" in md  # inline code holding a backtick: a longer delimiter
    assert "@\u200beveryone" in md and "\\<@\u200b123\\>" in md


def test_faq_attribution_has_the_section_path_file_lines_and_a_safe_link() -> None:
    doc, passages = read("faq/bot.md", FAQ)
    p, code = code_passage(passages, "js")
    hit = hit_of(p, (code.start, code.end), "https://example.org/{path}")
    embed = render.render_answer(Answer("q", True, (hit,))).embeds[0]
    assert embed.url == "https://example.org/faq/bot#how-do-i-ping-everyone"
    source = embed.fields[0].value
    assert source.split("\n")[0] == "Bot FAQ \u203a Commands \u203a How do I ping everyone?"
    assert re.fullmatch(r"faq/bot\.md, lines \d+\u2013\d+", source.split("\n")[1])
    card = render.render_quote_card(hit)
    quote, attribution = card.rsplit("\n", 1)
    assert quote.startswith("```js\n") and quote.endswith("\n```")
    assert attribution.startswith(
        "\u2014 **Bot FAQ \u203a Commands \u203a How do I ping everyone?** \u00b7 faq/bot.md, lines"
    )
    assert attribution.endswith(" \u00b7 [page](<https://example.org/faq/bot#how-do-i-ping-everyone>)")
    check_markup(quote, hit.quote)


def test_prose_focus_is_bold_underlined_and_keeps_the_pages_own_styles() -> None:
    doc, passages = read("faq/bot.md", FAQ)
    p = next(p for p in passages if "gateway" in p.text)
    a = p.text.index("An intent")
    hit = hit_of(p, (a, p.text.index("events.") + len("events.")))
    md = description_of(hit)
    check_markup(md, hit.quote)
    assert "**What is a *gateway* intent?**" in md  # a heading is a bold line, its italics kept inside
    # quote block; the focus bold and underlined, so that it differs from the page's own bold
    assert "> __**An intent is a ~~permission~~ subscription to events.**__" in md
    assert "```python\nimport discord\nintents = discord.Intents.default()\n```" in md
    assert "\u25b6" not in md  # the focus is prose, not the code


def test_lists_and_tables_read_as_lines() -> None:
    doc, passages = read("faq/bot.md", FAQ)
    p = next(p for p in passages if "allowedMentions" in p.text)
    md = render_markup(p.text, p.blocks, 4096)
    check_markup(md, p.text)
    assert "- Keep `allowedMentions` **strict**" in md.split("\n")
    assert "- Read [the docs](<https://example.org/docs>)" in md.split("\n")  # a masked link, no preview
    assert "  1\\. nested step" in md.split("\n") or "  1. nested step" in md.split("\n")
    assert "Option \\| Meaning" in md and "parse \\| which mentions ping" in md


def test_html_page_renders_with_inline_code_bold_and_a_python_fence() -> None:
    doc, passages = read("docs/install.html", HTML)
    p, code = code_passage(passages, "python")
    hit = hit_of(p, (code.start, code.end))
    md = description_of(hit)
    shown = check_markup(md, hit.quote)
    assert shown["code"] == ["import os", "print(os.getcwd())"]
    assert "`pip`" in md and "**care**" in md and "*patience*" in md
    assert "- second item, **bold**" in md.split("\n")
    assert "Home" not in md  # page chrome stayed out


def test_plain_text_sources_render_as_before() -> None:
    doc, passages = read("news.txt", "A headline here\n\nThe first paragraph says @everyone *stars* here.\n")
    p = passages[0]
    hit = hit_of(p, None)
    assert not hit.markup
    md = description_of(hit)
    assert all(line.startswith("> ") for line in md.split("\n"))
    assert "@\u200beveryone" in md and "\\*stars\\*" in md


def test_terminal_shows_code_inline_code_and_bold_readably() -> None:
    doc, passages = read("faq/bot.md", FAQ)
    p, code = code_passage(passages, "js")
    hit = hit_of(p, (code.start, code.end))
    text: Text = terminal.markdown_text(description_of(hit))
    plain = text.plain
    for line in p.text[code.start : code.end].split("\n"):
        assert f"\u2502 {line}" in plain  # code verbatim, no zero-width space, no fence
    assert "```" not in plain.replace('"```not a fence```"', "")
    assert ZWSP not in plain and "\\" not in plain.replace("\\n", "")
    assert "allowed mentions" in plain and "parse: []" in plain
    styles = {str(span.style) for span in text.spans}
    assert any("green" in s for s in styles) and any("cyan" in s for s in styles)
    assert any("italic" in s for s in styles) and any("bold" in s for s in styles)


def test_ask_prints_the_exact_quote_with_section_and_url(monkeypatch) -> None:
    import io

    from rich.console import Console

    from bot import cli

    doc, passages = read("faq/bot.md", FAQ)
    p, code = code_passage(passages, "js")
    hit = hit_of(p, (code.start, code.end), "https://example.org/{path}")
    piped = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=piped, width=80, highlight=False))
    cli.print_answer(Answer("q", True, (hit,)), threshold=0.5)
    lines = piped.getvalue().split("\n")
    assert "\n".join(line[3:] for line in lines[1 : 1 + p.text.count("\n") + 1]) == p.text  # verbatim
    assert any(
        "Bot FAQ \u203a Commands \u203a How do I ping everyone? \u00b7 faq/bot.md, lines" in x for x in lines
    )
    assert "   https://example.org/faq/bot#how-do-i-ping-everyone" in lines
    styled = Console(file=io.StringIO(), force_terminal=True)
    monkeypatch.setattr(cli, "out", styled)
    text = cli._quote_text(hit)
    assert text.plain == hit.quote
    at = hit.quote.index("console.log")
    assert any("green" in str(s.style) and s.start <= at < s.end for s in text.spans)


# -- exact shapes ---------------------------------------------------------------------------------------


def para(text: str, *styled: tuple[str, str]) -> list[Block]:
    spans = []
    for part, style in styled:
        i = text.index(part)
        spans.append(StyleSpan(i, i + len(part), style))  # type: ignore[arg-type]
    return [Block("paragraph", 0, len(text), styles=tuple(spans))]


def test_crossing_and_adjacent_styles_nest_and_stay_apart() -> None:
    t = "alpha beta gamma delta"
    assert (
        render_markup(t, para(t, ("alpha beta", "i"), ("beta gamma", "b")), 99)
        == "*alpha **beta*** **gamma** delta"
    )
    out = render_markup("alphabeta rest", para("alphabeta rest", ("alpha", "i"), ("beta", "b")), 99)
    assert out == f"*alpha*{ZWSP}**beta** rest"
    assert visible_line(out) == "alphabeta rest"


def test_inline_code_with_asterisks_stays_outside_bold() -> None:
    t = "Pass **kwargs to the call."
    out = render_markup(t, para(t, ("**kwargs", "code")), 99, (0, len(t)))
    assert out == "__**Pass** `**kwargs` **to the call.**__"
    assert visible_line(out) == t


def test_inline_code_with_backticks_and_spaces_shows_exactly() -> None:
    for code in ("a`b", "`start", "end`", "x ` ", " `y", "``run``", "@everyone`"):
        t = f"see {code} here"
        out = render_markup(t, para(t, (code, "code")), 99)
        assert visible_line(out) == t, (code, out)
        assert "```" not in out


def test_a_cut_style_is_closed_on_the_line() -> None:
    t = "word " * 200
    out = render_markup(t.strip(), para(t.strip(), (t.strip(), "b")), 300)
    assert len(out) <= 300 and out.endswith("**" + ELLIPSIS) and out.startswith("**")
    check_markup(out, t)


def test_300_line_code_block_is_cut_at_line_boundaries_with_a_marker() -> None:
    code = "\n".join(f"print({i})  # ``` @everyone" for i in range(300))
    intro = "Run this:"
    t = f"{intro}\n\n{code}"
    blocks = [Block("paragraph", 0, len(intro)), Block("code", len(intro) + 2, len(t), lang="py")]
    out = render_markup(t, blocks, 2000, (blocks[1].start, blocks[1].end))
    assert len(out) <= 2000
    shown = check_markup(out, t)
    n = len(shown["code"])
    assert 10 < n < 300 and shown["code"] == code.split("\n")[:n]
    assert out.endswith(f"```\n{ELLIPSIS} {300 - n} more lines")
    assert out.startswith(f"{intro}\n\n\u25b6\n```py\n")  # context that fits is kept before the focus


def test_quote_starting_inside_a_code_block_and_odd_languages() -> None:
    code = "line one\nline two\nline three"
    t = code + "\n\nAfter."
    blocks = [
        Block("code", 0, len(code), lang="js:no-line-numbers"),
        Block("paragraph", len(code) + 2, len(t)),
    ]
    out = render_markup(t, blocks, 999)
    assert out.startswith("```js\nline one\n")
    blocks = [Block("code", 0, len(code), lang=":no-line-numbers {1,3}")]
    assert render_markup(code, blocks, 999).startswith("```\nline one")


def test_focus_stays_in_view_when_the_quote_is_long() -> None:
    paras = [f"Paragraph {n} " + "filler words here " * 30 for n in range(12)]
    t = "\n\n".join(paras)
    blocks, pos = [], 0
    for p in paras:
        blocks.append(Block("paragraph", pos, pos + len(p)))
        pos += len(p) + 2
    target = blocks[9]
    out = render_markup(t, blocks, 1500, (target.start, target.end))
    assert len(out) <= 1500
    assert "**Paragraph 9 " in out and out.startswith(ELLIPSIS)
    check_markup(out, t)


def test_links_from_documents_cannot_inject_markdown() -> None:
    evil = "https://example.org/a b)[x](https://evil.example)<@123> @everyone*`|"
    safe = render.safe_url(evil)
    assert safe is not None and re.fullmatch(r"https://example\.org/[A-Za-z0-9/\-._~?#&=+%:,;!$]*", safe)
    assert render.safe_url("https://docs.example.org/x%zz%41") == "https://docs.example.org/x%25zz%41"
    for bad in (
        "https://-/",
        "https://a..b/",
        'https://evil.example"/x',
        "/relative/path",
        "https://a b.org/",
        None,
    ):
        assert render.safe_url(bad) is None
    doc, passages = read("faq/bot.md", FAQ)
    hit = hit_of(passages[0], None)
    hit = Hit(**{**hit.__dict__, "url": evil})
    card = render.render_quote_card(hit)
    assert card.endswith(f"[page](<{safe}>)") and RAW_MENTION.search(card) is None
    assert render.render_answer(Answer("q", True, (hit,))).embeds[0].url == safe


def test_twenty_thousand_characters_render_in_linear_time() -> None:
    def quote(n: int) -> tuple[str, list[Block]]:
        unit = "Some `code` and **bold** words, then a sentence. "
        t = (unit * (n // len(unit) + 1))[:n]
        spans = tuple(
            StyleSpan(m.start(), m.end(), "code" if m.group(0) == "code" else "b")
            for m in re.finditer(r"code|bold", t)
        )
        lines = "\n".join(f"x = {i}  # ``` <@{i}>" for i in range(n // 40))
        full = t + "\n\n" + lines
        return full, [Block("paragraph", 0, len(t), styles=spans), Block("code", len(t) + 2, len(full))]

    def best(n: int) -> float:
        t, blocks = quote(n)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            render_markup(t, blocks, 4096, (n // 2, n // 2 + 200))
            times.append(time.perf_counter() - start)
        return min(times)

    assert best(20_000) < 2.0  # measured ~0.05 s; a quadratic pass would not come close to the bound
    small, large = best(5_000), best(50_000)  # both too long for the limit: the same path, cut
    assert large / small < 40  # ten times the text: about ten times the work (quadratic: a hundred)


# -- generated pages -----------------------------------------------------------------------------------

NASTY_WORDS = [
    "@everyone", "@here", "<@123456789012345678>", "<@&456>", "<#789>", "<@!12>", "*", "**", "***", "_", "__",
    "~~", "~", "`", "``", "```", "||", ">", "#", "-", "1.", "\\", "[x](https://evil.example)",
    "https://evil.example/p", "<https://e.example>", ELLIPSIS, "w" * 400, "a*b", "x~~y", "end.",
]  # fmt: skip
CODE_LINES = [
    "```", "``` js", "````", "@everyone", "<@123>", "console.log(`${a}`);", "    indented()", "",
    "https://x.example/a", "a``b", "y" * 700, "**kwargs", "~~~", "\\", "# heading",
]  # fmt: skip
plain_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r\u200b"), max_size=12
)
word = st.one_of(st.sampled_from(NASTY_WORDS), plain_text, st.sampled_from(["alpha", "beta", "gamma"]))
LINK_ADDRESSES = [
    "https://example.org/docs/page#setup", "https://e.example/a)[x](y)<@1> @everyone", "https://e.example/a b>c",
    "https://e.example/__init__~~x~~/*a*/`b`||c||", "https://e.example/" + "p" * 600, "javascript:alert(1)",
    "../relative.md", "#anchor", "", "https://e.example/%zz%41\\x", "mailto:a@example.org",
]  # fmt: skip


@st.composite
def inline(draw: st.DrawFn) -> tuple[str, list[tuple]]:
    text = " ".join(draw(st.lists(word, min_size=1, max_size=25))).strip() or "x"
    if draw(st.booleans()) and len(text) > 3:  # a hard line break
        cut = draw(st.integers(1, len(text) - 1))
        text = text[:cut] + "\n" + text[cut:]
    spans = []
    for _ in range(draw(st.integers(0, 6))):
        a = draw(st.integers(0, len(text) - 1))
        b = draw(st.integers(a + 1, len(text)))
        style = draw(st.sampled_from(["b", "i", "s", "code", "link"]))
        spans.append((a, b, style, draw(st.sampled_from(LINK_ADDRESSES)) if style == "link" else ""))
    return text, spans


@st.composite
def pages(draw: st.DrawFn) -> tuple[str, tuple[Block, ...]]:
    parts: list[str] = []
    blocks: list[Block] = []
    pos = 0
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["heading", "paragraph", "list_item", "quote", "table", "code", "code"]))
        styles: list[tuple] = []
        lang = ""
        if kind == "code":
            if draw(st.integers(0, 5)) == 0:
                lines = [f"line({i}) ``` @everyone" for i in range(300)]
            else:
                lines = draw(
                    st.lists(st.one_of(st.sampled_from(CODE_LINES), plain_text), min_size=1, max_size=12)
                )
            text = "\n".join(lines)
            if not text.strip():
                text += "x"
            lang = draw(st.sampled_from(["", "js", "python", ":no-line-numbers", "c++ {1}", "`x`"]))
        elif kind == "table":
            text = (
                "\n".join(" | ".join(draw(st.lists(word, min_size=1, max_size=3))) for _ in range(2)).strip()
                or "x"
            )
        else:
            text, styles = draw(inline())
            if kind == "heading":
                text = text.replace("\n", " ")
            if kind == "list_item":
                marker = draw(st.sampled_from(["- ", "1. ", "  - ", "12. "]))
                styles = [(a + len(marker), b + len(marker), *rest) for a, b, *rest in styles]
                text = marker + text
        sep = "\n" if kind == "list_item" and blocks and blocks[-1].kind == "list_item" else "\n\n"
        if parts:
            parts.append(sep)
            pos += len(sep)
        spans = tuple(StyleSpan(pos + a, pos + b, *rest) for a, b, *rest in styles)  # type: ignore[arg-type]
        blocks.append(Block(kind, pos, pos + len(text), lang=lang, styles=spans))  # type: ignore[arg-type]
        parts.append(text)
        pos += len(text)
    return "".join(parts), tuple(blocks)


@st.composite
def markup_hits(draw: st.DrawFn) -> Hit:
    text, blocks = draw(pages())
    a = draw(st.integers(0, len(text) - 1))  # a passage may start or end anywhere, even inside code
    b = draw(st.integers(a + 1, len(text)))
    if not text[a:b].strip():
        a, b = 0, len(text)
    quote, qblocks = text[a:b], slice_blocks(blocks, a, b)
    focus = None
    choice = draw(st.sampled_from(["none", "span", "code"]))
    if choice == "span":
        fa = draw(st.integers(0, len(quote) - 1))
        focus = (fa, draw(st.integers(fa + 1, len(quote))))
    elif choice == "code":
        code = [blk for blk in qblocks if blk.kind == "code"]
        focus = (code[0].start, code[0].end) if code else None
    return Hit(
        passage_id="p", doc_id="d", quote=quote, title=draw(st.sampled_from(["T", "@everyone *x*", "a" * 300])),
        source="docs/page.md", location="lines 3\u20139", ordinal=0, score=draw(st.floats(0, 1)), focus=focus,
        section=tuple(draw(st.lists(st.sampled_from(["Setup", "<@123> [x](https://e.example)", "b" * 200]), max_size=3))),
        url=draw(st.sampled_from([None, "https://example.org/docs/page#setup", "https://e.example/a)[x](y)<@1>"])),
        blocks=qblocks, markup=True,
    )  # fmt: skip


GENERATED = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_message_limits(rendered: render.Rendered) -> None:
    assert len(rendered.content) <= render.CONTENT_LIMIT
    assert len(rendered.embeds) <= render.EMBEDS_PER_MESSAGE
    assert sum(len(e) for e in rendered.embeds) <= render.EMBED_TOTAL_LIMIT
    for e in rendered.embeds:
        assert (
            len(e.title or "") <= render.TITLE_LIMIT and len(e.description or "") <= render.DESCRIPTION_LIMIT
        )
        for f in e.fields:
            assert 0 < len(f.value) <= render.FIELD_VALUE_LIMIT
            assert RAW_MENTION.search(f.value) is None
            visible_line(f.value.replace("\n", " "))  # escaped: no stray markdown, link or mention
        assert e.url is None or render.safe_url(e.url) == e.url


@GENERATED
@given(markup_hits(), st.integers(0, 4096))
def test_generated_quotes_fit_any_limit_with_balanced_fences_and_verbatim_code(hit: Hit, limit: int) -> None:
    md = render_markup(hit.quote, hit.blocks, limit, hit.focus)
    assert len(md) <= limit
    if md:
        check_markup(md, hit.quote)


@GENERATED
@given(markup_hits())
def test_generated_focus_stays_in_view(hit: Hit) -> None:
    md = render_markup(hit.quote, hit.blocks, 1500, hit.focus)
    shown = check_markup(md, hit.quote)
    if hit.focus is None:
        return
    focus_text = hit.quote[hit.focus[0] : hit.focus[1]]
    first = next((line for line in focus_text.split("\n") if line.strip()), "")
    if not first:
        return
    seen = shown["code"] + shown["text"]
    probe = first.strip()[:8]
    assert any(probe in s or s.rstrip(ELLIPSIS).strip() in first for s in seen if s.strip()), (probe, md)


@GENERATED
@given(st.lists(markup_hits(), min_size=1, max_size=10), st.booleans())
def test_generated_answers_respect_every_discord_limit(hits: list[Hit], answered: bool) -> None:
    rendered = render.render_answer(Answer("q @everyone", answered, tuple(hits)))
    assert_message_limits(rendered)
    for embed, hit in zip(rendered.embeds, hits, strict=False):
        if embed.description:
            check_markup(embed.description, hit.quote)


@GENERATED
@given(markup_hits())
def test_generated_quote_cards_fit_a_message(hit: Hit) -> None:
    card = render.render_quote_card(hit)
    assert len(card) <= render.CONTENT_LIMIT
    quote, attribution = card.rsplit("\n", 1)
    assert attribution.startswith("\u2014 **")
    link = re.search(r" \u00b7 \[page\]\(<([^>]*)>\)$", attribution)
    assert (link is not None) == (render.safe_url(hit.url) is not None)
    visible_line(attribution[: link.start()] if link else attribution)
    if quote:
        check_markup(quote, hit.quote)


@GENERATED
@given(st.lists(markup_hits(), min_size=3, max_size=3))
def test_generated_context_views_respect_limits(hits: list[Hit]) -> None:
    passages = [
        Passage(f"p{i}", "d", "a.md", "T", "v", i, h.quote, 0, len(h.quote), 1, 1, 3, (), h.blocks, h.section,
                h.url, True)
        for i, h in enumerate(hits)
    ]  # fmt: skip
    rendered = render.render_context(*passages)
    assert_message_limits(rendered)
    for embed, p in zip(rendered.embeds, passages, strict=True):
        if embed.description:
            check_markup(embed.description, p.text)


def test_the_pages_own_bold_is_not_the_focus() -> None:
    src = "# Page\n\n## Setup\n\n**Back up your saves first.** Then run the installer. It asks for the game folder.\n"
    doc, passages = read("setup.md", src)
    p = passages[0]
    a = p.text.index("Then run")
    hit = hit_of(p, (a, p.text.index("installer.") + len("installer.")))
    md = description_of(hit)
    check_markup(md, hit.quote)
    assert "**Back up your saves first.**" in md and "__**Back up" not in md
    assert "__**Then run the installer.**__" in md


def test_inline_code_with_underscores_stays_outside_the_focus_underline() -> None:
    t = "Define __init__ on the class to set it up."
    out = render_markup(t, para(t, ("__init__", "code")), 99, (0, len(t)))
    assert out == "**__Define__ `__init__` __on the class to set it up.__**"
    assert visible_line(out) == t


def test_a_focus_of_inline_code_alone_is_still_underlined() -> None:
    t = "validation.nav.absolute_links"
    out = render_markup(t, para(t, (t, "code")), 99, (0, len(t)))
    assert out == "__**`validation.nav.absolute_links`**__"
    assert visible_line(out) == t


def test_quote_card_names_the_lines_of_what_it_quotes() -> None:
    """/quote quotes the focus alone, so its attribution names the focus's lines, not the whole passage's."""
    src = "# Page\n\n## Setup\n\nFirst paragraph of the setup.\n\nSecond paragraph, the answer.\n\nThird paragraph.\n"
    doc, passages = read("setup.md", src)
    p = passages[0]
    a = p.text.index("Second")
    hit = hit_of(p, (a, a + len("Second paragraph, the answer.")))
    assert hit.location == "lines 3\u20139"
    card = render.render_quote_card(hit)
    assert card.endswith("setup.md, line 7")
