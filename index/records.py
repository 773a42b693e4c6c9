"""Store records and their encoding in Chroma's metadata (plain data: this module never imports chromadb).

Passages are written as metadata dicts (``passage_meta``) and read back as records (``passage_from``) or as
columns (``PassageColumns``, what the retrieval tables are built from). Blocks and unit spans are encoded
compactly; a store written before a field existed still reads.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .models import Block, Passage, StyleSpan


@dataclass(frozen=True)
class DocMarker:
    doc_id: str
    source: str
    title: str
    version: str
    passages: int
    file_hash: str = ""  # hash of the file (and pipeline version) the marker's version was made from


@dataclass(frozen=True)
class WriterRecord:
    """A lease of one indexing run: written when it starts, refreshed while it runs, closed when it ends."""

    run_id: str
    started: float  # time.time()
    heartbeat: float  # time.time() of the last sign of life
    state: str  # "running", "done" or "aborted"


@dataclass(frozen=True)
class VersionCount:
    passages: int
    sentences: int
    expected_sentences: int  # what the present passages say they have


@dataclass(frozen=True)
class SentenceVectors:
    passage_ids: list[str]
    index: list[int]  # sentence index within its passage
    vectors: np.ndarray  # (n, dim), normalised


@dataclass(frozen=True)
class PassageColumns:
    """Passages as columns (what the retrieval tables are built from, without a record per row)."""

    ids: list[str]
    texts: list[str]
    doc_ids: list[str]
    versions: list[str]
    sources: list[str]
    titles: list[str]
    numbers: np.ndarray  # (n, 6) int32: ordinal, start, end, first paragraph, last paragraph, paragraph count
    spans: list[str]  # unit spans, encoded (decode_spans)
    blocks: list[str]  # blocks, encoded (decode_blocks)
    sections: list[str]  # section path, JSON
    page_urls: list[str]
    markup: np.ndarray  # bool
    vectors: np.ndarray  # (n, dim) float32


_NUMBER_KEYS = ("ordinal", "start", "end", "p_first", "p_last", "p_count")


def columns_of(ids, texts, metas, vectors, dim: int, keep=None) -> PassageColumns:
    rows = [i for i, m in enumerate(metas) if keep is None or keep(m)]
    ms = [metas[i] for i in rows]
    return PassageColumns(
        ids=[ids[i] for i in rows],
        texts=[texts[i] for i in rows],
        doc_ids=[m["doc_id"] for m in ms],
        versions=[m["version"] for m in ms],
        sources=[m["source"] for m in ms],
        titles=[m["title"] for m in ms],
        numbers=np.asarray([[int(m[k]) for k in _NUMBER_KEYS] for m in ms], dtype=np.int32).reshape(-1, 6),
        spans=[m.get("sentences", "") for m in ms],
        blocks=[m.get("blocks", "") for m in ms],
        sections=[m.get("section", "") for m in ms],
        page_urls=[m.get("page_url") or "" for m in ms],
        markup=np.asarray([bool(m.get("markup", False)) for m in ms], dtype=bool),
        vectors=(
            np.asarray([vectors[i] for i in rows], dtype=np.float32)
            if rows
            else np.zeros((0, dim), dtype=np.float32)
        ),
    )


def concat_columns(parts: Sequence[PassageColumns], dim: int) -> PassageColumns:
    if not parts:
        return columns_of([], [], [], [], dim)
    if len(parts) == 1:
        return parts[0]
    lists = {
        f: [x for p in parts for x in getattr(p, f)]
        for f in (
            "ids",
            "texts",
            "doc_ids",
            "versions",
            "sources",
            "titles",
            "spans",
            "blocks",
            "sections",
            "page_urls",
        )
    }
    return PassageColumns(
        **lists,
        numbers=np.concatenate([p.numbers for p in parts]),
        markup=np.concatenate([p.markup for p in parts]),
        vectors=np.concatenate([p.vectors for p in parts]),
    )


def unit_id(passage_id: str, index: int) -> str:
    """The record id of unit ``index`` of a passage in the sentences collection."""
    return f"{passage_id}-s{index:03d}"


def distance_to_similarity(distance: float) -> float:
    """Chroma's cosine distance -> cosine similarity. The one place this conversion happens."""
    return 1.0 - float(distance)


def encode_spans(spans: Sequence[tuple[int, int]]) -> str:
    return ",".join(f"{a}:{b}" for a, b in spans)


def decode_spans(value: str) -> tuple[tuple[int, int], ...]:
    if not value:
        return ()
    out = []
    for part in value.split(","):
        a, b = part.split(":")
        out.append((int(a), int(b)))
    return tuple(out)


def encode_blocks(blocks: Sequence[Block]) -> str:
    """Blocks as compact JSON (section paths listed once). A style is ``[start, end, style]``, a link
    ``[start, end, "link", href]``: a store written before links were kept reads as it did."""
    paths: list[list[str]] = []
    index: dict[tuple[str, ...], int] = {}
    rows = []
    for b in blocks:
        if b.path not in index:
            index[b.path] = len(paths)
            paths.append(list(b.path))
        rows.append(
            [
                b.kind,
                b.start,
                b.end,
                index[b.path],
                b.level,
                b.lang,
                b.lines[0],
                b.lines[1],
                b.anchor,
                [
                    [s.start, s.end, s.style, s.href] if s.href else [s.start, s.end, s.style]
                    for s in b.styles
                ],
            ]
        )
    return json.dumps({"p": paths, "b": rows}, ensure_ascii=False, separators=(",", ":"))


def decode_blocks(value: str) -> tuple[Block, ...]:
    if not value:
        return ()
    data = json.loads(value)
    paths = [tuple(p) for p in data["p"]]
    return tuple(
        Block(
            kind,
            a,
            b,
            paths[pi],
            level,
            lang,
            (l0, l1),
            tuple(StyleSpan(*span) for span in styles),  # [start, end, style] or, for a link, [..., href]
            anchor,
        )
        for kind, a, b, pi, level, lang, l0, l1, anchor, styles in data["b"]
    )


def passage_meta(p: Passage) -> dict:
    return {
        "blocks": encode_blocks(p.blocks),
        "section": json.dumps(list(p.section), ensure_ascii=False),
        "page_url": p.page_url or "",
        "markup": p.markup,
        "doc_id": p.doc_id,
        "source": p.source,
        "title": p.title,
        "version": p.version,
        "ordinal": p.ordinal,
        "start": p.start,
        "end": p.end,
        "p_first": p.first_paragraph,
        "p_last": p.last_paragraph,
        "p_count": p.paragraph_count,
        "sentences": encode_spans(p.sentences),
    }


def passage_from(pid: str, text: str, m: dict) -> Passage:
    return Passage(
        passage_id=pid,
        doc_id=m["doc_id"],
        source=m["source"],
        title=m["title"],
        version=m["version"],
        ordinal=int(m["ordinal"]),
        text=text,
        start=int(m["start"]),
        end=int(m["end"]),
        first_paragraph=int(m["p_first"]),
        last_paragraph=int(m["p_last"]),
        paragraph_count=int(m["p_count"]),
        sentences=decode_spans(m.get("sentences", "")),
        blocks=decode_blocks(m.get("blocks", "")),
        section=tuple(json.loads(m["section"])) if m.get("section") else (),
        page_url=m.get("page_url") or None,
        markup=bool(m.get("markup", False)),
    )
