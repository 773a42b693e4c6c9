"""Plain text (``.txt``) -> `Document`: the news-page rules of ``index/cleaning.py`` (page chrome removed by
generic shapes and vocabulary, the headline found), each kept paragraph one block."""

from __future__ import annotations

from ..cleaning import clean
from ..models import Document
from .base import DocBuilder, fallback_title

SUFFIXES = (".txt",)


def read_text(source: str, raw: str) -> Document | None:
    cleaned = clean(raw)
    b = DocBuilder(markup=False)
    for para in cleaned.paragraphs:
        b.add("paragraph", para)
    if not b.blocks:
        return None
    title = (cleaned.title or "").strip() or fallback_title(source)
    return b.document(source, title)
