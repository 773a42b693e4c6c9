"""A reproducible generator of realistic corpora of any size, and a direct store builder (for benchmarks/scale.py).

Generated documents recombine the text of the public corpora in ``../shared/eval/`` (SQuAD and SciFact plain
text, the discord.js and Pycord guides' Markdown) under fresh names, so every generated document has a fresh id:

- a plain-text document (60%): a title taken from a SQuAD/SciFact document, then 3-12 paragraphs, each a run of
  1-5 consecutive sentences of one random source paragraph;
- a Markdown document (40%): a ``#`` title from a guide page, then 2-5 ``##`` sections titled by a guide heading,
  each holding 1-4 items: a paragraph (a run of guide sentences), a bullet list (a run of guide list items) or a
  fenced code block from a guide.

Everything is drawn from ``random.Random(seed)``: the same seed and size give the same files, byte for byte.
The files are read and chunked by quotebot's own readers and chunker.

How the store is built (no full indexing run: embedding 100k passages on two cores takes hours):
- unit ("sentence") vectors are the model's vectors of the unit texts, exactly as ``QUOTEBOT_UNITS=separate``
  ingest computes them, each distinct text encoded once and cached on disk (``vector_cache.CachedEmbedder``);
- a passage vector is the normalised mean of its unit vectors (the ``segments`` scheme of benchmarks/units.py),
  not the encoding of the passage text: the one shortcut;
- passages, units and document markers are written through ``index.store.Store`` like ingest writes them, then
  the generation is bumped once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.chunking import chunk_document
from index.config import IndexSettings
from index.ingest import embedding_inputs
from index.loaders import load_corpus, load_document
from index.models import Document, Passage
from index.sentences import split_sentences
from index.store import Store

log = logging.getLogger(__name__)

GENERATOR_VERSION = 1
ROOT = Path(__file__).resolve().parent.parent
TEXT_CORPORA = ("squad", "scifact")
MARKDOWN_CORPORA = (
    "djs-guide",
    "pycord-guide",
)  # those present are used (the corpus is named in the cache key)
SCIFACT_DOCS = 2500  # SciFact abstracts drawn from (of 5,183): keeps the distinct sentences to encode ~45k


@dataclass
class Pool:
    """What generated documents are made of."""

    titles_text: list[str]
    paragraphs: list[list[str]]  # sentences of each plain-text source paragraph
    titles_md: list[str]
    headings: list[str]
    guide_paragraphs: list[list[str]]
    lists: list[list[str]]  # runs of consecutive list items
    code: list[tuple[str, str]]  # (language, code)


def _text_of(doc: Document, kind: str) -> list[tuple[str, str, int]]:
    return [(b.kind, doc.text[b.start : b.end], b.level) for b in doc.blocks if kind in ("", b.kind)]


def corpora(shared: Path) -> list[str]:
    """The public corpora present in ``shared`` that generated documents draw from (at least one of each kind)."""
    present = [n for n in TEXT_CORPORA + MARKDOWN_CORPORA if (shared / "eval" / n / "corpus").is_dir()]
    if not set(present) & set(TEXT_CORPORA) or not set(present) & set(MARKDOWN_CORPORA):
        raise FileNotFoundError(
            f"the generator needs one of {TEXT_CORPORA} and one of {MARKDOWN_CORPORA} in {shared / 'eval'}"
        )
    return present


def build_pool(shared: Path) -> Pool:
    pool = Pool([], [], [], [], [], [], [])
    present = corpora(shared)
    for name in (n for n in TEXT_CORPORA if n in present):
        folder = shared / "eval" / name / "corpus"
        files = sorted(folder.glob("*.txt"))
        if name == "scifact":
            files = files[:SCIFACT_DOCS]
        for path in files:
            doc = load_document(path, path.name)
            if isinstance(doc, Document):
                pool.titles_text.append(doc.title)
                for _, text, _ in _text_of(doc, "paragraph"):
                    sents = [text[a:b] for a, b in split_sentences(text)]
                    if sents:
                        pool.paragraphs.append(sents)
    for name in (n for n in MARKDOWN_CORPORA if n in present):
        docs, _ = load_corpus(shared / "eval" / name / "corpus")
        for doc in docs:
            pool.titles_md.append(doc.title)
            run: list[str] = []
            for kind, text, level in _text_of(doc, ""):
                if kind == "list_item":
                    run.append(text)
                    continue
                if len(run) >= 2:
                    pool.lists.append(run)
                run = []
                if kind == "heading" and level >= 2 and len(text) < 80:
                    pool.headings.append(text)
                elif kind == "paragraph":
                    sents = [text[a:b] for a, b in split_sentences(text)]
                    if sents:
                        pool.guide_paragraphs.append(sents)
                elif kind == "code" and 0 < len(text) < 1500 and "```" not in text:
                    block = next(b for b in doc.blocks if doc.text[b.start : b.end] == text)
                    pool.code.append((block.lang, text))
    return pool


def _sentences_run(rng: random.Random, paragraphs: list[list[str]]) -> str:
    sents = rng.choice(paragraphs)
    n = min(len(sents), rng.randint(1, 5))
    start = rng.randint(0, len(sents) - n)
    return " ".join(sents[start : start + n])


_MD_SPECIAL = re.compile(r"^(\s*)([#>*+-]|\d+[.)])(\s)", re.M)


def _md_safe(text: str) -> str:
    """A sentence run as one Markdown paragraph line (no accidental heading or list markers)."""
    return _MD_SPECIAL.sub(r"\1\\\2\3", " ".join(text.split()))


def make_document(rng: random.Random, pool: Pool, index: int) -> tuple[str, str]:
    """(relative path, file text) of generated document ``index``."""
    if rng.random() < 0.6:
        title = f"{rng.choice(pool.titles_text)} ({index})"
        paras = [_sentences_run(rng, pool.paragraphs) for _ in range(rng.randint(3, 12))]
        return f"t/{index // 1000:03d}/doc-{index:06d}.txt", title + "\n\n" + "\n\n".join(paras) + "\n"
    lines = [f"# {rng.choice(pool.titles_md)} ({index})", ""]
    for _ in range(rng.randint(2, 5)):
        lines += [f"## {rng.choice(pool.headings)}", ""]
        for _ in range(rng.randint(1, 4)):
            roll = rng.random()
            if roll < 0.6:
                lines += [_md_safe(_sentences_run(rng, pool.guide_paragraphs)), ""]
            elif roll < 0.8 and pool.lists:
                items = rng.choice(pool.lists)
                lines += [f"- {_md_safe(item)}" for item in items[:6]] + [""]
            else:
                lang, code = rng.choice(pool.code)
                lines += [f"```{lang}", code, "```", ""]
    return f"m/{index // 1000:03d}/doc-{index:06d}.md", "\n".join(lines)


def generate(
    folder: Path, passages: int, shared: Path, seed: int = 0
) -> tuple[list[Document], list[Passage]]:
    """Write documents into ``folder`` until they make at least ``passages`` passages; the documents and
    passages, as quotebot's readers and chunker make them."""
    pool = build_pool(shared)
    rng = random.Random(seed)
    docs: list[Document] = []
    out: list[Passage] = []
    i = 0
    while len(out) < passages:
        rel, text = make_document(rng, pool, i)
        i += 1
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        doc = load_document(path, rel)
        if not isinstance(doc, Document):
            continue
        ps = chunk_document(doc)
        if ps:
            docs.append(doc)
            out.extend(ps)
    return docs, out


