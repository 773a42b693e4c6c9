"""HTML pages -> `Document`: trafilatura finds the main content (dropping navigation, cookie banners, share
buttons, related links and footers) and returns it as structured XML, whose headings, paragraphs, lists,
tables, quotes and code become blocks. The title comes from the page's metadata (``<title>``, Open Graph),
the address from its canonical link. Code languages and heading ids, which the extraction drops, are taken
back from the original page where the code text or heading text matches; so are links' own addresses (the
extraction joins relative ones to the site's root). Links keep their text and address (``link`` spans)."""

from __future__ import annotations

import logging
import re
from html import unescape
from urllib.parse import unquote, urlsplit

import lxml.etree as etree
import lxml.html

from ..models import Document, StyleSpan
from .base import DocBuilder, InlineText, fallback_title, slugify
from .htmlfrag import BLOCK_TAGS

log = logging.getLogger(__name__)
# trafilatura logs its own parse failures at ERROR; quotebot reports what it skips, naming the file.
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)

SUFFIXES = (".html", ".htm")

_HI_STYLES = {"#b": "b", "#i": "i", "#u": "i", "#t": "code", "#sub": None, "#sup": None}
# ids that are the page's chrome itself, kept for the extractor to drop
_CHROME_ID = re.compile(
    r"^(?:cookie[-_]?(?:banner|consent|notice|bar)|(?:site|page)?[-_]?(?:header|footer|nav)|sidebar)$", re.I
)
_PERMALINK_MARKS = "\u00b6\u00a7\U0001f517"  # ¶ § 🔗
_SITE_SUFFIX = re.compile(r"\s+[|\u2013\u2014\u00b7-]\s+[^|\u2013\u2014\u00b7]{2,40}$")


def read_html(source: str, raw: str) -> Document | None:
    # Image tags go before parsing: a parser repairs a malformed <picture> by moving what follows it out of
    # the article.
    page = _IMAGE_TAGS.sub("", raw)
    tree = _parse(page)
    hints = _hints(tree)  # read before the repairs, from the one parse of the page
    root = _extract(_repaired(tree) if tree is not None else page)
    if root is None:
        return _fallback(source, raw)
    b = DocBuilder(markup=True)
    body = root.find("main")
    if body is None:
        body = root
    title_attr = (root.get("title") or "").strip().rstrip(_PERMALINK_MARKS).rstrip()
    walker = _Walker(b, hints, title_attr)
    walker.children(body)
    if not b.blocks:
        return None
    title = (title_attr or walker.h1 or "").rstrip().rstrip(_PERMALINK_MARKS).rstrip()
    if walker.h1 and title.startswith(walker.h1) and not any(c.isalnum() for c in title[len(walker.h1) :]):
        title = walker.h1  # the extractor's title is the H1 with its permalink mark ("Deploying your docs¶")
    url = _page_url(source, (root.get("url") or "").strip() or hints.canonical or "")
    return b.document(
        source,
        " ".join(title.split()) or fallback_title(source),
        url=url,
        description=" ".join((root.get("description") or "").split()),
    )


_EXTRACT = dict(
    output_format="xml",
    include_formatting=True,
    include_tables=True,
    include_links=True,
    include_images=False,
    include_comments=False,
    with_metadata=True,
    favor_precision=False,
    deduplicate=False,
)
# trafilatura's own floor: a main text shorter than this is replaced by its "baseline", the page's text as one
# flat paragraph (headings, lists and code run together)
_SHORT_TEXT = 250
_KEPT = 0.9  # the share of the flat text a structured extraction of a short page must keep
_config = None


def _extract(page: str):
    """trafilatura's XML of the main content, parsed, or None for the page's own reading (``_fallback``). A short
    page (a rules page, a small FAQ, an index of pages) is extracted again without trafilatura's floor on the main
    text, which keeps its headings, lists and code. When that lost some of the text (the extractor took part of the
    content for boilerplate, as it does a list of links), the page's own structure is read instead."""
    import trafilatura

    root = _parsed(trafilatura.extract(page, **_EXTRACT))
    if root is None or len(_text_of(root)) >= _SHORT_TEXT:
        return root
    structured = _parsed(trafilatura.extract(page, config=_short_page_config(), **_EXTRACT))
    if structured is not None and len(_text_of(structured)) >= _KEPT * len(_text_of(root)):
        return structured
    return None


