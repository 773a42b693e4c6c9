"""HTML inside Markdown: inline tags and components to their readable text, raw HTML blocks to blocks.

Decisions (generic, no site is named):
- Formatting tags keep their effect as style spans: ``<code>``/``<kbd>``/``<samp>``/``<tt>`` -> inline code,
  ``<b>``/``<strong>`` -> bold, ``<i>``/``<em>`` -> italics, ``<s>``/``<del>``/``<strike>`` -> strike-through.
  ``<br>`` is a line break. ``<a href>`` keeps its text and its address (a ``link`` span; no ``href``, or a
  ``javascript:`` one, leaves plain text). Every other tag disappears and its text stays (``<span class=…>New</span>`` -> New).
- ``<script>``, ``<style>``, ``<template>`` bodies, ``<svg>`` and HTML comments disappear.
- A self-closing component (a tag with a capital letter or a hyphen in its name, as Vue and MDX write them)
  becomes the readable name it would render: its ``text``/``label``/``title``/``name`` attribute, or its ``path``
  reduced to the name a docs link shows (``Client:Class`` -> ``Client``, ``Guild:Class#members`` ->
  ``Guild#members``), as inline code when it names code (``path``/``name``); with none of them it disappears.
- A component with children is transparent: its children's text stays.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser

from ..models import Style
from .base import DocBuilder, InlineText

_STYLE_TAGS: dict[str, Style] = {
    "code": "code",
    "kbd": "code",
    "samp": "code",
    "tt": "code",
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "s": "s",
    "del": "s",
    "strike": "s",
}
_HIDDEN = frozenset({"script", "style", "template", "svg", "noscript", "iframe", "object"})
_VOID = frozenset(
    {"br", "img", "hr", "input", "meta", "link", "wbr", "source", "col", "area", "base", "embed"}
)
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "pre",
        "blockquote",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "nav",
        "details",
        "summary",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
        "hr",
        "main",
        "center",
    ]
)
# A tag's attributes may quote a ">" (an address, a JSX expression): quoted values are read whole.
_TAG = re.compile(
    r"""<(/?)([A-Za-z][\w:.-]*)((?:\s+(?:"[^"]*"|'[^']*'|[^>"'])*?)?)\s*(/?)>|<!--.*?-->|</?>""", re.S
)
_ATTR = re.compile(r"""([\w:@.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_KIND_SUFFIX = re.compile(r":(?:Class|Interface|TypeAlias|Typedef|Function|Variable|Enum|Namespace)\b")


def is_component(name: str) -> bool:
    return any(c.isupper() for c in name) or "-" in name


def component_text(attrs: dict[str, str]) -> tuple[str, bool]:
    """(readable text, whether it names code) of a self-closing component."""
    for key in ("text", "label", "title"):
        if attrs.get(key, "").strip():
            return attrs[key].strip(), False
    for key in ("name", "path"):
        value = attrs.get(key, "").strip()
        if value:
            return _KIND_SUFFIX.sub("", value).strip(":/ "), True
    return "", False


def parse_attrs(raw: str) -> dict[str, str]:
    return {
        m.group(1).lower(): unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in _ATTR.finditer(raw)
    }


class InlineHtml:
    """Feeds the inline HTML tags of one Markdown paragraph into its `InlineText`, keeping state across tags
    (``<code>`` … text … ``</code>`` arrive as separate tokens)."""

    def __init__(self, out: InlineText) -> None:
        self.out = out
        self._styles: list[Style] = []
        self._hidden: list[str] = []

    def feed(self, html: str) -> None:
        pos = 0
        for m in _TAG.finditer(html):
            self._text(html[pos : m.start()])
            pos = m.end()
            if m.group(2) is None:  # a comment
                continue
            closing, name, raw_attrs, self_closing = m.group(1), m.group(2), m.group(3) or "", m.group(4)
            self.tag(name, parse_attrs(raw_attrs), closing=bool(closing), self_closing=bool(self_closing))
        self._text(html[pos:])

    def _text(self, text: str) -> None:
        if text and not self._hidden:
            self.out.add(unescape(text))

    def tag(self, name: str, attrs: dict[str, str], *, closing: bool, self_closing: bool) -> None:
        low = name.lower()
        if low in _HIDDEN:
            if closing:
                if self._hidden:
                    self._hidden.pop()
                    self.out.resume()
            elif not self_closing:
                self._hidden.append(low)
                self.out.suppress()
            return
        if low == "br" and not closing:
            self.out.hard_break()
            return
        if low == "a":
            if closing:
                self.out.close_link()
            elif not self_closing:
                self.out.open_link(attrs.get("href"))
            return
        style = _STYLE_TAGS.get(low)
        if style is not None:
            if closing:
                self.out.close(style)
            elif not self_closing:
                self.out.open(style)
            return
        if self_closing and is_component(name):
            text, code = component_text(attrs)
            if text:
                if code:
                    self.out.styled(text, "code")
                else:
                    self.out.add(text)


class _BlockParser(HTMLParser):
    """A raw HTML block (or a whole fragment) -> blocks of a `DocBuilder`."""

    def __init__(self, builder: DocBuilder, lines: tuple[int, int], inline_markdown=None) -> None:
        super().__init__(convert_charrefs=True)
        self.inline_markdown = inline_markdown
        self.b = builder
        self.lines = lines
        self.inline = InlineText()
        self.html = InlineHtml(self.inline)
        self.kind = "paragraph"
        self.level = 0
        self.list_depth = -1
        self.pre: list[str] | None = None
        self.pre_lang = ""
        self.components: set[str] = set()  # component tags (lower case) read as block boundaries

    # -- block boundaries -----------------------------------------------------------------------------
    def flush(self) -> None:
        text, styles = self.inline.finish()
        if text:
            if self.kind == "heading":
                self.b.heading(text, self.level, styles, lines=self.lines)
            else:
                self.b.add(self.kind, text, styles, level=max(self.list_depth, 0), lines=self.lines)
        self.inline = InlineText()
        self.html = InlineHtml(self.inline)
        self.kind, self.level = "paragraph", 0

    def handle_starttag(self, tag: str, attrs_list) -> None:
        attrs = {k.lower(): v or "" for k, v in attrs_list}
        self._start(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag: str, attrs_list) -> None:
        attrs = {k.lower(): v or "" for k, v in attrs_list}
        self._start(tag, attrs, self_closing=True)

    def _start(self, tag: str, attrs: dict[str, str], *, self_closing: bool) -> None:
        if self.pre is not None:
            if tag == "code" and not self.pre_lang:
                self.pre_lang = _lang_of(attrs)
            return
        raw_name = self.get_starttag_text() or tag
        m = re.match(r"<\s*([\w:.-]+)", raw_name)
        name = m.group(1) if m else tag
        if tag == "pre" and not self_closing:
            self.flush()
            self.pre, self.pre_lang = [], _lang_of(attrs)
            return
        if tag in ("ul", "ol") and not self_closing:
            self.flush()
            self.list_depth += 1
            return
        if tag in BLOCK_TAGS or (is_component(name) and not self_closing and "link" not in tag):
            self.flush()
            if tag not in BLOCK_TAGS:
                self.components.add(tag)
                label = next((attrs[k] for k in ("label", "title") if attrs.get(k, "").strip()), "")
                if label:  # a tab or panel shows its label above its content
                    self.b.add("paragraph", " ".join(label.split()), lines=self.lines)
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                self.kind, self.level = "heading", int(tag[1])
            elif tag == "li":
                self.kind = "list_item"
            elif tag == "blockquote":
                self.kind = "quote"
            return
        self.html.tag(name, attrs, closing=False, self_closing=self_closing or tag in _VOID)

    def handle_endtag(self, tag: str) -> None:
        if self.pre is not None:
            if tag == "pre":
                code = "".join(self.pre).strip("\n")
                self.pre = None
                if code.strip():
                    self.b.add("code", code, lang=self.pre_lang, lines=self.lines)
            return
        if tag in ("ul", "ol"):
            self.flush()
            self.list_depth = max(-1, self.list_depth - 1)
            return
        if tag in BLOCK_TAGS or tag in self.components:
            self.flush()
            return
        self.html.tag(tag, {}, closing=True, self_closing=False)

    def handle_data(self, data: str) -> None:
        if self.pre is not None:
            self.pre.append(data)
        elif not self.html._hidden:
            if self.inline_markdown is not None and data.strip():
                self.inline_markdown(data, self.inline)
            else:
                self.inline.add(data)

    def close(self) -> None:
        super().close()
        if self.pre is not None:
            code = "".join(self.pre).strip("\n")
            self.pre = None
            if code.strip():
                self.b.add("code", code, lang=self.pre_lang, lines=self.lines)
        self.flush()


def _lang_of(attrs: dict[str, str]) -> str:
    for cls in attrs.get("class", "").split():
        for prefix in ("language-", "lang-"):
            if cls.startswith(prefix):
                return cls[len(prefix) :]
    return attrs.get("data-lang", "")


def add_html_block(
    builder: DocBuilder, html: str, lines: tuple[int, int], inline_markdown: Callable | None = None
) -> None:
    """Read a raw HTML block into ``builder``'s blocks (comments and scripts vanish). ``inline_markdown``
    (text, InlineText), when given, reads the text between tags as inline Markdown."""
    parser = _BlockParser(builder, lines, inline_markdown)
    parser.feed(re.sub(r"</?>", "", html))  # JSX fragments
    parser.close()
