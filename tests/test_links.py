"""Links keep their address: readers record ``link`` spans, the store keeps them, a hit carries them absolute, and
Discord shows them as masked links that can never break the quote's formatting or ping."""

from __future__ import annotations

import json

from bot import render, terminal
from index import links
from index.chunking import chunk_document
from index.formats import reader_for
from index.models import Answer, Block, Hit, StyleSpan
from index.records import decode_blocks, encode_blocks
from tests.markup_check import RAW_MENTION, check_markup

PAGE = """---
title: Redirects
---

# Redirects

If you are not redirected, please click [here](../setup.md#install). Read [**the docs**](https://docs.example.org/a_(b))
or <https://example.org/auto> or [nothing](javascript:alert(1)) or [top](#redirects) or a
<a href="/faq">raw <b>HTML</b> link</a> and ![a picture](pic.png).
"""


def link_spans(doc) -> list[tuple[str, str]]:
    return [(doc.text[s.start : s.end], s.href) for b in doc.blocks for s in b.styles if s.style == "link"]


def test_markdown_links_keep_their_address_and_their_text_stays_verbatim():
    doc = reader_for("guide/redirects.md")("guide/redirects.md", PAGE)
    assert (
        "please click here. Read the docs or https://example.org/auto or [nothing](javascript:alert(1))"
        in doc.text
    )
    assert "picture" not in doc.text and "pic.png" not in doc.text  # images stay dropped
    assert link_spans(doc) == [
        ("here", "../setup.md#install"),
        ("the docs", "https://docs.example.org/a_(b)"),
        ("top", "#redirects"),
        ("raw HTML link", "/faq"),
    ]
    bold = [doc.text[s.start : s.end] for b in doc.blocks for s in b.styles if s.style == "b"]
    assert bold == ["the docs", "HTML"]


def test_html_links_keep_the_pages_own_address():
    raw = """<html><head><title>Install</title><link rel="canonical" href="https://example.org/docs/install">
    </head><body><nav><a href="/">Home</a></nav><main><article><h1>Install</h1><h2>Setup</h2>
    <p>Every user runs the installer once, as the guide says. If you are not redirected, please click
    <a href="../next.html">here</a> or read <a href="#setup">this <b>section</b></a> or
    <a href="javascript:void(0)">nothing</a> or <a>no address</a>.</p>
    <ul><li>the first item, <a href="https://a.example.org/x y">here</a></li><li>the second item</li></ul>
    </article></main></body></html>"""
    doc = reader_for("install.html")("install.html", raw)
    assert doc is not None and doc.url == "https://example.org/docs/install"
    assert "please click here or read this section or nothing or no address." in doc.text
    assert link_spans(doc) == [
        ("here", "../next.html"),  # the page's own address, not the extraction's site-root guess
        ("this section", "#setup"),
        ("here", "https://a.example.org/x y"),
    ]


def test_a_relative_link_resolves_against_the_page_and_is_dropped_without_one():
    template = "https://example.org/docs/{path}"
    page = links.page_url("guide/redirects.md", None, template)
    assert links.link_url("../setup.md#install", "guide/redirects.md", page, template) == (
        "https://example.org/docs/setup#install"
    )
    assert links.link_url("#redirects", "guide/redirects.md", page, template) == (
        "https://example.org/docs/guide/redirects#redirects"
    )
    assert links.link_url("/faq", "guide/redirects.md", page, template) == "https://example.org/faq"
    own = "https://site.example.org/guide/redirects"  # front-matter address, no template
    assert links.link_url("#top", "guide/redirects.md", own, None) == own + "#top"
    assert (
        links.link_url("img/a.png", "guide/redirects.md", own, None)
        == "https://site.example.org/guide/img/a.png"
    )
    assert links.link_url("setup.md", "guide/redirects.md", own, None) is None  # only a template maps files
    for href in ("../setup.md", "#top", "/faq", "mailto:a@example.org", "../../../outside.md"):
        assert links.link_url(href, "guide/redirects.md", None, None) is None, href
    assert links.link_url("https://x.example.org/a", "a.md", None, None) == "https://x.example.org/a"

    doc = reader_for("guide/redirects.md")("guide/redirects.md", PAGE)
    resolved = links.resolve_links(doc.blocks, doc.source, doc.url, template)
    assert link_spans(doc.__class__(**{**doc.__dict__, "blocks": resolved})) == [
        ("here", "https://example.org/docs/setup#install"),
        ("the docs", "https://docs.example.org/a_(b)"),
        ("top", "https://example.org/docs/guide/redirects#redirects"),
        ("raw HTML link", "https://example.org/faq"),
    ]
    bare = links.resolve_links(doc.blocks, doc.source, None, None)
    assert link_spans(doc.__class__(**{**doc.__dict__, "blocks": bare})) == [
        ("the docs", "https://docs.example.org/a_(b)")
    ]


