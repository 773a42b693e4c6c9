"""Markdown source rewritten, line by line, before it is parsed: the syntax of site generators and MDX that a
CommonMark parser would read as text or code becomes what a reader of the built page sees.

- ``site_syntax_layout`` (Markdown and MDX; every line keeps its number): pymdown-extensions blocks
  (``/// note | Title`` … ``///``) become ``:::`` containers (the fences go, the title and body stay); include
  lines (``{* file *}``, ``--8<-- "file"``, ``{! file !}``) and mkdocstrings directives (``::: package.module``
  with their indented options) disappear, as do abbreviation definitions (``*[HTML]: …``) and template tags
  (``{% … %}``, Hugo's ``{{< … >}}``: a line of its own, or inside a prose line); icon shortcodes
  (``:material-clock-fast:``) go and ``==mark==``, ``^^insert^^`` and ``++ctrl+c++`` read as their text; a
  table-of-contents placeholder (``[TOC]``, ``[[_TOC_]]``, kramdown's ``* TOC`` over ``{:toc}``) goes; a
  callout's marker (GitHub's ``> [!NOTE]``, Obsidian's ``> [!faq]- Title``, docsify's ``?> ``/``!> ``) goes,
  its title and text stay; Obsidian wiki links read as their text (``[[Page|the page]]`` -> "the page") and its
  embeds (``![[diagram.png]]``) go.
- ``tabs_layout`` (Markdown): MkDocs content tabs read as their label and their dedented content.
- ``mdx_layout`` (MDX): imports and exports go; component tag lines stand alone so that what is between them
  reads as Markdown. Lines are added and removed, so it returns the source line of every line it returns.
Fenced code is never touched.
"""

from __future__ import annotations

import re
import textwrap

_FENCE_LINE = re.compile(r"^\s*(?:>\s*)*(`{3,}|~{3,})")  # a fence may stand in a block quote
_COMPONENT_LINE = re.compile(r"^\s*(?:<[A-Za-z][\w.-]*(?:\s[^<>]*)?/?>|</[A-Za-z][\w.-]*\s*>)\s*$")
# An ESM statement, not a sentence that starts with the word: "import Tabs from '…'", "import {", "import '…'",
# "export const …" (and not "import it with `import discord`, so that…", a prose line of a wrapped paragraph).
_ESM_START = re.compile(
    r"""^(?:import\s*(?:["'{*]|[A-Za-z_$][\w$]*\s*(?:,|from\b|$))"""
    r"""|export\s+(?:default|const|let|var|function|class|async)\b|export\s*[{*])"""
)
_IMPORT_END = re.compile(r"""(?:\bfrom\s*["'][^"']+["']|^\s*import\s*["'][^"']+["'])\s*;?\s*$""")
_TAB_LINE = re.compile(r"""^(?P<indent>[ \t]*)===[+!]?[ \t]+(?P<q>["'])(?P<label>.*)(?P=q)[ \t]*$""")

