"""Format readers: Markdown/MDX (markdown-it-py), HTML (trafilatura) and plain text -> blocks and reading text."""

from __future__ import annotations

import re

import pytest

from index.formats import reader_for
from index.formats.html import read_html
from index.formats.markdown import read_markdown
from index.formats.text import read_text
from index.loaders import load_corpus

FAQ = """---
title: Lanternfall FAQ
description: Answers to the questions our helpers hear every day.
icon: fab fa-discord
toc: 4
permalink: /faq/
---

# Frequently asked questions

Read this before you ask in <code>#help</code>. <!-- keep this short -->

## Accounts

### How do I link my account?

Run the command below in any channel:

```py
await bot.link(ctx.author)  # links the caller
```

{: .notification .is-warning }

::: tip
Linking takes up to <span class="badge">five</span> minutes.<br>Be patient.
:::

### Why was I muted?

- Spamming links without context
- Posting in the wrong channel
  1. first warning
  2. mute for an hour

| Offence | Mute |
| --- | --- |
| Spam | 1 hour |
| Slurs | **permanent** |

> Moderators decide; appeals go to the *staff* inbox.

<DocsLink path="Client:Class" /> is the main object. <Badge text="beta" />

<script>alert("x")</script>

    indented = "code"
    print(indented)
"""


def blocks_of(doc):
    return [(b.kind, doc.text[b.start : b.end]) for b in doc.blocks]


def headings_of(doc):
    return [text for kind, text in blocks_of(doc) if kind == "heading"]


@pytest.fixture(scope="module")
def faq():
    doc = read_markdown("guide/faq.md", FAQ)
    assert doc is not None
    return doc


def test_front_matter_gives_title_url_description_and_never_enters_text(faq):
    assert faq.title == "Lanternfall FAQ"
    assert faq.url == "/faq/"
    assert faq.description.startswith("Answers to the questions")
    for leak in ("icon:", "fa-discord", "toc:", "permalink", "---"):
        assert leak not in faq.text
    assert faq.markup


def test_headings_are_kept_as_structure_with_section_paths(faq):
    headings = [(b.level, faq.text[b.start : b.end], b.path) for b in faq.blocks if b.kind == "heading"]
    # The front matter names the page, so its H1 stays a heading (the top of every section path).
    assert (1, "Frequently asked questions", ("Frequently asked questions",)) in headings
    assert (2, "Accounts", ("Frequently asked questions", "Accounts")) in headings
    ask = next(b for b in faq.blocks if faq.text[b.start : b.end] == "How do I link my account?")
    assert ask.kind == "heading" and ask.level == 3
    assert ask.path[-2:] == ("Accounts", "How do I link my account?")
    assert ask.anchor == "how-do-i-link-my-account"
    code = next(b for b in faq.blocks if b.kind == "code" and b.lang == "py")
    assert code.path[-1] == "How do I link my account?"


def test_code_is_verbatim_with_language_and_no_fences(faq):
    code = [faq.text[b.start : b.end] for b in faq.blocks if b.kind == "code"]
    assert "await bot.link(ctx.author)  # links the caller" in code
    assert 'indented = "code"\nprint(indented)' in code
    assert "```" not in faq.text


def test_list_items_without_punctuation_are_kept_with_markers(faq):
    items = [t for k, t in blocks_of(faq) if k == "list_item"]
    assert "- Spamming links without context" in items
    assert "- Posting in the wrong channel" in items
    assert "  1. first warning" in items and "  2. mute for an hour" in items


def test_tables_quotes_and_containers_read_as_text(faq):
    kinds = dict((t, k) for k, t in blocks_of(faq))
    assert kinds.get("Offence | Mute\nSpam | 1 hour\nSlurs | permanent") == "table"
    assert kinds.get("Moderators decide; appeals go to the staff inbox.") == "quote"
    assert "Linking takes up to five minutes.\nBe patient." in faq.text  # a ::: tip body is content
    assert ":::" not in faq.text and "tip" not in faq.text.split()