def test_link_spans_survive_the_store_encoding_and_an_old_store_still_loads():
    doc = reader_for("guide/redirects.md")("guide/redirects.md", PAGE)
    assert decode_blocks(encode_blocks(doc.blocks)) == doc.blocks
    old = {  # a store written before links were kept: styles are [start, end, style]
        "p": [["Redirects"]],
        "b": [["paragraph", 0, 20, 0, 0, "", 3, 4, "redirects", [[0, 4, "b"], [5, 9, "code"]]]],
    }
    (block,) = decode_blocks(json.dumps(old))
    assert block.styles == (StyleSpan(0, 4, "b"), StyleSpan(5, 9, "code"))
    assert all(s.href == "" for s in block.styles)


def test_a_cut_block_keeps_its_links_address():
    block = Block("paragraph", 0, 30, styles=(StyleSpan(5, 15, "link", "https://example.org/a"),))
    (span,) = block.shifted(10, 10, 30).styles
    assert span == StyleSpan(0, 5, "link", "https://example.org/a")


# -- what the bot shows ---------------------------------------------------------------------------------

TEMPLATE = "https://example.org/docs/{path}"


def hit_for(source: str, raw: str, needle: str, template: str | None = TEMPLATE) -> Hit:
    """A Hit as the retriever builds it: the passage holding ``needle``, focus on it, links made absolute."""
    doc = reader_for(source)(source, raw)
    assert doc is not None
    p = next(p for p in chunk_document(doc) if needle in p.text)
    a = p.text.index(needle)
    block = p.block_at(a)
    url = links.with_anchor(links.page_url(p.source, p.page_url, template), block.anchor if block else "")
    blocks = links.resolve_links(p.blocks, p.source, p.page_url, template)
    return Hit(
        p.passage_id, p.doc_id, p.text, p.title, p.source, p.location, p.ordinal, 0.8, (a, a + len(needle)),
        block.path if block else p.section, url, blocks, p.markup,
    )  # fmt: skip


def description_of(hit: Hit) -> str:
    return render.render_answer(Answer("q", True, (hit,))).embeds[0].description or ""


def test_a_link_renders_as_a_masked_link_to_its_absolute_address() -> None:
    hit = hit_for("guide/redirects.md", PAGE, "If you are not redirected")
    md = description_of(hit)
    shown = check_markup(md, hit.quote)
    assert shown["links"] == [
        ("here", "https://example.org/docs/setup#install"),
        ("the docs", "https://docs.example.org/a%5F%28b%29"),  # ( ) _ percent-encoded: nothing can pair
        ("top", "https://example.org/docs/guide/redirects#redirects"),
        ("raw HTML link", "https://example.org/faq"),
    ]
    assert "please click [here](<https://example.org/docs/setup#install>). Read" in md
    assert "[**the docs**](<https://docs.example.org/a%5F%28b%29>)" in md  # the page's bold inside the link
    assert "[raw **HTML** link](<https://example.org/faq>)" in md
    assert "https\\://example.org/auto" in md  # an autolink stays escaped text: no second copy of it
    assert "\\[nothing\\]\\(javascript:alert\\(1\\)\\)" in md
    assert [t for t, _ in hit.links] == ["here", "the docs", "top", "raw HTML link"]
    # the terminal session shows a masked link as its text and its address
    assert "please click here (https://example.org/docs/setup#install)." in terminal.markdown_text(md).plain


def test_without_a_page_address_a_relative_link_is_plain_text() -> None:
    hit = hit_for("guide/redirects.md", PAGE, "If you are not redirected", template=None)
    md = description_of(hit)
    shown = check_markup(md, hit.quote)
    assert shown["links"] == [("the docs", "https://docs.example.org/a%5F%28b%29")]
    assert "please click here. Read" in md and "(<#" not in md and "setup.md" not in md


MALICIOUS = """# Help

Ask the mods <a href="https://evil.example/a b)[x](https://other.example)<@&9> `x` ~~y~~ __z__">@everyone <@123>
here</a> or [a space](<https://e.example/a b)c>) or [safe *text*](https://e.example/%zz) or
[https://phish.example](https://evil.example/) or [a [nested] text](https://e.example/n) or run
<code>pip <a href="https://e.example/code">install</a> it</code> or [`Client`](https://e.example/client) or
![pic](https://e.example/p.png).

```md
[in a code block](https://e.example/block)
```
"""


