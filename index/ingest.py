"""Incremental indexing: new documents added, changed ones re-embedded, removed ones deleted.

Crash safety: a changed document's new passages are written under new ids (the id holds the version), then its
marker switches to the new version, then the old passages are deleted. Retrieval only serves passages whose
version matches the marker, so a document is wholly old or wholly new to readers. A run that was killed leaves
orphans that the next run sweeps, and passages already written are not embedded again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path

import numpy as np

from . import wordpieces
from .chunking import chunk_document, contextual_header
from .config import IndexSettings
from .embedding import Embedder, get_embedder, vectors_of
from .loaders import MAX_FILE_BYTES, PIPELINE_VERSION, Skipped, doc_id_for, iter_corpus_files, load_document
from .models import Document, IndexReport, Passage
from .store import Store

log = logging.getLogger(__name__)

# Passages embedded and written per run of documents: large enough for full encoder batches and few Chroma
# calls, small enough that memory grows with it and not with the corpus.
GROUP_PASSAGES = 1024
# Whether passages of sectioned documents are embedded with their contextual header (measured: see README).
EMBED_HEADER = True

# progress(done_documents, total_documents, current_source)
Progress = Callable[[int, int, str], None]


def embedding_inputs(p: Passage) -> tuple[str, list[tuple[int, int]]]:
    """What is embedded for passage ``p``: the text given to the encoder, and the character spans (into that
    text) of the units that get a vector of their own (its sentences), in order.

    The one seam between chunking and the encoder. For a document with sections the text starts with the
    passage's contextual header (title and the section path above it, see ``chunking.contextual_header``) on
    a line of its own, cut to what the encoder's window leaves; spans are relative to the returned text."""
    header = contextual_header(p) if EMBED_HEADER and p.markup else ""
    if header:
        room = wordpieces.WINDOW - wordpieces.SPECIAL - 1 - wordpieces.count(p.text)
        header = _clip_tokens(header, room)
    if not header:
        return p.text, list(p.sentences)
    shift = len(header) + 1
    return f"{header}\n{p.text}", [(a + shift, b + shift) for a, b in p.sentences]


def _clip_tokens(text: str, room: int) -> str:
    if room < 4:
        return ""
    offs = wordpieces.offsets(text)
    if len(offs) <= room:
        return text
    return text[: offs[room - 1][1]].rstrip()


def _embed_passages(embedder: Embedder, passages: list[Passage]) -> tuple[np.ndarray, np.ndarray]:
    """Passage vectors and unit vectors (one per unit of ``embedding_inputs``, in passage order).

    An embedder with ``embed_with_units`` gets texts and spans and pools the unit vectors out of the
    passages' own forward pass; any other `Embedder` embeds the units as texts of their own."""
    inputs = [embedding_inputs(p) for p in passages]
    texts = [t for t, _ in inputs]
    with_units = getattr(embedder, "embed_with_units", None)
    if with_units is not None:
        return with_units(texts, [spans for _, spans in inputs])
    units = [t[a:b] for t, spans in inputs for a, b in spans]
    vectors = embedder.embed_documents(texts + units)
    return vectors[: len(texts)], vectors[len(texts) :]


def _groups(docs: list[Document], size: int) -> Iterator[list[tuple[Document, list[Passage]]]]:
    """Documents with their passages, in runs of about ``size`` passages (bounded memory per run)."""
    group: list[tuple[Document, list[Passage]]] = []
    count = 0
    for doc in docs:
        passages = chunk_document(doc)
        group.append((doc, passages))
        count += len(passages)
        if count >= size:
            yield group
            group, count = [], 0
    if group:
        yield group


def _write_group(
    store: Store, embedder: Embedder, group: list[tuple[Document, list[Passage]]], changed: dict[str, str]
) -> int:
    """Write a run of documents at their versions and switch their markers; returns passages embedded.

    Passages of every document of the run are embedded together (the encoder sorts them by length) and
    written in large batches; then each document's marker switches, and a changed document's old passages
    go. Readers see each document wholly old or wholly new, as before."""
    wanted = [p for _, passages in group for p in passages]
    present = store.existing_passage_ids([p.passage_id for p in wanted])
    todo = [p for p in wanted if p.passage_id not in present]
    if todo:
        p_vecs, s_vecs = _embed_passages(embedder, todo)
        store.upsert_sentences(todo, s_vecs)
        store.upsert_passages(todo, p_vecs)
    for doc, passages in group:
        store.set_marker(doc, len(passages))  # the switch: readers now see the new version
    # Then the old versions of changed documents go, in one pass. (An added document has nothing older;
    # anything else an interrupted run left is swept at the end of the run.)
    old = [(doc.doc_id, changed[doc.doc_id]) for doc, _ in group if doc.doc_id in changed]
    if old:
        store.delete_versions(old)
    return len(todo)


def _sweep(store: Store) -> int:
    """Delete passages left by an interrupted run (their version is not their document's marker)."""
    markers = store.markers()
    swept = 0
    for doc_id, version in store.versions_present():
        marker = markers.get(doc_id)
        if marker is None or marker.version != version:
            swept += store.delete_stale(doc_id, marker.version if marker else None)
    return swept