def test_tags_comments_scripts_and_attribute_lines_disappear(faq):
    for leak in ("<", ">", "{:", "notification", "keep this short", "alert", 'badge"', "class="):
        assert leak not in faq.text, leak
    assert "Read this before you ask in #help." in faq.text
    # Self-closing components become the name they render, or their text.
    assert "Client is the main object. beta" in faq.text


def test_inline_formatting_becomes_style_spans(faq):
    styles = {(faq.text[s.start : s.end], s.style) for b in faq.blocks for s in b.styles}
    assert ("#help", "code") in styles
    assert ("staff", "i") in styles
    assert ("permanent", "b") not in styles  # table cells are plain text
    assert ("Client", "code") in styles


def test_first_h1_is_the_title_without_front_matter():
    doc = read_markdown("a.md", "# Getting started\n\nInstall it.\n\n## Next\n\nRun it.\n")
    assert doc.title == "Getting started"
    assert [k for k, _ in blocks_of(doc)] == ["paragraph", "heading", "paragraph"]
    assert doc.blocks[0].path == ("Getting started",)  # text above the first heading belongs to the page
    flat = read_markdown("b.md", "# Notes\n\nJust one paragraph.\n")
    assert flat.blocks[0].path == ()  # a page without headings has no sections


def test_title_falls_back_to_the_file_name():
    doc = read_markdown("guides/setting-up.md", "Just some text here.\n")
    assert doc.title == "Setting up"


def test_invalid_front_matter_is_ignored_not_fatal(caplog):
    doc = read_markdown("x.md", "---\ntitle: [unclosed\n---\n\nBody text is here.\n")
    assert doc is not None and "unclosed" not in doc.text
    assert "front matter" in caplog.text


def test_custom_heading_anchor():
    doc = read_markdown("x.md", "# T\n\n## Install the bot {#install}\n\nText.\n")
    h = next(b for b in doc.blocks if b.kind == "heading")
    assert doc.text[h.start : h.end] == "Install the bot"
    assert h.anchor == "install"


def test_mdx_imports_disappear():
    src = "import Tabs from '@theme/Tabs'\nexport const x = 1\n\n# Title\n\nSome text.\n"
    doc = read_markdown("x.mdx", src)
    assert doc.text == "Some text."


def test_html_blocks_become_blocks():
    src = '# T\n\n<div class="note">\n<p>First <b>bold</b> point.</p>\n<ul><li>one</li><li>two</li></ul>\n</div>\n'
    doc = read_markdown("x.md", src)
    assert ("paragraph", "First bold point.") in blocks_of(doc)
    assert ("list_item", "one") in blocks_of(doc)


def test_readers_are_chosen_by_extension():
    for name in ("a.md", "a.MARKDOWN", "a.mdx"):
        assert reader_for(name) is read_markdown
    for name in ("a.html", "a.htm"):
        assert reader_for(name) is read_html
    assert reader_for("a.txt") is read_text
    assert reader_for("a.pdf") is None


NEWS = """<!doctype html><html><head><title>River festival returns after three years | Valley Post</title>
<link rel="canonical" href="https://valleypost.example/news/river-festival"></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<div class="cookie">We use cookies to improve your experience. <button>Accept all</button></div>
<article><h1>River festival returns after three years</h1>
<p>The riverside festival returned to Millbrook on Saturday after a three-year break, drawing an estimated
twelve thousand visitors to the old harbour.</p>
<p>Organisers said the boat parade had been extended to two hours and that the lantern walk would now start
at the mill bridge rather than the town hall.</p>
<h2>Traffic</h2>
<p>The council closed Harbour Road from noon until midnight and asked visitors to use the park-and-ride
service from the leisure centre.</p>
<ul><li>Park-and-ride buses every ten minutes</li><li>Last bus at half past midnight</li></ul>
</article>
<aside><h3>Related</h3><ul><li><a href="/a">Council tax to rise</a></li></ul></aside>
<footer>Copyright 2024 Valley Post. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>"""


