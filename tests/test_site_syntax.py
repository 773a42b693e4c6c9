"""Site-generator syntax in Markdown and MDX (index/formats/mdlayout.py): what the built page shows is read, its
markers, includes and directives are not, code is untouched, and source lines stay right."""

from __future__ import annotations

from index.chunking import chunk_document
from index.formats.markdown import read_markdown
from tests.test_formats import blocks_of


def test_pymdown_blocks_keep_title_and_body_and_lose_their_fences():
    src = (
        "# Page\n\nIntro.\n\n/// note | Technical Details\n    type: warning\n\nThe body is **kept**.\n\n"
        "//// tip\nA nested tip.\n////\n\n///\n\n/// details\nHidden by default.\n///\n"
    )
    doc = read_markdown("p.md", src)
    kinds = blocks_of(doc)
    assert ("paragraph", "Technical Details") in kinds
    assert ("paragraph", "The body is kept.") in kinds
    assert ("paragraph", "A nested tip.") in kinds and ("paragraph", "Hidden by default.") in kinds
    assert "///" not in doc.text and "type: warning" not in doc.text and ":::" not in doc.text


def test_container_titles_written_by_the_author_are_content():
    doc = read_markdown("p.md", "# Page\n\n::: warning Read this first\nBack up your saves.\n:::\n")
    assert blocks_of(doc) == [("paragraph", "Read this first"), ("paragraph", "Back up your saves.")]


def test_include_lines_and_api_directives_disappear():
    src = (
        "# Page\n\nBefore.\n\n{* ../../docs_src/first_steps/tutorial001.py hl[3] *}\n\n"
        '--8<-- "CONTRIBUTING.md"\n\n--8<--\nfile_a.md\nfile_b.md\n--8<--\n\n{!docs/part.md!}\n\n'
        "::: mkdocs.plugins.BasePlugin\n    options:\n        show_root_heading: false\n\nAfter.\n"
    )
    doc = read_markdown("p.md", src)
    assert blocks_of(doc) == [("paragraph", "Before."), ("paragraph", "After.")]
    assert read_markdown("only.md", '--8<-- "CONTRIBUTING.md"\n') is None  # nothing a reader would see


def test_icons_marks_keys_abbreviations_and_templates():
    src = (
        "# Page\n\n:material-clock-fast: Set up in ==five minutes==, press ++ctrl+alt+del++ and ^^never^^ "
        "forget `a ==b== c`.\n\n{% for s in sponsors %}\n\nThe FAQ is short.\n\n*[FAQ]: Frequently Asked Questions\n"
    )
    doc = read_markdown("p.md", src)
    assert blocks_of(doc) == [
        ("paragraph", "Set up in five minutes, press ctrl+alt+del and never forget a ==b== c."),
        ("paragraph", "The FAQ is short."),
    ]


def test_code_is_never_rewritten_but_include_lines_in_fences_go():
    body = "/// note\n::: a.b\n    options:\nx == y ==z\nprint('==done==')\n{% for p in pages %}\n///"
    doc = read_markdown("p.md", f"# Page\n\n```text\n{body}\n```\n")
    assert blocks_of(doc) == [("code", body)]
    # a file the site generator includes into the fence: not code a reader of our quote could see
    doc = read_markdown(
        "p.md", '# Page\n\n```py\n{!> ../../docs_src/app.py!}\n--8<-- "x.py"\nprint(1)\n```\n'
    )
    assert blocks_of(doc) == [("code", "print(1)")]


def test_indented_code_block_quoted_code_and_prose_keep_their_equal_signs():
    src = (
        "# Page\n\nCompare with count==3 and total==10 here.\n\n    if x==1 and y==2:\n        pass\n"
        "    {% for p in pages %}\n\n> ```py\n> a==1 or b==2\n> ```\n"
    )
    doc = read_markdown("p.md", src)
    kinds = blocks_of(doc)
    assert ("paragraph", "Compare with count==3 and total==10 here.") in kinds
    assert ("code", "if x==1 and y==2:\n    pass\n{% for p in pages %}") in kinds
    assert "a==1 or b==2" in doc.text


