"""Links keep their address: readers record ``link`` spans, the store keeps them, a hit carries them absolute, and
Discord shows them as masked links that can never break the quote's formatting or ping."""

from __future__ import annotations

import json

from index import links
from index.formats import reader_for
from index.models import Block, StyleSpan
from index.store import _encode_blocks, decode_blocks

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
    assert decode_blocks(_encode_blocks(doc.blocks)) == doc.blocks
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