def _short_page_config():
    global _config
    if _config is None:
        from trafilatura.settings import use_config

        config = use_config()
        config.set("DEFAULT", "min_extracted_size", "1")
        _config = config
    return _config


def _parsed(xml: str | None):
    """The extractor's XML as an element tree; None for none (or, never seen, XML that does not parse)."""
    if not xml:
        return None
    try:
        return etree.fromstring(xml.encode("utf-8"))
    except etree.XMLSyntaxError:
        return None


def _text_of(root) -> str:
    main = root.find("main")
    return " ".join("".join((main if main is not None else root).itertext()).split())


# Block-level elements: a <div> holding none of them is a paragraph to its readers.
_BLOCK_TAGS = BLOCK_TAGS | {"address", "dialog", "fieldset", "form"}


_IMAGE_TAGS = re.compile(r"</?(?:img|source|picture)\b[^>]*>", re.I)


def _parse(page: str):
    """The page's element tree, or None when it cannot be parsed."""
    try:
        tree = lxml.html.fromstring(page)
    except (etree.ParserError, ValueError):
        return None
    return tree if isinstance(tree.tag, str) else None


def _repaired(tree) -> str:
    """The page for extraction: its main landmark alone when it has one; repaired (generic; measured on a real
    docs site, with the image tags gone, the article text lost fell from 6.3% to 0.8%): text written straight into a ``<div>`` (callouts, notes, cards),
    which the extractor drops, becomes paragraphs: the div itself when it holds no block element, else each run
    of text between its blocks."""
    for el in tree.iter("section", "article", "dl", "dt", "dd", "span", "div", "li", "table"):
        # the extractor drops an element whose id looks like chrome ("cookie", "author", "menu", "related"), and
        # documentation generators build ids from headings and object names: the "Cookies" section of a page
        # about HTTP, ``Request.authorization``. Ids of headings were read into the hints before.
        if "id" in el.attrib and not _CHROME_ID.search(el.get("id") or ""):
            del el.attrib["id"]
    landmarks = tree.xpath("//main | //*[@role='main']")
    outer = [m for m in landmarks if not any(a in landmarks for a in m.iterancestors())]
    body = tree.find("body")
    main = outer[0] if len(outer) == 1 else None
    main_text = len(main.text_content().split()) if main is not None else 0
    rivals = [
        a for a in tree.iter("article") if a is not main and not any(x is main for x in a.iterancestors())
    ]
    bigger = any(len(a.text_content().split()) > main_text for a in rivals)
    if main is not None and body is not None and main is not body and main_text and not bigger:
        # the page says where its content is (``<main>``, ``role="main"``; not when an <article> outside it holds
        # more): only that is read, so a short page cannot bring its sidebar or footer along (the extractor keeps
        # them when the article is short)
        for child in list(body):
            body.remove(child)
        body.text = None
        body.append(main)
    for title in tree.xpath("//p[contains(concat(' ', normalize-space(@class), ' '), ' admonition-title ')]"):
        # a note's title ("Note", "Warning"), bold on the page: a bold line stays with the body under it
        bold = lxml.html.Element("b")
        bold.text, title.text = title.text, None
        for child in list(title):
            bold.append(child)
        title.append(bold)
    for div in list(tree.iter("div")):
        if not ((div.text or "").strip() or any((c.tail or "").strip() for c in div)):
            continue
        if not any(_is_block(d) for d in div.iterdescendants()):
            div.tag = "p"
        else:
            _wrap_text_runs(div)
    return lxml.html.tostring(tree, encoding="unicode")


def _is_block(el) -> bool:
    return isinstance(el.tag, str) and el.tag in _BLOCK_TAGS


