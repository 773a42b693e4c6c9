"""Format readers: one module per file type behind one interface, ``read(source, text) -> Document | None``
(None: no readable text). ``reader_for`` picks the reader by file extension."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

from ..models import Document
from . import html, markdown, text

Reader = Callable[[str, str], Document | None]

READERS: dict[str, Reader] = {}
for _module, _read in ((text, text.read_text), (markdown, markdown.read_markdown), (html, html.read_html)):
    for _suffix in _module.SUFFIXES:
        READERS[_suffix] = _read

SUFFIXES: tuple[str, ...] = tuple(READERS)


def reader_for(source: str) -> Reader | None:
    return READERS.get(PurePosixPath(source).suffix.lower())
