"""Incremental indexing: new documents added, changed ones re-embedded, removed ones deleted.

Crash safety: a changed document's new passages are written under new ids (the id holds the version), then its
marker switches to the new version, then the old passages are deleted. Retrieval only serves passages whose
version matches the marker, so a document is wholly old or wholly new to readers. A run that was killed leaves
orphans that the next run sweeps, and passages already written are not embedded again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np

from .chunking import chunk_document
from .config import IndexSettings
from .embedding import Embedder, get_embedder
from .errors import EmptyCorpusError
from .loaders import doc_id_for, load_corpus
from .models import Document, IndexReport, Passage
from .store import Store

log = logging.getLogger(__name__)

# progress(done_documents, total_documents, current_source)
Progress = Callable[[int, int, str], None]


def embedding_inputs(p: Passage) -> tuple[str, list[tuple[int, int]]]:
    """What is embedded for passage ``p``: the text given to the encoder, and the character spans (into that
    text) of the units that get a vector of their own (its sentences), in order.

    The one seam between chunking and the encoder: the text may grow a contextual header, so spans are
    relative to the returned text, not to ``p.text``."""
    return p.text, list(p.sentences)


def _embed_passages(embedder: Embedder, passages: list[Passage]) -> tuple[np.ndarray, np.ndarray]:
    """Passage vectors and unit vectors (one per sentence unit, in passage order)."""
    inputs = [embedding_inputs(p) for p in passages]
    texts = [t for t, _ in inputs]
    units = [t[a:b] for t, spans in inputs for a, b in spans]
    vectors = embedder.embed_documents(texts + units)
    return vectors[: len(texts)], vectors[len(texts) :]


def _write_document(store: Store, embedder: Embedder, doc: Document) -> tuple[int, int]:
    """Write ``doc`` at its version and switch its marker; returns (passages, passages embedded)."""
    passages = chunk_document(doc)
    present = store.existing_passage_ids([p.passage_id for p in passages])
    todo = [p for p in passages if p.passage_id not in present]
    if todo:
        p_vecs, s_vecs = _embed_passages(embedder, todo)
        store.upsert_sentences(todo, s_vecs)
        store.upsert_passages(todo, p_vecs)
    store.set_marker(doc, len(passages))  # the switch: readers now see the new version
    store.delete_stale(doc.doc_id, doc.version)
    return len(passages), len(todo)


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
    *,
    keep: Collection[str] = (),
    allow_empty: bool = False,
    corpus: str = "the corpus folder",
) -> IndexReport:
    """Bring ``store`` to exactly ``docs``, keeping the documents in ``keep`` (ids of files that are present
    but could not be read this time) as they are. Refuses to remove every document unless ``allow_empty``."""
    t0 = time.perf_counter()
    markers = store.markers()
    if markers and not docs and not keep and not allow_empty:
        raise EmptyCorpusError(
            f"{corpus} has no readable document, but the index holds {len(markers)} indexed documents: "
            "nothing was removed. Check the folder (is a share unmounted?), or pass --allow-empty to "
            "empty the index."
        )
    wanted: dict[str, Document | None] = {d.doc_id: d for d in docs}
    kept = [doc_id for doc_id in keep if doc_id not in wanted and doc_id in markers]
    wanted.update((doc_id, None) for doc_id in kept)
    if kept:
        log.warning("kept %d indexed documents whose files could not be read this time", len(kept))
    added = changed = unchanged = removed = embedded = 0
    passages = sum(markers[doc_id].passages for doc_id in kept)
    for i, doc in enumerate(docs, start=1):
        marker = markers.get(doc.doc_id)
        if marker is not None and marker.version == doc.version:
            unchanged += 1
            passages += marker.passages
        else:
            n, e = _write_document(store, embedder, doc)
            passages += n
            embedded += e
            if marker is None:
                added += 1
            else:
                changed += 1
        if progress:
            progress(i, len(docs), doc.source)
    for doc_id in markers.keys() - wanted.keys():
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


def index_corpus(
    settings: IndexSettings,
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Progress | None = None,
    store: Store | None = None,
    allow_empty: bool = False,
) -> IndexReport:
    """Index ``settings.corpus_dir`` into the store incrementally (or from scratch with ``rebuild``).

    A file that is present but unreadable keeps its document; a corpus with no readable file empties a
    non-empty index only with ``allow_empty``."""
    t0 = time.perf_counter()
    docs, skipped = load_corpus(Path(settings.corpus_dir))
    embedder = embedder or get_embedder()
    own = store is None
    if rebuild:
        if not own:
            raise ValueError("rebuild opens its own store")
        store = Store.rebuild(settings, model=embedder.name, dim=embedder.dim)
    elif own:
        store = Store.open(settings, model=embedder.name, dim=embedder.dim, write=True)
    assert store is not None
    try:
        report = sync_documents(
            store,
            embedder,
            docs,
            skipped=len(skipped),
            progress=progress,
            keep={doc_id_for(s.source) for s in skipped},
            allow_empty=allow_empty,
            corpus=f"The corpus folder {settings.corpus_dir}",
        )
    finally:
        if own:
            store.close()
    seconds = time.perf_counter() - t0
    log.info("indexed %s: %s", settings.corpus_dir, report.line())
    return IndexReport(**{**report.__dict__, "seconds": seconds})
