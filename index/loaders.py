"""Corpus files -> cleaned `Document`s: discovery, decoding, titles, boilerplate removal."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .cleaning import clean
from .models import Document

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md")
# Bump when cleaning or chunking rules change: every document then counts as changed.
PIPELINE_VERSION = "1"
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


def doc_id_for(source: str) -> str:
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:12]


def decode(data: bytes) -> str | None:
    """UTF-8 (with or without BOM), falling back to cp1252; None for binary data."""
    if b"\x00" in data:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


def iter_corpus_files(corpus: Path) -> Iterator[tuple[Path, str]]:
    """(path, source) for each candidate file, sorted; never leaves the corpus folder."""
    root = corpus.resolve()
    for path in sorted(corpus.rglob("*")):
        if path.suffix.lower() not in SUFFIXES or any(
            p.startswith(".") for p in path.relative_to(corpus).parts
        ):
            continue
        try:
            real = path.resolve()
            real.relative_to(root)
        except (ValueError, OSError):
            log.warning("skipping %s: it links outside the corpus folder", path)
            continue
        if not real.is_file():
            continue
        yield path, path.relative_to(corpus).as_posix()


def fallback_title(source: str) -> str:
    stem = Path(source).stem.replace("_", " ").replace("-", " ").strip()
    return stem or source


def load_document(path: Path, source: str) -> Document | Skipped:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return Skipped(source, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        data = path.read_bytes()
    except OSError as exc:
        return Skipped(source, f"unreadable ({exc.strerror or exc})")
    raw = decode(data)
    if raw is None:
        return Skipped(source, "binary or undecodable")
    cleaned = clean(raw)
    text = "\n\n".join(cleaned.paragraphs)
    if not text.strip():
        return Skipped(source, "empty (no body text)")
    title = (cleaned.title or "").strip() or fallback_title(source)
    version = hashlib.sha256(f"{PIPELINE_VERSION}\x00{title}\x00{text}".encode()).hexdigest()
    return Document(doc_id=doc_id_for(source), source=source, title=title, text=text, version=version)


def load_corpus(corpus: Path) -> tuple[list[Document], list[Skipped]]:
    """Every readable document under ``corpus``; skipped files are logged with a warning naming them."""
    if not corpus.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus}")
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