def test_html_news_page_keeps_the_article_and_drops_chrome():
    doc = read_html("news-festival.html", NEWS)
    assert doc is not None
    assert doc.title.startswith("River festival returns after three years")
    assert doc.url == "https://valleypost.example/news/river-festival"
    assert "twelve thousand visitors" in doc.text
    for chrome in ("cookies", "Accept all", "Copyright", "Privacy", "Council tax"):
        assert chrome not in doc.text, chrome
    kinds = blocks_of(doc)
    assert ("heading", "Traffic") in kinds
    assert ("list_item", "- Park-and-ride buses every ten minutes") in kinds


DOCS_HTML = """<html><head><title>Configuration - Lantern docs</title></head><body>
<nav class="sidebar"><ul><li><a href="/">Intro</a></li><li><a href="/config">Configuration</a></li></ul></nav>
<main><h1>Configuration</h1>
<p>Lantern reads its settings from <code>lantern.toml</code> in the working directory when it starts.</p>
<h2 id="tokens">Tokens and secrets</h2>
<p>Never commit the bot token to version control; put it in the environment instead, as shown below.</p>
<pre><code class="language-bash">export LANTERN_TOKEN="your-token"
lantern run --config lantern.toml
</code></pre>
<table><tr><th>Key</th><th>Default</th></tr><tr><td>prefix</td><td>!</td></tr></table>
</main><footer>Built with love. Edit this page on GitHub.</footer></body></html>"""


def test_html_docs_page_keeps_code_language_headings_and_tables():
    doc = read_html("config.html", DOCS_HTML)
    assert doc is not None
    code = next(b for b in doc.blocks if b.kind == "code")
    assert (
        doc.text[code.start : code.end]
        == 'export LANTERN_TOKEN="your-token"\nlantern run --config lantern.toml'
    )
    assert code.lang == "bash"
    heading = next(b for b in doc.blocks if b.kind == "heading")
    assert doc.text[heading.start : heading.end] == "Tokens and secrets"
    assert heading.anchor == "tokens"
    assert code.path == ("Tokens and secrets",)
    assert any(b.kind == "table" and "prefix | !" in doc.text[b.start : b.end] for b in doc.blocks)
    assert "Edit this page" not in doc.text


def test_plain_text_keeps_the_news_rules():
    doc = read_text(
        "a.txt", "Budget passes\n\nThe council approved the budget on Monday. It funds schools.\n"
    )
    assert doc.title == "Budget passes"
    assert not doc.markup
    assert [b.kind for b in doc.blocks] == ["paragraph"]


def test_corpus_loads_every_format_and_warns_on_unknown_types(tmp_path, caplog):
    (tmp_path / "a.md").write_text("# A\n\nAlpha text here.\n")
    (tmp_path / "b.html").write_text(DOCS_HTML)
    (tmp_path / "c.txt").write_text("Gamma\n\nGamma body text is here. It has words.\n")
    (tmp_path / "d.pdf").write_bytes(b"%PDF-1.4")
    with caplog.at_level("WARNING"):
        docs, skipped = load_corpus(tmp_path)
    assert sorted(d.source for d in docs) == ["a.md", "b.html", "c.txt"]
    assert re.search(r"d\.pdf.*unknown file type", caplog.text)


def test_component_bodies_are_read_as_markdown_and_indented_components_stay_text():
    src = (
        '# T\n\n<Callout type="warning">\nPass `allowed_mentions` whenever a message has **user** text.\n'
        '</Callout>\n\n<DiscordMessages>\n\t<DiscordMessage profile="bot">\n\t\tPong!\n\t</DiscordMessage>\n'
        "</DiscordMessages>\n"
    )
    doc = read_markdown("x.mdx", src)
    text = doc.text
    assert "Pass allowed_mentions whenever a message has user text." in text
    styles = {(text[s.start : s.end], s.style) for b in doc.blocks for s in b.styles}
    assert ("allowed_mentions", "code") in styles and ("user", "b") in styles
    assert "Pong!" in text and "<" not in text and not any(b.kind == "code" for b in doc.blocks)