def test_api_headings_click_directives_and_autorefs():
    src = (
        "# Plugins\n\n#### ::: mkdocs.plugins.event_priority\n    options:\n        heading_level: 4\n\n"
        "Set the priority of an event.\n\n::: mkdocs-click\n    :module: mkdocs.__main__\n    :command: cli\n\n"
        "See [File][mkdocs.structure.files.File] and [`mkdocs.exceptions.PluginError`][] and [kept][ref].\n\n"
        "[ref]: https://example.org/ref\n"
    )
    doc = read_markdown("p.md", src)
    heads = [(doc.text[b.start : b.end], b.anchor) for b in doc.blocks if b.kind == "heading"]
    assert [h for h, _ in heads] == ["mkdocs.plugins.event_priority"]
    assert ":::" not in doc.text and ":module:" not in doc.text and "heading_level" not in doc.text
    assert "See File and mkdocs.exceptions.PluginError and kept." in doc.text


def test_source_lines_of_mdx_pages_survive_imports_and_components():
    src = (
        "---\ntitle: Page\n---\n\nimport Tabs from '@theme/Tabs';\nimport {\n  TabItem,\n} from '@theme/TabItem';\n\n"
        'First paragraph.\n\n<Tabs>\n  <TabItem value="a">\n\n  Inside a tab.\n\n  </TabItem>\n</Tabs>\n\n'
        "```py\nprint(1)\nprint(2)\n```\n\nLast paragraph.\n"
    )
    doc = read_markdown("p.mdx", src)
    source = src.split("\n")
    for blk in doc.blocks:
        text = doc.text[blk.start : blk.end]
        first, last = blk.lines
        assert first >= 1 and last <= len(source), (text, blk.lines)
        if blk.kind == "code":
            assert "\n".join(source[first - 1 : last]) == text
        else:
            assert text.split()[0] in source[first - 1], (text, blk.lines, source[first - 1])
    passages = chunk_document(doc)
    assert passages[-1].location.startswith("line")


def test_html_heading_permalink_marks_are_not_text():
    """MkDocs and Sphinx put a "¶" link after every heading: it is no part of the title or the section path."""
    from index.formats.html import read_html
    from tests.test_formats import _PARA

    body = (
        '<h1 id="deploying">Deploying your docs<a class="headerlink" href="#deploying" title="Permanent link">¶</a>'
        "</h1>"
        + _PARA
        + '<h2 id="gh">GitHub Pages<a class="headerlink" href="#gh">¶</a></h2>'
        + _PARA
        + '<h3 id="role">How do I get the Helper role?<a class="headerlink" href="#role">#</a></h3>'
        + "<p>Ask in the help channel and a moderator will give it to you after a week.</p>"
    )
    page = (
        "<html><head><title>Deploying your docs - MkDocs</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<main><article>{body}</article></main><footer>Copyright</footer></body></html>"
    )
    doc = read_html("deploy.html", page)
    assert doc.title == "Deploying your docs"
    assert "¶" not in doc.text and "¶" not in doc.title
    heads = [(doc.text[b.start : b.end], b.path) for b in doc.blocks if b.kind == "heading"]
    assert ("GitHub Pages", ("GitHub Pages",)) in heads
    assert ("How do I get the Helper role?", ("GitHub Pages", "How do I get the Helper role?")) in heads
    role = next(p for p in chunk_document(doc) if "Helper role" in p.text)
    assert role.text.startswith(
        "How do I get the Helper role?"
    )  # a question heading starts its answer's passage


def test_a_fence_closed_inside_a_block_quote_ends_the_code():
    """A ``> ```py`` … ``> ```` fence: the rules apply again after it (before, the page's rest read as code)."""
    src = (
        "# Page\n\n> ```py\n> a==1 or b==2\n> ```\n\n::: pkg.module.Thing\n    options:\n        show: false\n\n"
        "After the directive.\n"
    )
    doc = read_markdown("p.md", src)
    assert "a==1 or b==2" in doc.text and "After the directive." in doc.text
    assert "options" not in doc.text and ":::" not in doc.text


