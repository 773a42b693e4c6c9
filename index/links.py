"""Where a quote lives on the web: the page address and the heading anchor, when they can be known.

A page's own address (front matter ``url``/``permalink``, an HTML page's canonical link) comes first; a relative
one is joined to the host of ``QUOTEBOT_SOURCE_URL``. Otherwise ``QUOTEBOT_SOURCE_URL`` is a template:
``{path}`` is the source path without its extension (``guide/setup.md`` -> ``guide/setup``; an index page,
``README``/``index``, is its folder: ``guide/README.md`` -> ``guide/``). Without either, there is no link.

Links inside a quote (``link`` style spans) are made absolute the same way (`link_url`): an http(s) address is
kept; ``#anchor``, ``?query``, ``/path`` and ``path`` are joined to the page's address; a link to another
Markdown page of the corpus (``../setup.md#install``) goes through the ``QUOTEBOT_SOURCE_URL`` template, since
only the template knows how file paths become addresses. A link that cannot be made absolute (no page address,
no template, another scheme such as ``mailto:``) is no link: its text stays plain.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from .models import Block

_INDEX_PAGES = frozenset({"readme", "index", "_index"})


def page_path(source: str) -> str:
    p = PurePosixPath(source)
    if p.stem.lower() in _INDEX_PAGES:
        parent = p.parent.as_posix()
        return "" if parent == "." else parent + "/"
    return p.with_suffix("").as_posix()


def page_url(source: str, own: str | None, template: str | None) -> str | None:
    if own:
        if urlsplit(own).scheme in ("http", "https"):
            return own
        if template:
            parts = urlsplit(template)
            if parts.scheme in ("http", "https") and parts.netloc:
                return urljoin(f"{parts.scheme}://{parts.netloc}/", own.lstrip("/") if own != "/" else "")
    if template:
        url = template.replace("{path}", quote(page_path(source), safe="/-_.~"))
        return url.replace("{file}", quote(source, safe="/-_.~"))  # the file's own path, extension kept
    return None


def with_anchor(url: str | None, anchor: str) -> str | None:
    if not url:
        return None
    if not anchor:
        return url
    return f"{url.split('#', 1)[0]}#{quote(anchor, safe='-_.~')}"


_PAGE_SUFFIXES = (".md", ".markdown", ".mdx")


def link_url(href: str, source: str, page: str | None, template: str | None) -> str | None:
    """The absolute http(s) address of a link written ``href`` on the page ``source`` whose address is ``page``
    (see `page_url`), or None when it cannot be known."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:
        return None
    if parts.scheme:
        return href.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None
    if parts.netloc:  # //host/path
        return urljoin(page, href) if page else "https:" + href.strip()
    if parts.path.lower().endswith(_PAGE_SUFFIXES):
        if not template:
            return None
        folder = "" if parts.path.startswith("/") else posixpath.dirname(source)
        target = posixpath.normpath(posixpath.join(folder, parts.path.lstrip("/")))
        if target.startswith("../") or target == "..":
            return None
        own = urlsplit(page_url(target, None, template) or "")
        return urlunsplit((own.scheme, own.netloc, own.path, parts.query, parts.fragment))
    if not page:
        return None
    return urljoin(page.split("#", 1)[0], href.strip())


def resolve_links(
    blocks: Sequence[Block], source: str, own: str | None, template: str | None
) -> tuple[Block, ...]:
    """``blocks`` with every link's address made absolute (`link_url`); a link that cannot be is dropped
    (its text stays, plain). Blocks without links are returned as they are."""
    if not any(s.style == "link" for b in blocks for s in b.styles):
        return tuple(blocks)
    page = page_url(source, own, template)
    out = []
    for b in blocks:
        if not any(s.style == "link" for s in b.styles):
            out.append(b)
            continue
        styles = []
        for s in b.styles:
            if s.style == "link":
                url = link_url(s.href, source, page, template)
                if url is None:
                    continue
                s = replace(s, href=url)
            styles.append(s)
        out.append(replace(b, styles=tuple(styles)))
    return tuple(out)