def sync_documents(
    store: Store,
    embedder: Embedder,
    docs: list[Document],
    skipped: int = 0,
    progress: Progress | None = None,
    unchanged_ids: Collection[str] = (),
) -> IndexReport:
    """Bring ``store`` to exactly ``docs``, plus the documents ``unchanged_ids`` (known to match their
    markers already, so not even loaded)."""
    t0 = time.perf_counter()
    markers = store.markers()
    wanted: set[str] = {d.doc_id for d in docs} | set(unchanged_ids)
    added = changed = removed = passages = embedded = 0
    unchanged = len(unchanged_ids)
    passages = sum(markers[d].passages for d in unchanged_ids)
    todo: list[Document] = []
    changed_ids: dict[str, str] = {}  # doc_id -> the version its marker has now
    late_hashes: dict[str, str] = {}  # unchanged documents whose marker lacks its file's hash
    done = unchanged
    total = len(docs) + unchanged
    for doc in docs:
        marker = markers.get(doc.doc_id)
        if marker is not None and marker.version == doc.version:
            unchanged += 1
            passages += marker.passages
            digest = store.file_hashes.get(doc.doc_id)
            if digest and marker.file_hash != digest:
                late_hashes[doc.doc_id] = digest
            done += 1
            if progress:
                progress(done, total, doc.source)
        else:
            todo.append(doc)
            if marker is None:
                added += 1
            else:
                changed += 1
                changed_ids[doc.doc_id] = marker.version
    for group in _groups(todo, GROUP_PASSAGES):
        embedded += _write_group(store, embedder, group, changed_ids)
        for doc, doc_passages in group:
            passages += len(doc_passages)
            done += 1
            if progress:
                progress(done, total, doc.source)
    if late_hashes:
        store.record_file_hashes(late_hashes)
    if embedded:
        store.record_encoder(getattr(embedder, "encoder", "unknown"))
    for doc_id in markers.keys() - wanted:
        store.delete_marker(doc_id)  # readers stop seeing it at once
        store.delete_stale(doc_id, None)
        removed += 1
    # Last, finish whatever an interrupted run left: passages whose version is not their marker's.
    # (Done after the writes, so that passages an interrupted run already embedded are reused above.)
    swept = _sweep(store)
    if swept:
        log.info("finished an interrupted run: removed %d orphaned passages", swept)
    if added or changed or removed or swept:
        store.bump_generation()
    return IndexReport(
        added=added,
        changed=changed,
        removed=removed,
        unchanged=unchanged,
        skipped=skipped,
        passages=passages,
        embedded=embedded,
        seconds=time.perf_counter() - t0,
    )


def file_hash(path: Path) -> str:
    """Hash of a corpus file's bytes and the pipeline version: equal hashes mean an equal document."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return ""  # the loader skips it
        data = path.read_bytes()
    except OSError:
        return ""
    return hashlib.sha256(PIPELINE_VERSION.encode() + b"\x00" + data).hexdigest()


def _load_changed(corpus: Path, store: Store) -> tuple[list[Document], int, set[str]]:
    """The documents to sync, the number of skipped files, and the ids of documents whose file is byte for
    byte the one their marker was made from (neither cleaned nor chunked again)."""
    markers = store.markers()
    docs: list[Document] = []
    skipped = 0
    unchanged: set[str] = set()
    for path, source in iter_corpus_files(corpus):
        doc_id, digest = doc_id_for(source), file_hash(path)
        marker = markers.get(doc_id)
        if digest and marker is not None and marker.file_hash == digest and marker.source == source:
            unchanged.add(doc_id)
            continue
        result = load_document(path, source)
        if isinstance(result, Skipped):
            log.warning("skipping %s: %s", result.source, result.reason)
            skipped += 1
            continue
        store.file_hashes[doc_id] = digest
        docs.append(result)
    return docs, skipped, unchanged


def index_corpus(
    settings: IndexSettings,
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    store: Store | None = None,
) -> IndexReport:
    """Index ``settings.corpus_dir`` into the store incrementally (or from scratch with ``rebuild``)."""
    t0 = time.perf_counter()
    corpus = Path(settings.corpus_dir)
    if not corpus.is_dir():
        raise FileNotFoundError(f"corpus folder not found: {corpus}")
    embedder = embedder or get_embedder()  # lazy: loads only if something is embedded
    own = store is None
    if rebuild:
        if not own:
            raise ValueError("rebuild opens its own store")
        store = Store.rebuild(settings, model=embedder.name, dim=embedder.dim, vectors=vectors_of(embedder))
    elif own:
        store = Store.open(
            settings, model=embedder.name, dim=embedder.dim, write=True, vectors=vectors_of(embedder)
        )
    assert store is not None
    try:
        docs, skipped, unchanged_ids = _load_changed(corpus, store)
        report = sync_documents(
            store, embedder, docs, skipped=skipped, progress=progress, unchanged_ids=unchanged_ids
        )
    finally:
        if own:
            store.close()
    seconds = time.perf_counter() - t0
    log.info("indexed %s: %s", settings.corpus_dir, report.line())
    return IndexReport(**{**report.__dict__, "seconds": seconds})