SPHINX_PAGE = """<html><head><title>API — Requests 2.32 documentation</title></head><body>
<div role="navigation">Nav stuff</div><main><section id="api"><h1>API<a class="headerlink" href="#api">¶</a></h1>
<p>This part of the documentation covers all the interfaces of Requests, and where it depends on libraries.</p>
<section id="cookies"><h2>Cookies<a class="headerlink" href="#cookies">¶</a></h2><p>If a response contains some
Cookies, you can quickly access them with the cookies attribute of the response.</p></section>
<section id="sessions"><h2>Sessions<a class="headerlink" href="#sessions">¶</a></h2>
<dl class="py method"><dt class="sig sig-object py" id="requests.Session.mount"><span class="sig-name descname"
>mount</span>(<em>prefix</em>, <em>adapter</em>)<a class="headerlink" href="#requests.Session.mount">¶</a></dt>
<dd><p>Registers a connection adapter to a prefix. Adapters are sorted in descending order by prefix length.</p>
<div class="highlight-python notranslate"><div class="highlight"><pre><span></span>s = requests.Session()
s.mount('https://', adapter)
</pre></div></div></dd></dl>
<details><summary>Changelog</summary><p>Added in version 2.0.</p></details>
<p>After the details paragraph there is more text in the sessions section of the page.</p>
<ul><li><p>First item paragraph with some words in it.</p><div class="highlight-python"><pre>item_code()</pre></div>
</li><li>Plain second item.</li></ul></section></section></main><footer>Copyright</footer></body></html>"""


def test_sphinx_pages_keep_sections_api_entries_and_code_languages():
    """Sphinx builds ids from headings ("cookies") and object names ("...authorization"), which the extractor
    took for chrome; API entries are definition lists; code languages sit on a wrapper div."""
    from index.formats.html import read_html

    doc = read_html("api.html", SPHINX_PAGE)
    assert doc.title == "API"
    kinds = blocks_of(doc)
    assert ("heading", "Cookies") in kinds
    assert any(k == "paragraph" and t.startswith("If a response contains some Cookies") for k, t in kinds)
    term = next(b for b in doc.blocks if doc.text[b.start : b.end].startswith("mount"))
    assert doc.text[term.start : term.end] == "mount(prefix, adapter)"  # no "¶"
    assert any(s.style == "b" and (s.start, s.end) == (term.start, term.end) for s in term.styles)
    code = [b for b in doc.blocks if b.kind == "code"]
    assert [(doc.text[b.start : b.end], b.lang) for b in code] == [
        ("s = requests.Session()\ns.mount('https://', adapter)", "python"),
        ("item_code()", "python"),
    ]
    summary = next(b for b in doc.blocks if doc.text[b.start : b.end] == "Changelog")
    assert summary.kind == "paragraph" and summary.path == ("Sessions",)  # a <summary> is no section
    after = next(b for b in doc.blocks if doc.text[b.start : b.end].startswith("After the details"))
    assert after.path == ("Sessions",) and after.anchor == "sessions"
    assert ("list_item", "- First item paragraph with some words in it.") in kinds
    assert "¶" not in doc.text


def test_a_short_page_reads_its_main_content_not_its_sidebar():
    from index.formats.html import read_html

    page = (
        "<html><head><title>Authors¶</title></head><body><div class='sphinxsidebar'><p>Requests is an elegant "
        "and simple HTTP library for Python, built for human beings.</p></div><div role='main'><h1>Authors</h1>"
        "<p>Kenneth Reitz and the contributors.</p></div><div class='footer'>©Kenneth Reitz.</div></body></html>"
    )
    doc = read_html("authors.html", page)
    assert doc.title == "Authors"
    assert "Kenneth Reitz and the contributors." in doc.text
    assert "elegant and simple" not in doc.text and "©" not in doc.text