_BLOCK_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<slashes>/{3,})[ \t]*(?P<rest>.*)$")
_INCLUDE = re.compile(r"""^[ \t]*(?:\{\*.*\*\}|\{!.*!\}|-{1,2}8<-{1,2}[ \t]*(?:["'].*["'])?)[ \t]*$""")
_SNIPPET_FENCE = re.compile(r"^[ \t]*-{1,2}8<-{1,2}[ \t]*$")
# mkdocstrings (``::: package.module``, also under a heading: ``#### ::: package.obj``) and plugins of its kind
# (``::: mkdocs-click`` with indented ``:module: …`` options)
_API_DIRECTIVE = re.compile(r"^[ \t]*:::[ \t]+[A-Za-z_][\w]*(?:\.[\w]+)+[ \t]*$")
_API_HEADING = re.compile(
    r"^(?P<head>[ \t]*(?:>[ \t]*)*#{1,6}[ \t]+):::[ \t]+(?P<name>[A-Za-z_][\w.-]*)[ \t]*$"
)
_NAMED_DIRECTIVE = re.compile(r"^[ \t]*:::[ \t]+[A-Za-z_][\w.-]*[ \t]*$")
_OPTION_LINE = re.compile(r"^[ \t]+:?[A-Za-z_][\w-]*:(?:[ \t]|$)")
_REF_DEFINITION = re.compile(r"^ {0,3}\[([^\]]+)\]:")
_AUTOREF = re.compile(r"\[([^\[\]]+)\]\[([\w.:-]*)\]")
_ABBREVIATION = re.compile(r"^\*\[[^\]]+\]:")
# a template tag alone on its line: Liquid/Jinja/GitBook (``{% hint %}``, ``{# … #}``) and Hugo shortcodes
# (``{{< hint warning >}}``, ``{{% notice %}}``); the content between a pair of tags stays
_TEMPLATE_LINE = re.compile(r"^[ \t]*(?:\{%.*%\}|\{#.*#\}|\{\{[<%].*[>%]\}\})[ \t]*$")
# the same tags inside a prose line (``… {% include "lang.md" %}``, ``[Setup]({{< ref "setup" >}})``); a Jinja
# expression (``{{ site.title }}``) may be text a reader sees, and stays
_TEMPLATE_TAG = re.compile(r"\{%.{0,300}?%\}|\{\{[<%].{0,300}?[>%]\}\}")
# a callout's marker (GitHub's ``> [!NOTE]``, Obsidian's ``> [!faq]- Title``): the page shows a coloured box with
# its title, not the marker; the title the author wrote and the quote's body stay. Docsify's callout paragraphs
# (``?> tip``, ``!> warning``) the same: the marker goes, the text stays.
_CALLOUT = re.compile(r"^(?P<quote>[ \t]*(?:>[ \t]*)+)\[![A-Za-z][\w-]*\][+-]?(?:[ \t]+|$)")
_DOCSIFY_CALLOUT = re.compile(r"^(?P<indent>[ \t]{0,3})[?!]>[ \t]+(?=\S)")
# Obsidian wiki links: ``[[Page]]``, ``[[Page#Heading|shown text]]``, embeds ``![[diagram.png]]``; only when the
# target has a letter (``[[1, 2]]`` in prose is a nested list)
_WIKI_LINK = re.compile(r"(!?)\[\[([^\[\]|\n]*[A-Za-z][^\[\]|\n]*)(?:\|([^\[\]\n]*))?\]\]")


def _wiki_text(m: re.Match[str]) -> str:
    if m.group(1):
        return ""  # an embedded file or note: not text of this page
    return (m.group(3) if m.group(3) is not None else m.group(2)).strip()


# a table-of-contents placeholder the generator replaces with the page's headings: Python-Markdown's ``[TOC]``,
# GitLab's ``[[_TOC_]]``, markdown-it's ``[[toc]]``/``${toc}``; kramdown's is a list item over ``{:toc}``
_TOC_MARKER = re.compile(r"^[ \t]*(?:\[TOC\]|\[\[_?TOC_?\]\]|\$\{toc\})[ \t]*$", re.I)
_KRAMDOWN_TOC = re.compile(r"^[ \t]*\{:[ \t]*toc[ \t]*\}[ \t]*$", re.I)
_LIST_ITEM_LINE = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
_ICON = re.compile(r":(?:material|octicons|fontawesome|simple|twemoji)-[\w-]+:")
# ``==mark==``, ``^^insert^^``, ``++ctrl+c++``, standing as words (never ``x==1 and y==2``)
_MARKS = re.compile(
    r"(?<![\w=^+])(==|\^\^)(?=\S)(.{1,200}?)(?<=\S)\1(?![\w=^])|(?<![\w+])\+\+([a-z0-9]+(?:\+[a-z0-9-]+)*)\+\+(?![\w+])"
)


def fence_after(fence: str | None, line: str) -> tuple[str | None, bool]:
    """Fenced code over source lines: the fence still open after ``line`` (given the one open before it), and
    whether ``line`` belongs to fenced code (its opening and closing lines included)."""
    m = _FENCE_LINE.match(line)
    if fence is not None:
        closes = (
            m is not None
            and m.group(1)[0] == fence[0]
            and len(m.group(1)) >= len(fence)
            and not line[m.start(1) :].strip().strip(fence[0])
        )
        return (None if closes else fence), True
    return (m.group(1), True) if m else (None, False)


_CODE_SPAN = re.compile(r"(`+)(?:(?!`).|`(?!\1))*?\1(?!`)")  # a code span: equal runs of backticks
# a line longer than this is prose or data, never site syntax (keeps the rules linear)
SYNTAX_LINE_CHARS = 2000


def _open_ticks(line: str, open_run: int) -> int:
    """The length of the backtick run of a code span still open after ``line`` (0: none), given the one open
    before it: CommonMark code spans may continue on the next line of a paragraph."""
    for run in re.findall(r"`+", line):
        if not open_run:
            open_run = len(run)
        elif len(run) == open_run:
            open_run = 0
    return open_run


