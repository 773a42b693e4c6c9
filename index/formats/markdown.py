"""Markdown and MDX pages -> `Document`, with markdown-it-py (CommonMark) and mdit-py-plugins.

- YAML front matter gives the title (``title``), ``description`` and the page address (``url``/``permalink``)
  and never enters the text. Without a front-matter title the first H1 is the title (and not a block).
- Headings are structure: each block knows the headings above it. ``{#custom-id}`` sets a heading's anchor.
- Paragraphs, list items (with their marker), block quotes and tables are text; inline formatting becomes
  style spans. Links keep their text and carry their address as a ``link`` span (an autolink is already its
  address: plain text); images disappear.
- Fenced and indented code is kept character for character with its language.
- Container fences (``::: tip`` … ``:::``) disappear and their bodies stay; kramdown attribute lines
  (``{: .class }``) disappear; inline HTML and components follow ``htmlfrag``.
- MDX ``import``/``export`` lines at the top level disappear.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import replace

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from ..models import Document
from .base import DocBuilder, InlineText, fallback_title
from .htmlfrag import InlineHtml, add_html_block
from .mdlayout import mdx_layout, site_syntax_layout, source_lines, tabs_layout

log = logging.getLogger(__name__)

SUFFIXES = (".md", ".markdown", ".mdx")

_ATTR = r"""(?:[#.][\w\-]+|[\w\-]+=(?:"[^"\n]*"|'[^'\n]*'|[^\s{}"']+))"""
# Attribute lists: kramdown ``{: …}``, and ``{#id .class key="value"}`` (Python-Markdown's attr_list, Pandoc)
_IAL = re.compile(r"\{:\s*[^}]*\}|\{\s*" + _ATTR + r"(?:\s+" + _ATTR + r")*\s*\}")
_ANCHOR = re.compile(r"\s*\{\s*#([\w\-]+)[^}]*\}\s*$")
_MDX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.S)
_STYLE_TOKENS = {"strong": "b", "em": "i", "s": "s"}


def _parser(*, mdx: bool = False) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    md.use(footnote_plugin)  # references [^1] disappear from the text; definitions are read where they stand
    md.use(
        admon_plugin
    )  # MkDocs / Python-Markdown admonitions: ``!!! note "Title"``, ``??? tip`` (collapsible)
    # Any ``::: name`` container (tip, warning, details, code-group, …): the fences go, the body stays.
    md.use(container_plugin, name="any", validate=lambda params, *args: True)
    if mdx:
        md.disable("code")  # MDX has no indented code: indentation inside components is layout
    return md


_MD = _parser()
_MDX = _parser(mdx=True)
_JSX_EXPRESSION = re.compile(r"\{[^{}\n]*\}")  # MDX {expressions} render values we cannot know
_STRAY_FENCE = re.compile(r":{3,}\s*\w*\s*")


def read_markdown(source: str, raw: str) -> Document | None:
    """The document of a Markdown/MDX page, or None when it has no readable text."""
    text = raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    mdx = source.lower().endswith(".mdx")
    text, toml_meta = _toml_front_matter(text, source)
    text = site_syntax_layout(text)
    line_map: list[int] | None = None
    if mdx:
        text, line_map = mdx_layout(_MDX_COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), text))
    else:
        text = tabs_layout(text)
    tokens = (_MDX if mdx else _MD).parse(text)
    meta: dict = toml_meta
    for tok in tokens:
        if tok.type == "front_matter":
            meta = _front_matter(tok.content, source)
    title = _meta_str(meta, "title")
    if title is not None:  # a title may use inline Markdown (`code`, *emphasis*): its text is the title
        title = _markdown_text(title)[0] or title
    b = DocBuilder(markup=True)
    reader = _Reader(b, mdx=mdx)
    reader.run(tokens, want_title=title is None, known_title=title or "")
    if title is None:
        title = reader.title
    if not b.blocks:
        return None
    url = _meta_str(meta, "url") or _meta_str(meta, "permalink") or None
    doc = b.document(
        source,
        " ".join((title or fallback_title(source)).split()),
        url=url,
        description=_meta_str(meta, "description") or "",
    )
    if line_map is None:
        return doc
    return replace(doc, blocks=tuple(replace(k, lines=source_lines(k.lines, line_map)) for k in doc.blocks))