def build_store(
    settings: IndexSettings, docs: list[Document], passages: list[Passage], embedder, *, group: int = 2000
) -> dict:
    """Write ``passages`` (with unit vectors from ``embedder``, passage vectors pooled from them) and the
    documents' markers into a fresh store; figures of the build."""
    t0 = time.perf_counter()
    inputs = [embedding_inputs(p) for p in passages]
    units = [t[a:b] for t, spans in inputs for a, b in spans]
    unit_vectors = embedder.embed_documents(units).astype(np.float32)
    t_embed = time.perf_counter() - t0
    counts = np.asarray([len(spans) for _, spans in inputs])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sums = np.add.reduceat(unit_vectors, starts, axis=0) if len(units) else unit_vectors
    sums[counts == 0] = 0.0
    passage_vectors = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    store = Store.rebuild(settings, model=embedder.name, dim=embedder.dim, vectors="f32")
    try:
        by_doc: dict[str, int] = {}
        for p in passages:
            by_doc[p.doc_id] = by_doc.get(p.doc_id, 0) + 1
        for a in range(0, len(passages), group):
            b = min(len(passages), a + group)
            store.upsert_passages(passages[a:b], passage_vectors[a:b])
            store.upsert_sentences(passages[a:b], unit_vectors[starts[a] : starts[a] + counts[a:b].sum()])
        for doc in docs:
            store.set_marker(doc, by_doc[doc.doc_id])
        store.bump_generation()
    finally:
        store.close()
    return {
        "documents": len(docs),
        "passages": len(passages),
        "units": len(units),
        "distinct_units": len(set(units)),
        "embed_seconds": round(t_embed, 1),
        "write_seconds": round(time.perf_counter() - t0 - t_embed, 1),
    }


def prepared_store(
    size: int, cache: Path, shared: Path, embedder, seed: int = 0
) -> tuple[IndexSettings, dict]:
    """The store of the generated corpus of ``size`` passages, built once and kept under ``cache``."""
    used = ",".join(corpora(shared))
    key = hashlib.sha1(f"{GENERATOR_VERSION}-{size}-{seed}-{embedder.name}-{used}".encode()).hexdigest()[:10]
    base = cache / f"scale-{size}-{key}"
    settings = IndexSettings(
        _env_file=None, corpus_dir=base / "corpus", store_dir=base / "store", refresh_seconds=3600
    )
    info_path = base / "build.json"
    if info_path.is_file():
        return settings, json.loads(info_path.read_text())
    shutil.rmtree(base, ignore_errors=True)
    t0 = time.perf_counter()
    docs, passages = generate(base / "corpus", size, shared, seed)
    t_gen = time.perf_counter() - t0
    info = build_store(settings, docs, passages, embedder)
    info["generate_seconds"] = round(t_gen, 1)
    info_path.write_text(json.dumps(info, indent=1))
    return settings, info