def _inline_marks(line: str, defined: set[str], code_like: bool) -> str:
    """Outside inline code spans: icon shortcodes out; unless the line may be code (``code_like``), ``==x==`` /
    ``^^x^^`` / ``++x++`` as ``x`` and an autorefs cross-reference whose target is not defined on the page
    (``[File][mkdocs.structure.files.File]``, ``[`mkdocs.Plugin`][]``) as its text, and template tags out
    (``{% include "x.md" %}``, ``{{< ref "x" >}}``). Every code span of the line closes on it (a line that leaves
    one open is not given here)."""

    def autoref(m: re.Match[str]) -> str:
        target = (m.group(2) or m.group(1).strip("`")).casefold()
        if target in defined or not re.fullmatch(r"[\w-]+(?:[.:][\w-]+)+", target):
            return m.group(0)
        return m.group(1)

    out, pos = [], 0
    for m in [*_CODE_SPAN.finditer(line), None]:
        a, b = (m.start(), m.end()) if m else (len(line), len(line))
        part = _ICON.sub("", line[pos:a])
        if not code_like:
            part = _MARKS.sub(lambda x: x.group(2) or x.group(3), part)
            part = _TEMPLATE_TAG.sub("", part) if "{" in part else part
            part = _WIKI_LINK.sub(_wiki_text, part) if "[[" in part else part
        out += [part, line[a:b]]
        pos = b
    text = "".join(out)
    return text if code_like or "][" not in text else _AUTOREF.sub(autoref, text)


def _snippet_block_end(lines: list[str], i: int) -> int | None:
    """The closing line of a ``--8<--`` block opened at ``i`` (file names one per line, then ``--8<--``)."""
    for j in range(i + 1, min(len(lines), i + 60)):
        if _SNIPPET_FENCE.match(lines[j]):
            return j
        if not lines[j].strip():
            return None
    return None


# in a block quote or a list item too (``> ###\u00a0x``, ``- ##\u00a0x``)
_NBSP_HEADING = re.compile(r"^((?:[ \t]*>)*[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?#{1,6})\u00a0")


def site_syntax_layout(text: str) -> str:
    """See the module docstring; the result has as many lines as ``text``."""
    lines = text.split("\n")
    defined = {m.group(1).casefold() for line in lines if (m := _REF_DEFINITION.match(line))}
    fence: str | None = None
    skip_indented = False  # inside the indented options of a block header or an API directive
    blank_until = -1  # the last line of a ``--8<--`` block being removed
    ticks = 0  # the backtick run of an inline code span left open by the lines before (0: none)
    for i, line in enumerate(lines):
        fence, in_code = fence_after(fence, line)
        if in_code:
            skip_indented, ticks = False, 0
            if fence is not None and _INCLUDE.match(line[:SYNTAX_LINE_CHARS]) and not _FENCE_LINE.match(line):
                lines[i] = ""  # ``{!> file.py !}`` in a fence: the generator puts the file there, we cannot
            continue
        if i <= blank_until:
            lines[i] = ""
            continue
        if not line.strip():
            skip_indented, ticks = False, 0
            continue
        code_like = line.startswith(("    ", "\t"))  # perhaps an indented code block: only sure rules apply
        if skip_indented and line[:1] in (" ", "\t"):
            lines[i] = ""
            continue
        skip_indented = False
        if ticks or len(line) > SYNTAX_LINE_CHARS:  # inside a code span that began on a line above; or data
            ticks = _open_ticks(line, ticks)
            continue
        ticks = _open_ticks(line, 0)
        block = None if code_like else _BLOCK_FENCE.match(line)
        rest = block.group("rest").rstrip() if block else ""
        if block and (not rest or re.match(r"[A-Za-z][\w-]*(\s*\|.*)?$", rest)):
            kind, _, title = rest.partition("|")
            colons = ":" * len(block.group("slashes"))
            head = f"{kind.strip()} {title.strip()}".strip()
            lines[i] = (
                f"{block.group('indent')}{colons} {head}" if head else f"{block.group('indent')}{colons}"
            )
            skip_indented = bool(head)  # a header's options (``    type: warning``) follow it, indented
            continue
        if not code_like:
            # ``###\u00a0Text`` (a no-break space pasted from a rich editor): Python-Markdown and most site
            # generators render a heading; CommonMark wants a plain space. Same length, so offsets stay true.
            line = lines[i] = _NBSP_HEADING.sub(r"\1 ", line, count=1)
            if callout := _CALLOUT.match(line):
                title = line[callout.end() :].rstrip()
                # the title on a line of its own (a hard break), as the box shows it above its text
                line = lines[i] = (
                    f"{callout.group('quote')}{title}  " if title else callout.group("quote").rstrip()
                )
            elif callout := _DOCSIFY_CALLOUT.match(line):
                line = lines[i] = callout.group("indent") + line[callout.end() :]
        following = lines[i + 1] if i + 1 < len(lines) else ""
        heading = _API_HEADING.match(line)
        if not code_like and _SNIPPET_FENCE.match(line):
            end = _snippet_block_end(lines, i)
            lines[i] = ""
            blank_until = end if end is not None else i
        elif _INCLUDE.match(line) or (
            not code_like
            and (_ABBREVIATION.match(line) or _TEMPLATE_LINE.match(line) or _TOC_MARKER.match(line))
        ):
            lines[i] = ""
        elif not code_like and _KRAMDOWN_TOC.match(line):
            lines[i] = ""  # ``{:toc}``: the list item above it is where the table of contents goes
            if i > 0 and _LIST_ITEM_LINE.match(lines[i - 1]):
                lines[i - 1] = ""
        elif heading:  # the heading mkdocstrings renders: the object's name
            lines[i] = heading.group("head") + heading.group("name")
            skip_indented = True
        elif not code_like and (
            _API_DIRECTIVE.match(line) or (_NAMED_DIRECTIVE.match(line) and _OPTION_LINE.match(following))
        ):
            lines[i] = ""
            skip_indented = True
        elif not ticks and ("`" in line or any(c in line for c in ":=^+]{")):
            lines[i] = _inline_marks(line, defined, code_like)
    return "\n".join(lines)