def test_a_malicious_link_cannot_escape_its_brackets_or_ping() -> None:
    hit = hit_for("help.md", MALICIOUS, "Ask the mods")
    md = description_of(hit)
    assert RAW_MENTION.search(md) is None
    shown = check_markup(md, hit.quote)  # every link is masked, to an address no marker can pair with
    evil = (
        "https://evil.example/a%20b%29%5Bx%5D%28https://other.example%29%3C%40&9%3E%20%60x%60%20%7E%7Ey%7E%7E"
        "%20%5F%5Fz%5F%5F"
    )
    assert shown["links"] == [
        ("@everyone <@123> here", evil),
        ("a space", "https://e.example/a%20b%29c"),
        ("safe text", "https://e.example/%25zz"),
        ("Client", "https://e.example/client"),
    ]
    assert f"[@\u200beveryone \\<@\u200b123\\> here](<{evil}>)" in md
    assert "[safe *text*](<https://e.example/%25zz>)" in md
    assert "[`Client`](<https://e.example/client>)" in md  # a link over inline code is a link
    # text that shows an address, or brackets Discord's link rule cannot hold: the text stays, plain
    assert "https\\://phish.example or" in md and "a \\[nested\\] text or" in md
    assert "`pip install it`" in md and "e.example/code" not in md  # a link inside inline code is no link
    assert "```md\n[in a code block](https://e.example/block)\n```" in md  # code: verbatim, not a link
    assert "p.png" not in md


def test_a_cut_never_leaves_half_a_link() -> None:
    words = [
        f"Step {n} is described on [page {n}](https://e.example/{'x' * 40}/{n}) today." for n in range(60)
    ]
    hit = hit_for("steps.md", "# Steps\n\n" + " ".join(words) + "\n", "Step 30 is")
    urls = {f"https://e.example/{'x' * 40}/{n}" for n in range(60)}
    for limit in (200, 333, 500, 1024, 2000, 4096):
        md = render.quote_markdown(hit.quote, limit, hit.focus, blocks=hit.blocks, markup=True)
        assert len(md) <= limit
        shown = check_markup(md, hit.quote)
        assert shown["links"] and {u for _, u in shown["links"]} <= urls
        assert md.count("](<") == md.count("[") - md.count("\\[") == len(shown["links"])
    card = render.render_quote_card(hit)
    assert len(card) <= render.CONTENT_LIMIT
    check_markup(card.rsplit("\n", 1)[0], hit.quote)


def test_ask_json_and_terminal_list_a_hits_links(monkeypatch) -> None:
    import io

    from rich.console import Console

    from bot import cli

    hit = hit_for("guide/redirects.md", PAGE, "If you are not redirected")
    obj = cli.answer_json(Answer("q", True, (hit,)))
    assert obj["hits"][0]["links"][0] == {"text": "here", "url": "https://example.org/docs/setup#install"}
    assert obj["hits"][0]["quote"] == hit.quote  # verbatim: no address inside the quote
    piped = io.StringIO()
    monkeypatch.setattr(cli, "out", Console(file=piped, width=80, highlight=False))
    cli.print_answer(Answer("q", True, (hit,)), threshold=0.5)
    printed = piped.getvalue()
    assert "please click here. Read the docs" in printed
    assert "   \u2197 here: https://example.org/docs/setup#install" in printed.split("\n")


def test_the_bot_answers_with_the_pages_link_through_a_real_store(tmp_path, embedder) -> None:
    """Reader -> chunker -> Chroma -> retriever -> Discord: the link's address survives every stage."""
    from index.ingest import index_corpus
    from index.retrieve import Retriever
    from tests.conftest import make_settings

    corpus = tmp_path / "corpus"
    (corpus / "guide").mkdir(parents=True)
    (corpus / "guide" / "redirects.md").write_text(PAGE, encoding="utf-8")
    (corpus / "setup.md").write_text("# Setup\n\nInstall the bot with the installer.\n", encoding="utf-8")
    settings = make_settings(corpus, tmp_path / "store", source_url=TEMPLATE)
    index_corpus(settings, embedder=embedder)
    retriever = Retriever.open(settings, embedder)
    try:
        answer = retriever.search("What if I am not redirected?", 1)
        (hit,) = answer.hits
        assert hit.source == "guide/redirects.md"
        assert hit.links[0] == ("here", "https://example.org/docs/setup#install")
        shown = check_markup(description_of(hit), hit.quote)
        assert ("here", "https://example.org/docs/setup#install") in shown["links"]
        _, this, _ = retriever.context(hit.passage_id)
        assert this is not None
        context = render.render_context(None, this, None).embeds[0].description or ""
        assert "[here](<https://example.org/docs/setup#install>)" in context
    finally:
        retriever.close()


def test_a_file_template_keeps_the_extension_of_html_pages():
    """A static site of .html pages is served at its file paths: ``{file}`` keeps the extension, so the page
    link and the links inside its quotes agree."""
    template = "https://docs.example.org/{file}"
    page = links.page_url("flask/config.html", None, template)
    assert page == "https://docs.example.org/flask/config.html"
    assert links.link_url("api.html#flask.Flask", "flask/config.html", page, template) == (
        "https://docs.example.org/flask/api.html#flask.Flask"
    )
    assert links.page_url("guide/my page.md", None, "https://x.example.org/{path}") == (
        "https://x.example.org/guide/my%20page"
    )
