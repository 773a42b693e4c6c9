"""Corpus files -> `Document`s: discovery, decoding, then the reader of the file's format (``index/formats``)."""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator
from pathlib import Path

from .formats import SUFFIXES, reader_for
from .formats.base import PIPELINE_VERSION, Skipped, doc_id_for, fallback_title
from .models import Document

log = logging.getLogger(__name__)

__all__ = [
    "PIPELINE_VERSION",
    "SUFFIXES",
    "Skipped",
    "decode",
    "decode_report",
    "doc_id_for",
    "fallback_title",
    "is_navigation",
    "iter_corpus_files",
    "load_corpus",
    "load_document",
]

MAX_FILE_BYTES = 20 * 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_report(data: bytes) -> tuple[str | None, str]:
    """(text, note) for the bytes of a file; text None for binary data. ``note`` is "" for a clean decode,
    else what was done (for a warning naming the file).

    A byte-order mark decides the encoding (UTF-8, UTF-16, UTF-32). Otherwise UTF-8; a file that is UTF-8
    but for a few bad bytes keeps its text and only those bytes become U+FFFD; a file with no UTF-8 sequence
    at all is read as Windows-1252 (its undefined bytes replaced). NUL bytes without a BOM mean binary."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            text = body.decode(encoding, errors="replace")
            bad = text.count("\ufffd") - body.decode(encoding, errors="ignore").count("\ufffd")
            note = f"{bad} undecodable byte sequence(s) replaced" if bad else ""
            return text, note
    if b"\x00" in data:
        return None, "binary"
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    if multibyte and bad <= max(3, multibyte // 10):
        return text, f"not valid UTF-8: {bad} bad byte(s) replaced with U+FFFD"
    text = data.decode("cp1252", errors="replace")
    undefined = text.count("\ufffd") - data.decode("cp1252", errors="ignore").count("\ufffd")
    note = "not UTF-8: read as Windows-1252"
    if undefined:
        note += f" ({undefined} undefined byte(s) replaced)"
    return text, note


def decode(data: bytes) -> str | None:
    """The text of a file's bytes (see ``decode_report``), or None for binary data."""
    return decode_report(data)[0]


# Files a documentation site keeps beside its pages that are never documents: skipped without a warning each.
ASSET_SUFFIXES = frozenset(
    [
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".svg",
        ".webp",
        ".ico",
        ".bmp",
        ".avif",
        ".mp4",
        ".webm",
        ".mp3",
        ".wav",
        ".ogg",
        ".woff",
        ".woff2",
        ".ttf",
        ".otf",
        ".eot",
        ".css",
        ".scss",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".tsx",
        ".jsx",
        ".json",
        ".yml",
        ".yaml",
        ".toml",
        ".lock",
        ".map",
        ".zip",
        ".gz",
    ]
)


def iter_corpus_files(corpus: Path) -> Iterator[tuple[Path, str]]:
    """(path, source) for each candidate file, sorted; never leaves the corpus folder. Files of an unknown
    type are skipped with a warning naming them."""
    root = corpus.resolve()
    assets = 0
    for path in sorted(corpus.rglob("*")):
        rel = path.relative_to(corpus)
        if any(p.startswith(".") for p in rel.parts):
            continue
        try:
            real = path.resolve()
            real.relative_to(root)
        except (ValueError, OSError):
            log.warning("skipping %s: it links outside the corpus folder", path)
            continue
        if not real.is_file():
            continue
        if path.suffix.lower() not in SUFFIXES:
            if path.suffix.lower() in ASSET_SUFFIXES:
                assets += 1  # a site's images, styles and scripts: counted below, not named one by one
                log.debug("skipping %s: not a document", rel.as_posix())
                continue
            log.warning(
                "skipping %s: unknown file type (quotebot reads %s)", rel.as_posix(), ", ".join(SUFFIXES)
            )
            continue
        yield path, rel.as_posix()
    if assets:
        log.info("skipped %d image, style, script and data file(s) beside the documents", assets)


def load_document(path: Path, source: str) -> Document | Skipped:
    reader = reader_for(source)
    if reader is None:
        return Skipped(source, "unknown file type")
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return Skipped(source, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        data = path.read_bytes()
    except OSError as exc:
        return Skipped(source, f"unreadable ({exc.strerror or exc})")
    raw, note = decode_report(data)
    if raw is None:
        return Skipped(source, "binary or undecodable")
    if note:
        log.warning("%s: %s", source, note)
    try:
        doc = reader(source, raw)
    except Exception as exc:  # a reader bug must never stop a whole index run
        log.exception("reading %s failed", source)
        return Skipped(source, f"could not be read ({type(exc).__name__})")
    if doc is None:
        return Skipped(source, "empty (no body text)")
    if is_navigation(doc):
        return Skipped(
            source, "a table of contents (only links to other pages): nothing to quote", keep=False
        )
    return doc


_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+")
_NAVIGATION_LINKS = 3


def is_navigation(doc: Document) -> bool:
    """A page that only lists the site's pages: a table of contents (mdBook's and GitBook's ``SUMMARY.md``, a
    docsify sidebar). Its text is headings, and list items or paragraphs that are each a link to another page
    (a relative address), at least three of them; any other text (a sentence, code, a table, a quote, an
    outside link) makes it a page to quote. Quoted, it would only repeat the titles of the pages that answer."""
    links = 0
    for b in doc.blocks:
        if b.kind == "heading":
            continue
        if b.kind not in ("list_item", "paragraph"):
            return False
        text = doc.text[b.start : b.end]
        body = len(_LIST_MARKER.sub("", text).strip())
        covered = sum(
            s.end - s.start
            for s in b.styles
            if s.style == "link" and s.href and not s.href.startswith("#") and "://" not in s.href
        )
        if not body or covered < 0.9 * body:
            return False
        links += 1
    return links >= _NAVIGATION_LINKS


def load_corpus(corpus: Path) -> tuple[list[Document], list[Skipped]]:
    """Every readable document under ``corpus``; skipped files are logged with a warning naming them."""
    if not corpus.is_dir():
        what = "is a file, not a folder" if corpus.is_file() else "not found"
        raise FileNotFoundError(f"corpus folder {what}: {corpus}")
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for path, source in iter_corpus_files(corpus):
        result = load_document(path, source)
        if isinstance(result, Skipped):
            log.warning("skipping %s: %s", result.source, result.reason)
            skipped.append(result)
        else:
            docs.append(result)
    return docs, skipped