def mdx_layout(text: str) -> tuple[str, list[int]]:
    """MDX reads Markdown differently from CommonMark in two ways that matter here: top-level ``import``/``export``
    statements are code (they may span lines), and indentation inside JSX elements is layout, not code.
    So: imports and exports go (an ESM statement at the start of a block; a prose line that begins with the word
    "import" stays); the lines between element tags that stand alone on their line (``<TabItem …>``,
    ``</Tabs>``, ``<details>``) lose their common indentation and the tag lines stand alone between blank lines,
    so the content reads as Markdown. Returns the text and, for each of its lines, the 0-based source line."""
    lines = text.split("\n")
    out: list[str] = []
    where: list[int] = []
    run: list[str] = []
    run_at: list[int] = []
    fence: str | None = None
    i = 0

    def flush_run() -> None:
        out.extend(textwrap.dedent("\n".join(run)).split("\n") if run else [])
        where.extend(run_at)
        run.clear()
        run_at.clear()

    def add_run(line: str, at: int) -> None:
        run.append(line)
        run_at.append(at)

    esm_before = False  # the line before was an import or export statement
    while i < len(lines):
        line = lines[i]
        fence, in_code = fence_after(fence, line)
        if in_code:
            add_run(line, i)
        elif _ESM_START.match(line) and (i == 0 or esm_before or lines[i - 1].strip() in ("", "---")):
            j = i  # an import may span lines ("import {", names, "} from '…'"), never a blank one
            if line.startswith("import") and not _IMPORT_END.search(line[:SYNTAX_LINE_CHARS]):
                while (
                    j + 1 < len(lines)
                    and j - i < 40
                    and lines[j + 1].strip()
                    and not _IMPORT_END.search(lines[j][:SYNTAX_LINE_CHARS])
                ):
                    j += 1
            i = j + 1
            esm_before = True
            continue
        elif _COMPONENT_LINE.match(line):
            flush_run()
            out.extend(["", line.strip(), ""])
            where.extend([i, i, i])
        else:
            add_run(line, i)
        esm_before = False
        i += 1
    flush_run()
    return "\n".join(out), where


def source_lines(lines: tuple[int, int], where: list[int]) -> tuple[int, int]:
    """1-based lines ``(first, last)`` of a rewritten text as lines of its source (``where`` from ``mdx_layout``)."""
    if lines == (0, 0) or not where:
        return lines
    first, last = (min(max(n, 1), len(where)) for n in lines)
    return where[first - 1] + 1, where[last - 1] + 1


def tabs_layout(text: str) -> str:
    """MkDocs content tabs (``=== "Linux"`` with the tab's content indented under it) read as their label on a
    line of its own and the content dedented by one level, so that it is Markdown again and not an indented
    code block. Lines keep their numbers; fenced code is left alone."""
    lines = text.split("\n")
    fence: str | None = None
    for i in range(len(lines)):  # lines[i] is read as it stands now: a tab's dedented content may hold tabs
        fence, in_code = fence_after(fence, lines[i])
        tab = None if in_code else _TAB_LINE.match(lines[i])
        if tab is None:
            continue
        indent = tab.group("indent")
        lines[i] = indent + tab.group("label")
        body = (indent + "    ", indent + "\t")
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j].startswith(body)):
            if lines[j].strip():
                cut = body[0] if lines[j].startswith(body[0]) else body[1]
                lines[j] = indent + lines[j][len(cut) :]
            j += 1
    return "\n".join(lines)
