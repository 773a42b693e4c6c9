"""Where a quote lives on the web: the page address and the heading anchor, when they can be known.

A page's own address (front matter ``url``/``permalink``, an HTML page's canonical link) comes first; a relative
one is joined to the host of ``QUOTEBOT_SOURCE_URL``. Otherwise ``QUOTEBOT_SOURCE_URL`` is a template:
``{path}`` is the source path without its extension (``guide/setup.md`` -> ``guide/setup``; an index page,
``README``/``index``, is its folder: ``guide/README.md`` -> ``guide/``). Without either, there is no link.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import quote, urljoin, urlsplit

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
        return template.replace("{path}", quote(page_path(source), safe="/-_.~"))
    return None


def with_anchor(url: str | None, anchor: str) -> str | None:
    if not url:
        return None
    if not anchor:
        return url
    return f"{url.split('#', 1)[0]}#{quote(anchor, safe='-_.~')}"