def test_code_language_annotations_are_dropped():
    src = "# T\n\n```js:no-line-numbers\na();\n```\n\n```sh{2}\nb\n```\n\n```:no-line-numbers\nc\n```\n"
    doc = read_markdown("x.md", src)
    assert [b.lang for b in doc.blocks if b.kind == "code"] == ["js", "sh", ""]


def test_mdx_layout_imports_tabs_and_details():
    src = (
        "---\ntitle: Tabs page\n---\n\nimport {\n  Tabs,\n  TabItem,\n} from '@theme/Tabs';\n\n"
        'Intro text of the page.\n\n<Tabs>\n  <TabItem value="a" label="With pip">\n'
        "    ```bash\n    pip install thing\n      --upgrade\n    ```\n  </TabItem>\n</Tabs>\n\n"
        "<details>\n  <summary>Without a venv</summary>\n\n  <div>\n    ```py\n    import thing\n    ```\n"
        "  </div>\n</details>\n\nValue is {props.value} here.\n\n:::\n"
    )
    doc = read_markdown("x.mdx", src)
    kinds = blocks_of(doc)
    assert kinds[0] == ("paragraph", "Intro text of the page.")
    assert ("paragraph", "With pip") in kinds  # a tab's label
    assert ("code", "pip install thing\n  --upgrade") in kinds  # indentation inside JSX is layout
    assert ("code", "import thing") in kinds
    assert ("paragraph", "Without a venv") in kinds
    assert ("paragraph", "Value is here.") in kinds  # {expressions} have no text we can know
    assert "Tabs" not in doc.text and "```" not in doc.text and ":::" not in doc.text


def test_attribute_lists_of_every_syntax_disappear_from_headings_and_text():
    src = (
        '# Page\n\n## Using the client { data-toc-label="Client" }\n\nText { .note } here.\n\n'
        '## Other {: #other .big }\n\nJSON {"a": 1} and {braces} stay.\n'
    )
    d = read_markdown("p.md", src)
    heads = headings_of(d)
    assert heads == ["Using the client", "Other"]
    assert "Text here." in d.text and "data-toc" not in d.text and ".note" not in d.text
    assert '{"a": 1}' in d.text and "{braces}" in d.text


def test_front_matter_title_is_read_as_inline_markdown():
    d = read_markdown("p.md", '---\ntitle: The `if __name__ == "__main__"` *idiom*\n---\n\nBody text.\n')
    assert d.title == 'The if __name__ == "__main__" idiom'


def test_a_paragraph_above_a_rule_is_not_a_heading_but_a_short_underlined_line_is():
    src = (
        "# Page\n\n## Section\n\nKeep in mind that this is not a mirror. It is close enough.\n---\n\n"
        "After the rule.\n\nShort title\n-----------\n\nUnder it.\n"
    )
    d = read_markdown("p.md", src)
    heads = headings_of(d)
    assert heads == ["Section", "Short title"]
    para = next(b for b in d.blocks if d.text[b.start : b.end].startswith("Keep in mind"))
    assert para.kind == "paragraph" and para.path == ("Section",)
    after = next(b for b in d.blocks if d.text[b.start : b.end] == "After the rule.")
    assert after.path == ("Section",)


def test_a_paragraph_written_as_a_heading_is_read_as_prose_and_long_faq_questions_stay_headings():
    prose = " ".join(["This sentence goes on about deferring."] * 6) + " An example is shown below."
    faq = "Q: What perks are there for boosters? Can I keep the role once the boost expires?"
    signature = (
        "send(" + ", ".join(f"arg{i}: int | None = None" for i in range(8)) + ")"
    )  # 40 words, no sentence
    d = read_markdown(
        "p.md",
        f"# Page\n\n## Tips\n\n### {prose}\n\n    code()\n\n#### {faq}\n\nYes.\n\n### {signature}\n\nSends.\n",
    )
    assert headings_of(d) == ["Tips", faq, signature]
    para = next(b for b in d.blocks if d.text[b.start : b.end].startswith("This sentence"))
    assert para.kind == "paragraph" and para.path == ("Tips",)
    code = next(b for b in d.blocks if b.kind == "code")
    assert code.path == ("Tips",)  # the code under it stays in the section above, not in a "prose" section