def test_doc_comments_in_indented_code_and_stray_snippet_lines_lose_nothing():
    rust = "    /// Adds one.\n    ///\n    /// Example\n    fn add_one(x: i32) -> i32 { x + 1 }"
    doc = read_markdown("r.md", f"# Rust\n\nDoc comments:\n\n{rust}\n\nAfter.\n")
    assert ("code", "\n".join(line[4:] for line in rust.split("\n"))) in blocks_of(doc)
    doc = read_markdown(
        "s.md", "# S\n\nText\n\n    --8<--\n    not a snippet\n\nA paragraph that stays.\n\nAnother.\n"
    )
    assert "A paragraph that stays." in doc.text and "Another." in doc.text
    doc = read_markdown("u.md", "# U\n\n--8<--\nfile.md\n\nMore text stays here.\n")
    assert "More text stays here." in doc.text  # an unclosed block: only its opening line goes


def test_marks_never_touch_inline_code():
    doc = read_markdown(
        "m.md", "# M\n\nCompare with `` x`==b==`y `` here.\n\nRun `check --mode\n==strict== now` before.\n"
    )
    assert "x`==b==`y" in doc.text and "check --mode ==strict== now" in doc.text


def test_very_long_lines_are_read_as_they_are():
    line = "==x " * 50_000 + "/// a" + " " * 20_000 + "b"
    doc = read_markdown("long.md", f"# Long\n\n{line}\n")
    assert doc.text.endswith(" b") and doc.text.count("==x") == 50_000


def test_a_main_landmark_with_little_of_the_text_is_not_the_page():
    from index.formats.html import read_html

    page = (
        "<html><body><nav>Home | Docs</nav><main><div class='hero'>Welcome!</div></main><article><h1>Guide</h1>"
        "<p>The real content of the page: install the bot with pip and run it once to create its settings.</p>"
        "</article></body></html>"
    )
    doc = read_html("g.html", page)
    assert doc is not None and "install the bot with pip" in doc.text


def test_an_admonition_title_stays_with_its_body():
    """Sphinx and MkDocs write a note's title as ``<p class="admonition-title">Note</p>``: bold, and never the
    end of a passage whose body is in the next one."""
    from index.chunking import chunk_document
    from index.formats.html import read_html

    words = " ".join(f"word{i}" for i in range(70))
    notes = "".join(
        f"<p>{words} {k}.</p><div class='admonition note'><p class='admonition-title'>Note</p>"
        f"<p>Body of note {k} that belongs to its title.</p></div>"
        for k in range(4)
    )
    doc = read_html(
        "a.html", f"<html><head><title>API</title></head><body><main><h1>API</h1>{notes}</main></body></html>"
    )
    titles = [b for b in doc.blocks if doc.text[b.start : b.end] == "Note"]
    assert len(titles) == 4 and all(any(s.style == "b" for s in b.styles) for b in titles)
    assert not any(p.text.endswith("Note") for p in chunk_document(doc))


def test_gitbook_and_hugo_template_tags_go_and_what_they_wrap_stays():
    """GitBook/Liquid block tags and Hugo shortcodes are template syntax: on a line of their own or inside a prose
    line they disappear, the content between a pair stays, and a tag shown as code (a page documenting them) is
    code, untouched."""
    src = (
        '# FAQ\n\n{% hint style="info" %}\nThe bot needs the **Manage Roles** permission.\n{% endhint %}\n\n'
        '## How do I set a prefix?\n\n{% tabs %}\n{% tab title="Slash" %}\nUse `/prefix set`.\n{% endtab %}\n'
        "{% endtabs %}\n\n{{< hint warning >}}\nPrefixes are limited to 5 characters.\n{{< /hint >}}\n\n"
        "{{% notice tip %}}\nKeep it short.\n{{% /notice %}}\n\n"
        'Yes, with `/language`. {% include "snippets/lang.md" %} See [setup]({{< ref "setup.md" >}}).\n\n'
        "Write `{% raw %}{{ page.title }}{% endraw %}` to print the title.\n\n"
        "```liquid\n{% if user %}\n  Hello {{ user.name }}\n{% endif %}\n```\n"
    )
    doc = read_markdown("faq.md", src)
    assert blocks_of(doc) == [
        ("paragraph", "The bot needs the Manage Roles permission."),
        ("heading", "How do I set a prefix?"),
        ("paragraph", "Use /prefix set."),
        ("paragraph", "Prefixes are limited to 5 characters."),
        ("paragraph", "Keep it short."),
        ("paragraph", "Yes, with /language. See setup."),
        ("paragraph", "Write {% raw %}{{ page.title }}{% endraw %} to print the title."),
        ("code", "{% if user %}\n  Hello {{ user.name }}\n{% endif %}"),
    ]
    # the tags removed keep every line number (a quote names its source lines)
    for p in chunk_document(doc):
        for b in p.blocks:
            assert b.lines[0] <= b.lines[1]
    lines = src.split("\n")
    hint = next(b for b in doc.blocks if doc.text[b.start : b.end].startswith("Prefixes"))
    assert lines[hint.lines[0] - 1] == "Prefixes are limited to 5 characters."  # 1-based