def _wrap_text_runs(div) -> None:
    """Each run of text and inline elements written straight into ``div`` (between its block children) becomes
    a ``<p>`` of its own; the block children stay where they are."""
    children = list(div)
    text, div.text = div.text, None
    for child in children:
        div.remove(child)  # an element keeps its tail
    nodes: list = []
    run = None

    def paragraph():
        nonlocal run
        if run is None:
            run = lxml.html.Element("p")
            nodes.append(run)
        return run

    if text and text.strip():
        paragraph().text = text
    for child in children:
        if _is_block(child):
            run = None
            tail, child.tail = child.tail, None
            nodes.append(child)
            if tail and tail.strip():
                paragraph().text = tail
        else:
            paragraph().append(child)
    for node in nodes:
        div.append(node)


def _page_url(source: str, url: str) -> str | None:
    """The page's own address: a canonical address that is its site's home page is not the address of a page
    that is not one (sites that point every page's canonical link at their home page exist)."""
    if not url:
        return None
    parts = urlsplit(url)
    home = parts.path.strip("/") == "" and not parts.query and not parts.fragment
    home_page = "/" not in source and source.lower().startswith("index.")  # the corpus's own index.html
    return None if home and not home_page else url


_CHROME_TAGS = re.compile(
    r"<(nav|header|footer|aside|form|button|script|style|noscript|template|svg)\b.*?</\1\s*>", re.S | re.I
)


def _fallback(source: str, raw: str) -> Document | None:
    """A fragment or a page the extractor finds no article in: its text, minus obvious chrome elements."""
    from .htmlfrag import add_html_block

    b = DocBuilder(markup=True)
    title_m = re.search(r"<title[^>]*>(.*?)</title>", raw, re.S | re.I)
    body = re.sub(r"<head\b.*?</head\s*>", "", raw, flags=re.S | re.I)
    tree = _parse(raw)
    main = None
    if tree is not None:  # a page that says where its content is: that, not its sidebar and footer
        found = tree.xpath("//*[@role='main'] | //main | //article")
        main = found[0] if found else None
    if main is not None:
        body = lxml.html.tostring(main, encoding="unicode")
    add_html_block(b, _CHROME_TAGS.sub("", body), (0, 0))
    if not b.blocks:
        return None
    title = " ".join(unescape(title_m.group(1)).split()).rstrip(_PERMALINK_MARKS).rstrip() if title_m else ""
    return b.document(source, title or fallback_title(source))


class _Hints:
    def __init__(self) -> None:
        self.code_lang: dict[str, str] = {}
        self.code_text: dict[
            str, str
        ] = {}  # the page's own <pre> text (the extraction may alter white space)
        self.heading_id: dict[str, str] = {}
        self.canonical: str | None = None
        self.hrefs: dict[str, list[str]] = {}  # a link's text -> the page's own hrefs of links with that text
        self.list_start: dict[str, int] = {}  # an ordered list's first item text -> its start number

    def href(self, text: str, target: str) -> str:
        """The page's own address of the link ``text`` that the extraction wrote as ``target``: trafilatura
        joins a relative address to the site's root (``#part`` -> ``https://host#part``), which loses the page
        it is relative to; the original is resolved later against the page's own address."""
        candidates = self.hrefs.get(_norm(text), [])
        for n, own in enumerate(candidates):
            if unquote(own) == unquote(target) or (
                not urlsplit(own).scheme and unquote(target).endswith(unquote(own).lstrip("./"))
            ):
                return candidates.pop(n)
        return target


def _norm(text: str) -> str:
    return " ".join(text.split())


def _hints(tree) -> _Hints:
    hints = _Hints()
    if tree is None:
        return hints
    for pre in tree.iter("pre"):
        lang = ""
        for el in [pre, *pre.iter("code")]:
            for cls in (el.get("class") or "").split():
                if cls.startswith(("language-", "lang-")):
                    lang = cls.split("-", 1)[1]
        for el in list(pre.iterancestors())[:3] if not lang else ():  # Sphinx: <div class="highlight-python">
            for cls in (el.get("class") or "").split():
                if cls.startswith("highlight-") and cls[10:] not in ("default", "none", "text", ""):
                    lang = lang or cls[10:]
        original = pre.text_content()
        hints.code_text[_norm(original)] = original.strip("\n")
        if lang:
            hints.code_lang[_norm(original)] = lang
    for level in range(1, 7):
        for h in tree.iter(f"h{level}"):
            hid = (
                h.get("id")
                or next((a.get("id") for a in h.iter("a") if a.get("id")), None)
                or next(
                    (a.get("href")[1:] for a in h.iter("a") if (a.get("href") or "").startswith("#")), None
                )
                or (
                    h.getparent().get("id")
                    if h.getparent() is not None and h.getparent().tag in ("section", "div")
                    else None
                )
            )
            if hid:
                hints.heading_id[_norm(h.text_content())] = hid
    for a in tree.iter("a"):
        if a.get("href"):
            hints.hrefs.setdefault(_norm(a.text_content()), []).append(a.get("href").strip())
    for ol in tree.iter("ol"):
        start = (ol.get("start") or "").strip()
        first = next((li for li in ol if li.tag == "li"), None)
        if start.lstrip("-").isdigit() and first is not None:
            hints.list_start[_norm(first.text_content())] = int(start)
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            hints.canonical = link.get("href")
    return hints