_LANG = re.compile(r"[\w+#.-]+")


_CONTAINER_INFO = re.compile(r"^[\w-]+(?:\[(?P<bracket>[^\]]*)\])?(?:\s+(?P<rest>.*))?$")


def _container_title(info: str) -> str:
    """The title a container's author wrote: ``warning Read this first`` or ``tip[Pro tip]``; "" for none."""
    info = info.strip()
    m = _CONTAINER_INFO.match(info)
    if m is None:
        return info.split(None, 1)[1].strip() if len(info.split(None, 1)) == 2 else ""
    return (m.group("bracket") or m.group("rest") or "").strip()


def _lang(info: str) -> str:
    """The language of a fence's info string, without annotations: ``js:no-line-numbers`` -> ``js``,
    ``js{1,3}`` -> ``js``, ``{.python}`` -> ``python``, ``:no-line-numbers`` -> ``""``."""
    word = info.strip().split()[0] if info.strip() else ""
    word = word.lstrip("{.").split(":", 1)[0].split("{", 1)[0].split("[", 1)[0]
    m = _LANG.match(word)
    return m.group(0) if m else ""


_SENTENCE_INSIDE = re.compile(r"[.!?][\"')\]]?\s+\S")
_MAX_SETEXT_WORDS = 20
_MAX_ATX_WORDS = 30  # the longest FAQ question headings of the sites we read have 17-22 words


def _prose(text: str) -> bool:
    """Whether a ``---``-underlined "heading" is a paragraph whose author meant a rule under it (CommonMark reads
    it as a heading): it has several sentences, or more words than a heading has."""
    return bool(_SENTENCE_INSIDE.search(text)) or len(text.split()) > _MAX_SETEXT_WORDS


def _same_title(a: str, b: str) -> bool:
    a, b = " ".join(a.casefold().split()), " ".join(b.casefold().split())
    return bool(a and b) and (a == b or a in b or b in a)


def _front_matter(content: str, source: str) -> dict:
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        log.warning("%s: front matter is not valid YAML (%s); it is ignored", source, str(exc).split("\n")[0])
        return {}
    return data if isinstance(data, dict) else {}


_TOML_FENCE = "+++"


def _toml_front_matter(text: str, source: str) -> tuple[str, dict]:
    """Hugo's TOML front matter (between ``+++`` lines at the top): its fields, and the text with its lines left
    blank (every line keeps its number). Not valid TOML: ignored with a warning, and still not page text."""
    if not text.startswith(_TOML_FENCE + "\n"):
        return text, {}
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == _TOML_FENCE), None)
    if end is None:
        return text, {}
    try:
        meta = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as exc:
        log.warning("%s: front matter is not valid TOML (%s); it is ignored", source, exc)
        meta = {}
    return "\n" * end + "\n" + "\n".join(lines[end + 1 :]), meta


def _meta_str(meta: dict, key: str) -> str | None:
    value = meta.get(key)
    if isinstance(value, (str, int, float)) and str(value).strip():
        return " ".join(str(value).split())
    return None


def _lines(tok: Token) -> tuple[int, int]:
    if tok.map:
        return (tok.map[0] + 1, max(tok.map[0] + 1, tok.map[1]))
    return (0, 0)


def _code_lines(tok: Token, code: str, skipped: int = 0) -> tuple[int, int]:
    """The source lines of the code itself (not its fences, nor ``skipped`` empty lines at its top), so a cut
    piece can name its own lines."""
    if not tok.map:
        return (0, 0)
    first = tok.map[0] + (2 if tok.type == "fence" else 1) + skipped
    return (first, first + code.count("\n"))