def test_a_heading_written_with_a_no_break_space_is_a_heading_and_code_keeps_it():
    d = read_markdown(
        "p.md",
        "# Page\n\n###\u00a0Text Colors\n\n- 30: Gray\n\n```md\n##\u00a0raw\n```\n\n> ####\u00a0Quoted\n",
    )
    assert headings_of(d) == ["Text Colors", "Quoted"]
    item = next(b for b in d.blocks if b.kind == "list_item")
    assert item.path == ("Text Colors",) and "#" not in d.text[item.start : item.end]
    code = next(b for b in d.blocks if b.kind == "code")
    assert d.text[code.start : code.end] == "##\u00a0raw"


def test_footnote_references_disappear_and_definitions_are_read():
    d = read_markdown("p.md", "# Page\n\nA claim.[^1] More.\n\n[^1]: The source of the claim.\n")
    assert "[^1]" not in d.text and "A claim. More." in d.text
    assert "The source of the claim." in d.text


def test_a_quoted_greater_than_sign_inside_a_tags_attribute_does_not_end_the_tag():
    doc = read_markdown(
        "a.md", 'Say <Tip title="a > b" when="x>1">hello</Tip> and <a href="/q?a>b">go</a> now.\n'
    )
    assert doc.text == "Say hello and go now."


_FRAME = (
    "<html><head><title>Node</title>{head}</head><body><nav><a href='/'>Home</a> <a href='/a'>A</a></nav>"
    "<main><article><h1>Node</h1>{body}</article></main><footer>Copyright</footer></body></html>"
)
_PARA = "<p>The node keeps its blocks in a database that the operator can inspect and purge at any time.</p>"


def test_html_text_written_straight_into_divs_is_kept():
    body = (
        "<h2 id='run'><a href='#run' class='anchor'>Run</a></h2>"
        + _PARA
        + "<div class='note'><div class='note__title'>From scratch</div><div class='note__text'>To purge the "
        "blocks remove the database at <code>/tmp/db</code>.<br>Replace the identifier.<p>To start from scratch "
        "every time use <code>--tmp</code> flag.</p></div></div>"
        + "<div class='callout'>Datalog supports a string of at most 512 bytes; use IPFS for more.</div>"
        + _PARA
    )
    doc = read_html("node.html", _FRAME.format(head="", body=body))
    assert "Datalog supports a string of at most 512 bytes; use IPFS for more." in doc.text
    assert "To purge the blocks remove the database at /tmp/db." in doc.text
    assert "To start from scratch every time use --tmp flag." in doc.text
    heading = next(b for b in doc.blocks if b.kind == "heading")
    assert doc.text[heading.start : heading.end] == "Run" and heading.anchor == "run"
    assert not any(s.style == "link" for s in heading.styles)  # a heading's permalink is not a link


def test_html_stray_image_sources_do_not_swallow_the_rest_of_the_article():
    # A parser reads a <source> outside <picture> as a container: what follows ends up inside it, unread.
    img = (
        "<figure><picture><p></p><source type='image/webp' srcset='a.webp 420w'></picture></figure></li></ol>"
        "<source type='image/png' srcset='a.png 420w'><source type='image/jpeg' srcset='a.jpeg'><img src='a.jpeg'>"
    )
    body = (
        _PARA
        + "<ol><li><p>Download the binary of the release you want to run on the server.</p>"
        + img
        + "<ol start='2'><li><p>Install the binary in the system folder and check its version.</p>"
        + img
        + "<h2 id='sync'>Speeding up the sync</h2><p>When the sync stalls, restart the collator with a fresh "
        "snapshot of the chain.</p>"
    )
    doc = read_html("collator.html", _FRAME.format(head="", body=body))
    heads = headings_of(doc)
    assert heads == ["Speeding up the sync"]
    stalls = next(b for b in doc.blocks if doc.text[b.start : b.end].startswith("When the sync stalls"))
    assert stalls.path == ("Speeding up the sync",)