def test_callouts_wiki_links_and_bracket_titles_read_as_the_page_shows_them():
    """GitHub shows ``> [!NOTE]`` as a coloured box, Obsidian ``> [!faq]- Title`` as a box under its title, docsify
    ``?> `` / ``!> `` as tip and warning paragraphs, Docusaurus ``:::tip[Pro tip]`` as a box titled "Pro tip", and
    Obsidian ``[[Page|text]]`` as a link reading "text": markers are not text a reader sees, titles are. The same
    syntax in code, a quote that starts with a citation bracket and a nested list in prose stay."""
    src = (
        "# Setup\n\n> [!NOTE]\n> The bot needs the Manage Roles permission.\n\n> [!warning]  \n> Never share "
        "your token.\n\n> [!faq]- Are callouts foldable?\n> Yes, with a minus sign.\n\n"
        "?> Prefixes are case-insensitive.\n\n!> Deleting the config cannot be undone.\n\n"
        ":::tip[Pro tip]\nUse slash commands.\n:::\n\n"
        "See [[Setting a prefix]] and [[guides/ban#Reasons|the ban guide]]. ![[diagram.png]]\n\n"
        "> [1] Smith, 2020.\n\nThe value [[1, 2]] is a nested list.\n\n"
        "```md\n> [!TIP]\n> Use a tip.\n?> docsify [[Page]]\n```\n"
    )
    doc = read_markdown("setup.md", src)
    assert blocks_of(doc) == [
        ("quote", "The bot needs the Manage Roles permission."),
        ("quote", "Never share your token."),
        ("quote", "Are callouts foldable?\nYes, with a minus sign."),
        ("paragraph", "Prefixes are case-insensitive."),
        ("paragraph", "Deleting the config cannot be undone."),
        ("paragraph", "Pro tip"),
        ("paragraph", "Use slash commands."),
        ("paragraph", "See Setting a prefix and the ban guide."),
        ("quote", "[1] Smith, 2020."),
        ("paragraph", "The value [[1, 2]] is a nested list."),
        ("code", "> [!TIP]\n> Use a tip.\n?> docsify [[Page]]"),
    ]
    note = doc.blocks[0]
    assert src.split("\n")[note.lines[0] - 1] == "> The bot needs the Manage Roles permission."


def test_table_of_contents_placeholders_go():
    """``[TOC]`` (Python-Markdown), ``[[_TOC_]]`` (GitLab) and kramdown's ``* TOC`` over ``{:toc}`` are replaced
    by the page's headings when the site is built: no text of the page. The same words in a sentence, another
    list item over an attribute line, and code stay."""
    src = (
        "# Rules\n\n* TOC\n{:toc}\n\n[TOC]\n\n[[_TOC_]]\n\n## Rule 1\n\nBe kind. Type [TOC] where the contents go.\n\n"
        "- Keep it short\n{: .note}\n\n```md\n* TOC\n{:toc}\n```\n"
    )
    doc = read_markdown("rules.md", src)
    assert blocks_of(doc) == [
        ("heading", "Rule 1"),
        ("paragraph", "Be kind. Type [TOC] where the contents go."),
        ("list_item", "- Keep it short"),
        ("code", "* TOC\n{:toc}"),
    ]
    rule = doc.blocks[0]
    assert src.split("\n")[rule.lines[0] - 1] == "## Rule 1"