class _Reader:
    """Walks the token stream, keeping list and quote nesting."""

    def __init__(self, builder: DocBuilder, *, mdx: bool = False) -> None:
        self.b = builder
        self.mdx = mdx
        self.title: str | None = None
        self.lists: list[list[int | str]] = []  # per open list: [next number or marker, items seen]
        self.item_paragraphs: list[int] = []  # paragraphs seen in each open list item
        self.quote_depth = 0
        self.admonition_titled = False
        self.tight_next = False

    def run(self, tokens: list[Token], *, want_title: bool, known_title: str = "") -> None:
        self.known_title = known_title
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            t = tok.type
            if t == "heading_open":
                inline = tokens[i + 1]
                text, styles = inline_text(inline.children or [], mdx=self.mdx)
                anchor = ""
                m = _ANCHOR.search(inline.content)
                if m:
                    anchor = m.group(1)
                level = int(tok.tag[1])
                if (tok.markup == "-" and _prose(text)) or (
                    len(text.split()) > _MAX_ATX_WORDS and _SENTENCE_INSIDE.search(text)
                ):
                    # a paragraph above a ``---`` rule, or a paragraph written after ``###`` (several sentences,
                    # over 30 words; a long API signature has no sentence break and stays a heading): read as the
                    # paragraph it is, so it never becomes a section path
                    self._paragraph(tok, inline)
                    i += 3
                    continue
                if (
                    level == 1
                    and not self.b.blocks
                    and self.title is None
                    and (want_title or _same_title(text, self.known_title))
                ):
                    self.title = text  # the page's title, not a section
                else:
                    self.b.heading(text, level, styles, lines=_lines(tok), anchor=anchor)
                i += 3
                continue
            if t == "paragraph_open":
                self._paragraph(tok, tokens[i + 1])
                i += 3
                continue
            if t == "admonition_open":
                # a title the author wrote (``!!! note "Python version"``) is content; a default one ("Note") is not
                self.admonition_titled = bool(re.search(r"""["'].*\S.*["']""", tok.info))
            elif t == "admonition_title_open":
                if self.admonition_titled:
                    self._paragraph(tok, tokens[i + 1])
                i += 3
                continue
            if t == "container_any_open" and (title := _container_title(tok.info)):
                # ``::: warning Read this first``, ``:::tip[Pro tip]`` (Docusaurus 3): the title the author wrote is
                # content (the fence is not)
                self._title_paragraph(tok, title)
            if t in ("fence", "code_block"):
                lang = _lang(tok.info)
                code = tok.content[:-1] if tok.content.endswith("\n") else tok.content
                # empty lines at the ends are no code (an include line the layout took out leaves one)
                skipped = len(code) - len(code.lstrip("\n"))
                code = code.strip("\n")
                self.b.add(
                    "code", code, lang=lang, lines=_code_lines(tok, code, skipped), level=len(self.lists)
                )
                self.tight_next = False
            elif t == "html_block":
                add_html_block(
                    self.b, tok.content, _lines(tok), inline_markdown=_MDX_INLINE if self.mdx else _MD_INLINE
                )
                self.tight_next = False
            elif t in ("bullet_list_open", "ordered_list_open"):
                start = int(tok.attrs.get("start", 1)) if t == "ordered_list_open" else tok.markup or "-"
                self.lists.append([start, 0])
            elif t in ("bullet_list_close", "ordered_list_close"):
                self.lists.pop()
                self.tight_next = bool(self.lists)  # back in the outer list: its next item follows tightly
            elif t == "list_item_open":
                self.item_paragraphs.append(0)
            elif t == "list_item_close":
                self.item_paragraphs.pop()
                self.lists[-1][1] = int(self.lists[-1][1]) + 1
            elif t == "blockquote_open":
                self.quote_depth += 1
            elif t == "blockquote_close":
                self.quote_depth -= 1
            elif t == "table_open":
                i = self._table(tokens, i)
                continue
            i += 1

    def _title_paragraph(self, open_tok: Token, title: str) -> None:
        text, styles = _markdown_text(title, mdx=self.mdx)
        if text.strip():
            self.b.add("paragraph", text, styles, lines=_lines(open_tok))
            self.tight_next = False

    def _paragraph(self, open_tok: Token, inline: Token) -> None:
        text, styles = inline_text(inline.children or [], mdx=self.mdx)
        if not text or _STRAY_FENCE.fullmatch(text):  # empty, or a container fence without its opener
            return
        lines = _lines(open_tok)
        if self.item_paragraphs:
            first = self.item_paragraphs[-1] == 0
            self.item_paragraphs[-1] += 1
            depth = len(self.lists) - 1
            indent = "  " * depth
            if first:
                kind_marker = self.lists[-1][0]
                marker = f"{kind_marker + int(self.lists[-1][1])}. " if isinstance(kind_marker, int) else "- "
            else:
                marker = "  "
            prefix = indent + marker
            styles = tuple(s.moved(s.start + len(prefix), s.end + len(prefix)) for s in styles)
            tight = first and self.tight_next
            self.b.add("list_item", prefix + text, styles, level=depth, lines=lines, tight=bool(tight))
            self.tight_next = True
            return
        kind = "quote" if self.quote_depth else "paragraph"
        self.b.add(kind, text, styles, lines=lines)
        self.tight_next = False

    def _table(self, tokens: list[Token], i: int) -> int:
        rows: list[str] = []
        cells: list[str] = []
        start = tokens[i]
        while i < len(tokens) and tokens[i].type != "table_close":
            tok = tokens[i]
            if tok.type == "tr_open":
                cells = []
            elif tok.type == "inline":
                cell, _ = inline_text(tok.children or [], mdx=self.mdx)
                cells.append(cell)
            elif tok.type == "tr_close" and any(cells):
                rows.append(" | ".join(cells))
            i += 1
        if rows:
            self.b.add("table", "\n".join(rows), lines=_lines(start))
        self.tight_next = False
        return i + 1