def test_html_a_canonical_link_to_the_home_page_is_not_the_pages_address():
    head = "<link rel='canonical' href='https://wiki.example.org/'>"
    doc = read_html("docs/node.html", _FRAME.format(head=head, body=_PARA * 2))
    assert doc.url is None
    own = read_html(
        "docs/node.html", _FRAME.format(head=head.replace("org/", "org/docs/node"), body=_PARA * 2)
    )
    assert own.url == "https://wiki.example.org/docs/node"
    assert (
        read_html("index.html", _FRAME.format(head=head, body=_PARA * 2)).url == "https://wiki.example.org/"
    )


def test_html_an_ordered_list_keeps_its_start_number():
    body = (
        _PARA
        + "<ol start='3'><li>Install the binary in the system folder.</li><li>Check its version.</li></ol>"
        "<ol><li>Plain one</li><li>Plain two</li></ol>" + _PARA
    )
    doc = read_html("steps.html", _FRAME.format(head="", body=body))
    items = [text for k, text in blocks_of(doc) if k == "list_item"]
    assert items == [
        "3. Install the binary in the system folder.",
        "4. Check its version.",
        "1. Plain one",
        "2. Plain two",
    ]


def test_mkdocs_admonitions_and_content_tabs_read_as_text():
    src = (
        "# Install\n\nSome intro text.\n\n"
        '!!! note "Python version"\n    You need Python 3.11 or later.\n\n'
        "??? tip\n    Hidden **text** here.\n\n"
        '=== "Linux"\n\n    ```bash\n    pip install foo\n    ```\n\n'
        '=== "Windows"\n\n    Run the installer.\n\n        indented code stays code\n\n'
        'Final paragraph.\n\n```text\n=== "not a tab"\n    inside code\n```\n'
    )
    d = read_markdown("install.md", src)
    blocks = [(b.kind, b.lang, d.text[b.start : b.end]) for b in d.blocks]
    assert blocks == [
        ("paragraph", "", "Some intro text."),
        ("paragraph", "", "Python version"),  # a title the author wrote; a default one ("Tip") is not text
        ("paragraph", "", "You need Python 3.11 or later."),
        ("paragraph", "", "Hidden text here."),
        ("paragraph", "", "Linux"),
        ("code", "bash", "pip install foo"),
        ("paragraph", "", "Windows"),
        ("paragraph", "", "Run the installer."),
        ("code", "", "indented code stays code"),
        ("paragraph", "", "Final paragraph."),
        ("code", "text", '=== "not a tab"\n    inside code'),
    ]
    code = next(b for b in d.blocks if b.lang == "bash")
    assert code.lines == (14, 14)  # source lines stay right after the tab's content is dedented


def test_a_prose_line_that_starts_with_import_is_not_an_mdx_import():
    """A wrapped paragraph line that begins with the word "import" is prose; only ESM statements at the start of
    a block go (before, such a line took up to 40 lines of the page with it)."""
    src = (
        "import Tabs from '@theme/Tabs';\nimport {\n  TabItem,\n} from '@theme/TabItem';\n\n# Title\n\n"
        "Although you install the library with `pip install py-cord`, you\n"
        "import it with `import discord`. This keeps switching easy.\n\n"
        "We then import os and dotenv.\n\nexport default function X() {}\n\n"
        + "\n\n".join(f"Paragraph number {n} stays." for n in range(45))
        + "\n"
    )
    doc = read_markdown("x.mdx", src)
    assert "you import it with import discord. This keeps switching easy." in doc.text
    assert "We then import os and dotenv." in doc.text
    assert all(f"Paragraph number {n} stays." in doc.text for n in range(45))
    assert "Tabs" not in doc.text and "TabItem" not in doc.text and "export" not in doc.text