def _cut(text: str, styles: tuple, a: int, b: int) -> tuple[str, tuple]:
    """``text`` without ``text[a:b]`` (and the white space left at its ends), its style spans moved to match."""
    out = text[:a] + text[b:]
    kept = []
    for x in styles:
        if x.end <= a:
            kept.append(x)
        elif x.start >= b:
            kept.append(x.moved(x.start - (b - a), x.end - (b - a)))
    lead = len(out) - len(out.lstrip())
    out = out.strip()
    return out, tuple(x.moved(x.start - lead, min(x.end - lead, len(out))) for x in kept if x.end - lead > 0)


def _without_permalinks(text: str, styles: tuple) -> tuple[str, tuple]:
    """A heading's or an API entry's text and styles without its permalink: a link to an anchor inside it is the
    element itself, not a reference; when it is a mark ("¶", "#", "🔗") it is no part of the text either."""
    permalinks = [x for x in styles if x.style == "link" and x.href.startswith("#")]
    styles = tuple(x for x in styles if x not in permalinks)
    for x in sorted(permalinks, key=lambda x: -x.start):
        if not any(c.isalnum() for c in text[x.start : x.end]):
            text, styles = _cut(text, styles, x.start, x.end)
    return text, styles


class _Walker:
    def __init__(self, builder: DocBuilder, hints: _Hints, title: str) -> None:
        self.b = builder
        self.hints = hints
        self.title = _norm(title)
        self.h1: str | None = None
        self.depth = -1

    def children(self, el) -> None:
        for child in el:
            self.block(child)

    def block(self, el) -> None:
        tag = el.tag
        if tag == "head":
            text, styles = _without_permalinks(*self.inline(el))
            rend = el.get("rend") or ""
            if not (len(rend) == 2 and rend[1].isdigit()):  # a <summary>, a caption: a line, not a section
                self.b.add("paragraph", text, styles)
                return
            level = int(rend[1])
            if level == 1 and self.h1 is None:
                self.h1 = text
                if not self.title or _norm(text) == self.title or self.title.startswith(_norm(text)):
                    return  # the page title: not a block
            self.b.heading(text, level, styles, anchor=self.hints.heading_id.get(_norm(text), ""))
        elif tag == "p":
            text, styles = self.inline(el)
            self.b.add("paragraph", text, styles)
        elif tag == "code":
            code = "".join(el.itertext()).strip("\n")
            key = _norm(code)
            self.b.add("code", self.hints.code_text.get(key, code), lang=self.hints.code_lang.get(key, ""))
        elif tag == "list":
            self.depth += 1
            ordered = (el.get("rend") or "") == "ol"
            n = 0
            if (
                ordered
            ):  # the extraction drops <ol start>: the page's own first number, found by the first item
                first_item = next((i for i in el if i.tag == "item"), None)
                if first_item is not None:
                    n = self.hints.list_start.get(_norm("".join(first_item.itertext())), 1) - 1
            first = True
            definitions = (el.get("rend") or "") == "dl"
            for item in el:
                if item.tag != "item":
                    continue
                if definitions:  # an API entry or a glossary: the term a bold line, its description blocks
                    self._definition(item)
                    continue
                n += 1
                marker = f"{n}. " if ordered else "- "
                blocks = [c for c in item if self._is_block(c)]
                text, styles = self.inline(item, skip=("list",), skip_elements=blocks)
                if not text and blocks and blocks[0].tag == "p":  # the item's first paragraph is its line
                    text, styles = self.inline(blocks.pop(0))
                if text:
                    prefix = "  " * self.depth + marker
                    styles = tuple(s.moved(s.start + len(prefix), s.end + len(prefix)) for s in styles)
                    self.b.add("list_item", prefix + text, styles, level=self.depth, tight=not first)
                    first = False
                for sub in item:
                    if sub.tag == "list" or sub in blocks:
                        self.block(sub)
                        first = False
            self.depth -= 1
        elif tag == "table":
            rows = []
            for row in el.iter("row"):
                cells = [_norm("".join(c.itertext())) for c in row if c.tag == "cell"]
                if any(cells):
                    rows.append(" | ".join(cells))
            if rows:
                self.b.add("table", "\n".join(rows))
        elif tag == "quote":
            key = _norm("".join(el.itertext()))
            if key and key in self.hints.code_text and not any(c.tag in ("p", "list", "head") for c in el):
                # a <pre> the extraction turned into a quote (inside a list item): the page's own code
                self.b.add("code", self.hints.code_text[key], lang=self.hints.code_lang.get(key, ""))
                return
            if any(c.tag in ("p", "list", "code", "head") for c in el):
                for child in el:
                    if child.tag == "p":
                        text, styles = self.inline(child)
                        self.b.add("quote", text, styles)
                    else:
                        self.block(child)
            else:
                text, styles = self.inline(el)
                self.b.add("quote", text, styles)
        elif tag in ("div", "main", "section"):
            self.children(el)

    def _definition(self, item) -> None:
        """One item of a definition list: a term (``dt``) is a bold line without its permalink mark; a
        description (``dd``) is read as the blocks it holds."""
        blocks = [c for c in item if self._is_block(c)]
        if (item.get("rend") or "").startswith("dt"):
            text, styles = _without_permalinks(*self.inline(item, skip=("list",), skip_elements=blocks))
            if text:
                self.b.add("paragraph", text, (StyleSpan(0, len(text), "b"), *styles))
            return
        text, styles = self.inline(item, skip=("list",), skip_elements=blocks)
        if text:
            self.b.add("paragraph", text, styles)
        for sub in item:
            if sub.tag == "list" or sub in blocks:
                self.block(sub)

    def _is_block(self, el) -> bool:
        """Whether a child of a list item is a block of its own: a paragraph, quote, table, heading or list, or a
        code element that is a code block of the page (the extraction writes inline code as ``code`` too)."""
        if el.tag in ("p", "quote", "table", "head", "list"):
            return True
        if el.tag != "code":
            return False
        text = "".join(el.itertext())
        return "\n" in text.strip() or _norm(text) in self.hints.code_text

    def inline(self, el, skip: tuple[str, ...] = (), skip_elements: list | None = None) -> tuple[str, tuple]:
        """``el``'s text and styles; elements with a tag in ``skip``, and ``skip_elements`` themselves, are left
        out (their tails are kept)."""
        out = InlineText()
        self._inline(el, out, skip, frozenset(skip_elements or ()), top=True)
        return out.finish()

    def _inline(
        self, el, out: InlineText, skip: tuple[str, ...], skip_elements: frozenset, top: bool = False
    ) -> None:
        if not top:
            if el.tag in skip or el in skip_elements:
                out.add(el.tail or "")
                return
            if el.tag == "lb":
                out.hard_break()
                out.add(el.tail or "")
                return
        style = None
        if not top:
            if el.tag == "code":
                style = "code"
            elif el.tag == "hi":
                style = _HI_STYLES.get(el.get("rend") or "")
            elif el.tag == "ref":
                style = "link"
        if style == "link":
            out.open_link(self.hints.href("".join(el.itertext()), el.get("target") or ""))
        elif style:
            out.open(style)
        out.add(el.text or "", verbatim=style == "code")
        for child in el:
            self._inline(child, out, skip, skip_elements)
        if style == "link":
            out.close_link()
        elif style:
            out.close(style)
        if not top:
            out.add(el.tail or "")


__all__ = ["SUFFIXES", "read_html", "slugify"]