def _inline_markdown(text: str, out: InlineText, *, mdx: bool = False) -> None:
    """Text inside a raw HTML block of a Markdown page (a component's body) is Markdown too, as MDX and Vue
    read it: its inline code and emphasis become styles, not backticks and asterisks."""
    tokens = (_MDX if mdx else _MD).parseInline(text)
    children = tokens[0].children if tokens and tokens[0].children else []
    _inline_into(children, out, mdx=mdx)


def _markdown_text(text: str, *, mdx: bool = False) -> tuple[str, tuple]:
    """The readable text and style spans of a line of inline Markdown (a title, a container's title)."""
    out = InlineText()
    _inline_markdown(text, out, mdx=mdx)
    return out.finish()


def _MD_INLINE(text: str, out: InlineText) -> None:  # noqa: N802
    _inline_markdown(text, out)


def _MDX_INLINE(text: str, out: InlineText) -> None:  # noqa: N802
    _inline_markdown(text, out, mdx=True)


def inline_text(children: list[Token], *, mdx: bool = False) -> tuple[str, tuple]:
    """The readable text of an inline token's children and its style spans."""
    out = InlineText()
    _inline_into(children, out, mdx=mdx)
    return out.finish()


def _inline_into(children: list[Token], out: InlineText, *, mdx: bool = False) -> None:
    html = InlineHtml(out)
    for c in children:
        t = c.type
        if t == "text":
            if not html._hidden:
                text = _IAL.sub("", c.content)
                out.add(_JSX_EXPRESSION.sub("", text) if mdx else text)
        elif t == "code_inline":
            out.styled(c.content, "code")
        elif t == "softbreak":
            out.add(" ")
        elif t == "hardbreak":
            out.hard_break()
        elif t.endswith("_open") and t[:-5] in _STYLE_TOKENS:
            out.open(_STYLE_TOKENS[t[:-5]])
        elif t.endswith("_close") and t[:-6] in _STYLE_TOKENS:
            out.close(_STYLE_TOKENS[t[:-6]])
        elif t == "link_open":
            # An autolink (<https://…>) is its own address, already in the text: no link over it.
            out.open_link("" if c.markup == "autolink" else str(c.attrGet("href") or ""))
        elif t == "link_close":
            out.close_link()
        elif t == "html_inline":
            html.feed(c.content)
        # image: disappears