def test_a_sites_images_and_styles_are_counted_not_named(tmp_path, caplog):
    """A docs folder keeps hundreds of images beside its pages: one line counts them; a file that might be a
    document of an unread format (.rst, .pdf) is still named."""
    (tmp_path / "a.md").write_text("# A\n\nAlpha text here.\n")
    for n in range(30):
        (tmp_path / f"img{n}.png").write_bytes(b"\x89PNG")
    (tmp_path / "site.css").write_text("body {}")
    (tmp_path / "guide.rst").write_text("Guide\n=====\n")
    with caplog.at_level("INFO"):
        docs, _ = load_corpus(tmp_path)
    assert [d.source for d in docs] == ["a.md"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warnings == [next(w for w in warnings if "guide.rst" in w)]
    assert any("skipped 31 image, style, script and data file(s)" in r.getMessage() for r in caplog.records)


def test_a_short_html_page_keeps_its_structure():
    """A short page whose extraction drops part of it (a list of links, taken for boilerplate) got trafilatura's
    flat text, one paragraph; a short rules page or FAQ must still read as headings, list items and code,
    links included, without its navigation and footer."""
    body = (
        "<p>Read these first:</p><ul><li><a href='faq.html'>FAQ</a></li><li><a href='roles.html'>Roles</a></li>"
        "</ul><h2>Rules</h2><ul><li>Be kind.</li><li>No spam, see "
        "<a href='spam.html'>spam</a>.</li></ul><h2>Start</h2><pre><code class='language-sh'>moth start\n"
        "</code></pre>"
    )
    doc = read_html("short.html", _FRAME.format(head="", body=body))
    assert blocks_of(doc) == [
        ("heading", "Node"),
        ("paragraph", "Read these first:"),
        ("list_item", "FAQ"),
        ("list_item", "Roles"),
        ("heading", "Rules"),
        ("list_item", "Be kind."),
        ("list_item", "No spam, see spam."),
        ("heading", "Start"),
        ("code", "moth start"),
    ]
    assert next(b for b in doc.blocks if b.kind == "code").lang == "sh"
    assert doc.title == "Node" and "Home" not in doc.text and "Copyright" not in doc.text
    item = next(b for b in doc.blocks if b.kind == "list_item" and "spam" in doc.text[b.start : b.end])
    assert [s.href for s in item.styles if s.style == "link"] == ["spam.html"]


def test_a_short_html_index_of_pages_is_read_as_links_and_skipped_as_a_table_of_contents(tmp_path):
    from index.loaders import Skipped, load_document

    links = "".join(
        f"<li><a href='guides/{n}.html'>{n.title()} guide</a></li>" for n in ("prefix", "ban", "roles")
    )
    page = tmp_path / "index.html"
    page.write_text(_FRAME.format(head="", body=f"<ul>{links}</ul>"), encoding="utf-8")
    skipped = load_document(page, "index.html")
    assert isinstance(skipped, Skipped) and not skipped.keep


def test_hugo_toml_front_matter_gives_the_title_and_never_appears_in_text(caplog):
    src = (
        '+++\ntitle = "Server *rules*"\ndescription = "The rules of the server"\nurl = "/rules/"\n'
        'date = 2024-01-01\ntags = ["rules"]\n+++\n\n## Rule 1\n\nBe kind.\n'
    )
    doc = read_markdown("rules.md", src)
    assert (doc.title, doc.description, doc.url) == ("Server rules", "The rules of the server", "/rules/")
    assert blocks_of(doc) == [("heading", "Rule 1"), ("paragraph", "Be kind.")]
    assert src.split("\n")[doc.blocks[0].lines[0] - 1] == "## Rule 1"
    # not valid TOML: ignored with a warning naming the file, and still no page text
    bad = read_markdown("bad.md", '+++\ntitle = "unclosed\n+++\n\nText here.\n')
    assert blocks_of(bad) == [("paragraph", "Text here.")]
    assert "bad.md: front matter is not valid TOML" in caplog.text
    # "+++" never closed is no front matter
    open_only = read_markdown("plus.md", "+++\n\nA page that starts oddly.\n")
    assert "A page that starts oddly." in open_only.text
