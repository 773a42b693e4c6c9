"""The Chroma store: the only module that imports chromadb.

Three collections share a prefix:
- ``{prefix}-passages``: one record per passage (cosine space, the passage embedding, its text and attribution).
- ``{prefix}-sentences``: one record per sentence of a passage (cosine space), for sentence-level focus.
- ``{prefix}-documents``: one marker per document (its current version, title, cleaned text). A passage is live
  only while its version equals its document's marker: markers switch atomically, so a document is always
  wholly at its old or its new version as far as answers are concerned.
Every call converts Chroma's column-oriented results into records (`index/records.py`) at this boundary.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlparse

import chromadb
import httpx
import numpy as np
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError, NotFoundError
from filelock import FileLock, Timeout

from . import handoff
from .config import IndexSettings
from .errors import StoreLockedError, StoreMismatchError, StoreOpenError, StoreUnavailableError
from .models import Document, Passage
from .records import (
    DocMarker,
    PassageColumns,
    SentenceVectors,
    VersionCount,
    WriterRecord,
    columns_of,
    concat_columns,
    decode_spans,
    distance_to_similarity,
    passage_from,
    passage_meta,
    unit_id,
)

log = logging.getLogger(__name__)

SCHEMA = 1
_BATCH = 1000
_META_ID = "__quotebot_meta__"
_WRITER_PREFIX = "__quotebot_writer__"
_RESERVED_PREFIX = "__quotebot_"
SQLITE = "chroma.sqlite3"  # the embedded store's database file


T = TypeVar("T")


def _resilient(method: Callable[..., T]) -> Callable[..., T]:
    """A store call that survives the store moving under it:

    - a collection dropped and re-created by another client (``quotebot index --rebuild`` elsewhere) makes
      the cached handles point at nothing: reopen them by name and try once more;
    - a server that does not answer within the timeout, or refuses the connection, becomes
      StoreUnavailableError with a clear message."""

    @functools.wraps(method)
    def call(self: Store, *args, **kwargs):
        try:
            try:
                return method(self, *args, **kwargs)
            except NotFoundError:
                log.info("a collection of %s was dropped and re-created; reopening it", self.location)
                self._open_collections()
                return method(self, *args, **kwargs)
        except httpx.TransportError as exc:
            raise StoreUnavailableError(
                f"The index is not reachable right now (Chroma server at {self.location}: "
                f"{exc.__class__.__name__}). Please try again in a minute."
            ) from exc

    return call


def _set_timeout(client, seconds: float) -> None:
    """Bound every HTTP call of a chromadb HttpClient (it builds its httpx session with no timeout)."""
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))
    else:  # pragma: no cover - a chromadb release that moved its session
        log.warning("could not set a timeout on the Chroma client: calls may wait without bound")


def _damaged(store_dir: Path, exc: BaseException) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return (
        f"Cannot open the index at {store_dir}: {detail}. If the store is damaged, move the folder away and "
        "run `quotebot index` to build it again."
    )


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _batches(n: int, size: int = _BATCH) -> Iterable[slice]:
    for i in range(0, n, size):
        yield slice(i, min(n, i + size))


class Store:
    """A quotebot index in Chroma, embedded (PersistentClient) or on a server (HttpClient)."""

    def __init__(
        self,
        client,
        prefix: str,
        model: str,
        dim: int,
        lock: FileLock | None,
        location: str,
        vectors: str = "f32",
        owned: Path | None = None,
    ) -> None:
        self._client = client
        self._lock = lock
        self._owned = owned  # the embedded store folder this process owns (see handoff.py)
        self._identity = _file_identity(owned / SQLITE) if owned is not None else None
        self.location = location
        self.model = model
        self.dim = dim
        self.vectors = vectors
        self.prefix = prefix
        self.file_hashes: dict[str, str] = {}  # doc_id -> file hash, recorded by set_marker
        # Rows per read of vectors for the retrieval tables. A server sends them as JSON, decoded into Python
        # floats: 1,000 rows at a time keep a cold start's peak at about half of 5,000 (measured: 5k passages,
        # client peak 0.52 against 0.82 GB, and faster). In process too: SciFact's tables (12.8k passages)
        # loaded at a 0.63 GB peak against 0.71-0.83 GB, in about the same time.
        self._read_batch = _BATCH
        try:
            self._open_collections()
        except BaseException as exc:
            self.close()
            if owned is not None and isinstance(exc, ChromaError | OSError):
                Store.forget(owned)
                raise StoreOpenError(_damaged(owned, exc)) from exc
            raise

    def _open_collections(self) -> None:
        meta = {
            "hnsw:space": "cosine",
            "model": self.model,
            "dim": self.dim,
            "vectors": self.vectors,
            "schema": SCHEMA,
        }
        self._passages = self._collection(f"{self.prefix}-passages", meta)
        self._sentences = self._collection(f"{self.prefix}-sentences", meta)
        self._docs = self._collection(f"{self.prefix}-documents", {"hnsw:space": "l2", "schema": SCHEMA})

    # -- opening -----------------------------------------------------------------------------------------
    @classmethod
    def open(
        cls, settings: IndexSettings, *, model: str, dim: int, write: bool = False, vectors: str = "f32"
    ) -> Store:
        """Open the store named by ``settings``; ``write`` takes the single-writer lock of an embedded store.

        ``vectors`` is the tolerance class of the embedder (see index.embedding.vectors_of): a store built in
        another class is refused like one built with another model."""
        client, lock, location, owned = cls._connect(settings, write=write)
        return cls(client, settings.collection, model, dim, lock, location, vectors, owned)

    @staticmethod
    def _connect(settings: IndexSettings, *, write: bool):
        url = settings.server_url()
        if url:
            parsed = urlparse(url)
            host = parsed.hostname or "127.0.0.1"
            port = parsed.port or (443 if parsed.scheme == "https" else 8000)
            timeout = settings.store_timeout
            try:
                # The client's own start-up requests have no timeout: probe first, with one.
                httpx.get(
                    f"{url}/api/v2/heartbeat", timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0))
                )
                client = chromadb.HttpClient(
                    host=host,
                    port=port,
                    ssl=parsed.scheme == "https",
                    settings=ChromaSettings(anonymized_telemetry=False),
                )
                _set_timeout(client, timeout)
                client.heartbeat()
            except Exception as exc:  # connection refused, DNS, TLS, timeout...
                raise StoreUnavailableError(
                    f"The index is not reachable right now: cannot reach the Chroma server at {url} "
                    f"({exc or exc.__class__.__name__}). Is it running?"
                ) from exc
            return client, None, url, None
        store_dir = Path(settings.store_dir)
        try:
            store_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreOpenError(f"Cannot open the index at {store_dir}: {exc.strerror or exc}.") from exc
        handoff.claim(store_dir)  # one process at a time: StoreInUseError names the owner
        lock = None
        try:
            lock = Store._writer_lock(store_dir) if write else None
            client = Store._embedded_client(store_dir)
        except BaseException as exc:
            if lock is not None:
                lock.release()
            handoff.release(store_dir)
            if isinstance(exc, ChromaError | OSError):
                Store.forget(store_dir)  # chroma keeps a half-started client for the path otherwise
                raise StoreOpenError(_damaged(store_dir, exc)) from exc
            raise
        return client, lock, str(store_dir), store_dir

    @staticmethod
    def _embedded_client(store_dir: Path):
        # Always the absolute path: chroma shares one client per path string within a process.
        return chromadb.PersistentClient(
            path=str(Path(store_dir).resolve()),
            settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
        )

    @staticmethod
    def _writer_lock(store_dir: Path) -> FileLock:
        lock = FileLock(str(store_dir / "writer.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise StoreLockedError(
                f"another quotebot process is writing to {store_dir}. The embedded store takes one writer "
                "at a time: wait for it, stop it, or run a Chroma server (`chroma run --path DIR`) and set "
                "CHROMA_URL so that several processes can share the index."
            ) from None
        return lock

    def _collection(self, name: str, meta: dict):
        col = self._client.get_or_create_collection(name, metadata=meta, embedding_function=None)
        have = col.metadata or {}
        for key in ("model", "dim", "vectors"):
            # Stores written before the encoder classes existed were built by torch f32.
            got = have.get(key, "f32") if key == "vectors" else have.get(key)
            if key in meta and got != meta[key]:
                built = f"{have.get('model')} ({have.get('dim')} dims, {have.get('vectors', 'f32')} vectors)"
                now = f"{meta['model']} ({meta['dim']} dims, {meta['vectors']} vectors)"
                raise StoreMismatchError(
                    f"the index at {self.location} was built with {built}, but quotebot now embeds with {now}. "
                    "Re-index with `quotebot index --rebuild`."
                )
        return col

    def record_encoder(self, encoder: str) -> None:
        """Note the backend/precision (e.g. ``openvino/bf16``) that wrote vectors, for the record; any encoder of
        the store's tolerance class may read and add to it."""
        for col in (self._passages, self._sentences):
            have = dict(col.metadata or {})
            if have.get("encoder") != encoder:
                keep = {k: v for k, v in have.items() if not k.startswith("hnsw:")}
                col.modify(metadata={**keep, "encoder": encoder})

    def encoder(self) -> str | None:
        """The backend/precision that last wrote vectors (None for stores older than this record)."""
        return (self._passages.metadata or {}).get("encoder")

    def close(self) -> None:
        if self._lock is not None and self._lock.is_locked:
            self._lock.release()
        self._lock = None
        if self._owned is not None:
            handoff.release(self._owned)
            self._owned = None

    def release_indexes(self) -> None:
        """An embedded store: drop the vector indexes chromadb loaded into this process and open the folder
        afresh. chromadb keeps a collection's whole index in memory once anything of it was read, and a first
        start reads every row of every collection: at 100k passages that kept ~0.7 GB that no question needs
        (the next query loads only the index it uses). Call it only while nothing else uses the store in this
        process (a retriever does it as it opens). A server keeps its indexes itself: nothing to do."""
        if self._owned is None:
            return
        Store.forget(self._owned)
        self._client = Store._embedded_client(self._owned)
        self._open_collections()

    def lost(self) -> str | None:
        """For an embedded store: a message when its folder was deleted or replaced since it was opened (the
        open files keep answering, but nothing written now would survive a restart); else None."""
        if self._owned is None or self._identity is None:
            return None
        if _file_identity(self._owned / SQLITE) == self._identity:
            return None
        return f"The index folder {self._owned} was deleted or replaced while quotebot was running."

    @staticmethod
    def forget(store_dir: Path) -> None:
        """Drop chromadb's cached client for an embedded store folder, so that the next open reads the
        folder afresh (after it was deleted, or changed behind this process's back)."""
        from chromadb.api.shared_system_client import SharedSystemClient

        key = str(Path(store_dir).resolve())
        system = SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)
        if system is not None:
            try:
                system.stop()
            except Exception:  # noqa: BLE001 - it is being thrown away
                log.debug("stopping the old chroma client failed", exc_info=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def rebuild(cls, settings: IndexSettings, *, model: str, dim: int, vectors: str = "f32") -> Store:
        """Drop every quotebot collection, whatever model built it, and open an empty writable store."""
        client, lock, location, owned = cls._connect(settings, write=True)
        for name in ("passages", "sentences", "documents"):
            try:
                client.delete_collection(f"{settings.collection}-{name}")
            except Exception:  # absent: nothing to drop
                log.debug("no collection %s-%s to drop", settings.collection, name)
        return cls(client, settings.collection, model, dim, lock, location, vectors, owned)

    # -- document markers --------------------------------------------------------------------------------
    @_resilient
    def markers(self, ids: Sequence[str] | None = None) -> dict[str, DocMarker]:
        """Every document marker, or those of ``ids``."""
        got = (
            self._docs.get(ids=list(ids), include=["metadatas"])
            if ids is not None
            else self._docs.get(include=["metadatas"])
        )
        out: dict[str, DocMarker] = {}
        for did, m in zip(got["ids"], got["metadatas"] or [], strict=False):
            if did.startswith(_RESERVED_PREFIX):
                continue
            out[did] = DocMarker(
                did, m["source"], m["title"], m["version"], int(m["passages"]), m.get("file_hash", "")
            )
        return out

    @_resilient
    def document_text(self, doc_id: str) -> str | None:
        got = self._docs.get(ids=[doc_id], include=["documents"])
        docs = got["documents"] or []
        return docs[0] if docs else None

    @_resilient
    def set_marker(self, doc: Document, passages: int) -> None:
        """Switch ``doc`` to its version. The marker also records the hash of the file it came from, when the
        indexer put it in :attr:`file_hashes` (in the same write, so hash and version always agree)."""
        self._docs.upsert(
            ids=[doc.doc_id],
            embeddings=[[1.0]],
            documents=[doc.text],
            metadatas=[
                {
                    "source": doc.source,
                    "title": doc.title,
                    "version": doc.version,
                    "passages": passages,
                    "file_hash": self.file_hashes.get(doc.doc_id, ""),
                }
            ],
        )

    @_resilient
    def record_file_hashes(self, hashes: dict[str, str]) -> None:
        """Add file hashes to markers whose version is already right (e.g. written before hashes existed)."""
        ids = list(hashes)
        for sl in _batches(len(ids)):
            self._docs.update(ids=ids[sl], metadatas=[{"file_hash": hashes[i]} for i in ids[sl]])

    @_resilient
    def delete_marker(self, doc_id: str) -> None:
        self._docs.delete(ids=[doc_id])

    @_resilient
    def generation(self) -> str:
        got = self._docs.get(ids=[_META_ID], include=["metadatas"])
        metas = got["metadatas"] or []
        return str(metas[0].get("generation", "")) if metas else ""

    @_resilient
    def bump_generation(self) -> str:
        gen = uuid.uuid4().hex
        self._docs.upsert(ids=[_META_ID], embeddings=[[0.0]], metadatas=[{"generation": gen}])
        return gen

    # -- writer leases: which indexing runs are alive (several writers can share a Chroma server) --------
    def start_writer(self, run_id: str) -> None:
        now = time.time()
        self._put_writer(run_id, {"started": now, "heartbeat": now, "state": "running"})

    def heartbeat_writer(self, run_id: str, started: float) -> None:
        self._put_writer(run_id, {"started": started, "heartbeat": time.time(), "state": "running"})

    def finish_writer(self, run_id: str, started: float) -> None:
        self._put_writer(run_id, {"started": started, "heartbeat": time.time(), "state": "done"})

    def abort_writer(self, run_id: str, started: float) -> None:
        self._put_writer(run_id, {"started": started, "heartbeat": time.time(), "state": "aborted"})

    @_resilient
    def _put_writer(self, run_id: str, meta: dict) -> None:
        self._docs.upsert(ids=[_WRITER_PREFIX + run_id], embeddings=[[0.0]], metadatas=[meta])

    @_resilient
    def writers(self) -> list[WriterRecord]:
        got = self._docs.get(where={"state": {"$in": ["running", "done", "aborted"]}}, include=["metadatas"])
        return [
            WriterRecord(
                wid.removeprefix(_WRITER_PREFIX), float(m["started"]), float(m["heartbeat"]), m["state"]
            )
            for wid, m in zip(got["ids"], got["metadatas"] or [], strict=False)
            if wid.startswith(_WRITER_PREFIX)
        ]

    @_resilient
    def delete_writers(self, run_ids: Iterable[str]) -> None:
        ids = [_WRITER_PREFIX + r for r in run_ids]
        if ids:
            self._docs.delete(ids=ids)

    # -- passages and sentences --------------------------------------------------------------------------
    @_resilient
    def existing_passage_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for sl in _batches(len(ids)):
            found.update(self._passages.get(ids=list(ids[sl]), include=[])["ids"])
        return found

    @_resilient
    def upsert_passages(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        for sl in _batches(len(passages)):
            chunk = passages[sl]
            self._passages.upsert(
                ids=[p.passage_id for p in chunk],
                embeddings=vectors[sl],
                documents=[p.text for p in chunk],
                metadatas=[passage_meta(p) for p in chunk],
            )

    @_resilient
    def upsert_sentences(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        ids, metas = [], []
        for p in passages:
            for i in range(len(p.sentences)):
                ids.append(unit_id(p.passage_id, i))
                metas.append({"passage_id": p.passage_id, "doc_id": p.doc_id, "version": p.version, "idx": i})
        if len(ids) != len(vectors):
            raise ValueError("one vector per sentence expected")
        for sl in _batches(len(ids)):
            self._sentences.upsert(ids=ids[sl], embeddings=vectors[sl], metadatas=metas[sl])

    @_resilient
    def delete_stale(self, doc_id: str, keep_version: str | None) -> int:
        """Delete the passages and sentences of ``doc_id`` whose version is not ``keep_version``."""
        where: dict = {"doc_id": doc_id}
        if keep_version is not None:
            where = {"$and": [{"doc_id": doc_id}, {"version": {"$ne": keep_version}}]}
        stale = self._passages.get(where=where, include=[])["ids"]
        if stale:
            for sl in _batches(len(stale)):
                self._passages.delete(ids=stale[sl])
        s_stale = self._sentences.get(where=where, include=[])["ids"]
        for sl in _batches(len(s_stale)):
            self._sentences.delete(ids=s_stale[sl])
        return len(stale)

    @_resilient
    def delete_versions(self, pairs: Sequence[tuple[str, str]]) -> int:
        """Delete the passages and sentences of the given (doc_id, version) pairs: one scan per batch of
        documents, not one per document. Returns the passages deleted."""
        deleted = 0
        for sl in _batches(len(pairs), 100):
            terms = [{"$and": [{"doc_id": d}, {"version": v}]} for d, v in pairs[sl]]
            where = terms[0] if len(terms) == 1 else {"$or": terms}
            for col in (self._passages, self._sentences):
                ids = col.get(where=where, include=[])["ids"]
                for part in _batches(len(ids)):
                    col.delete(ids=ids[part])
                if col is self._passages:
                    deleted += len(ids)
        return deleted

    @_resilient
    def delete_version(self, doc_id: str, version: str) -> int:
        """Delete the passages and sentences of ``doc_id`` at exactly ``version``."""
        where = {"$and": [{"doc_id": doc_id}, {"version": version}]}
        ids = self._passages.get(where=where, include=[])["ids"]
        for sl in _batches(len(ids)):
            self._passages.delete(ids=ids[sl])
        s_ids = self._sentences.get(where=where, include=[])["ids"]
        for sl in _batches(len(s_ids)):
            self._sentences.delete(ids=s_ids[sl])
        return len(ids)

    @_resilient
    def version_counts(self) -> dict[tuple[str, str], VersionCount]:
        """Per (doc_id, version) present in the store: its passages, sentences, and the sentences its
        passages say they have."""
        passages: dict[tuple[str, str], int] = {}
        expected: dict[tuple[str, str], int] = {}
        sentences: dict[tuple[str, str], int] = {}
        for col, counts in ((self._passages, passages), (self._sentences, sentences)):
            total = col.count()
            for offset in range(0, total, _BATCH * 5):
                got = col.get(include=["metadatas"], limit=_BATCH * 5, offset=offset)
                for m in got["metadatas"] or []:
                    key = (m["doc_id"], m["version"])
                    counts[key] = counts.get(key, 0) + 1
                    if col is self._passages:
                        expected[key] = expected.get(key, 0) + len(decode_spans(m.get("sentences", "")))
        return {
            key: VersionCount(passages.get(key, 0), sentences.get(key, 0), expected.get(key, 0))
            for key in passages.keys() | sentences.keys()
        }

    def versions_present(self) -> set[tuple[str, str]]:
        """(doc_id, version) pairs that have passages or sentences in the store."""
        return set(self.version_counts())

    @_resilient
    def all_passages(self) -> list[Passage]:
        out: list[Passage] = []
        total = self._passages.count()
        for offset in range(0, total, _BATCH * 5):
            got = self._passages.get(include=["documents", "metadatas"], limit=_BATCH * 5, offset=offset)
            out.extend(
                passage_from(pid, text, m)
                for pid, text, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            )
        return out

    @_resilient
    def passages_with_vectors(self) -> tuple[list[Passage], np.ndarray]:
        """Every passage with its embedding, read together (no later lookup can miss a deleted row)."""
        out: list[Passage] = []
        vecs: list[np.ndarray] = []
        total = self._passages.count()
        for offset in range(0, total, _BATCH * 5):
            got = self._passages.get(
                include=["documents", "metadatas", "embeddings"], limit=_BATCH * 5, offset=offset
            )
            for pid, text, m, v in zip(
                got["ids"], got["documents"], got["metadatas"], got["embeddings"], strict=True
            ):
                out.append(passage_from(pid, text, m))
                vecs.append(v)
        arr = np.asarray(vecs, dtype=np.float32) if vecs else np.zeros((0, self.dim), dtype=np.float32)
        return out, arr

    @_resilient
    def passage_vectors(self, ids: Sequence[str]) -> np.ndarray:
        """Embeddings of the given passages, in the given order."""
        rows: dict[str, np.ndarray] = {}
        for sl in _batches(len(ids)):
            got = self._passages.get(ids=list(ids[sl]), include=["embeddings"])
            rows.update(zip(got["ids"], got["embeddings"], strict=True))
        if not ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray([rows[i] for i in ids], dtype=np.float32)

    @_resilient
    def sentence_vectors(self) -> SentenceVectors:
        pids: list[str] = []
        idx: list[int] = []
        vecs: list[np.ndarray] = []
        total = self._sentences.count()
        for offset in range(0, total, _BATCH * 5):
            got = self._sentences.get(include=["embeddings", "metadatas"], limit=_BATCH * 5, offset=offset)
            for m, v in zip(got["metadatas"], got["embeddings"], strict=True):
                pids.append(m["passage_id"])
                idx.append(int(m["idx"]))
                vecs.append(v)
        arr = np.asarray(vecs, dtype=np.float32) if vecs else np.zeros((0, self.dim), dtype=np.float32)
        return SentenceVectors(pids, idx, arr)

    @_resilient
    def count(self) -> int:
        return self._passages.count()

    @_resilient
    def query_passages(
        self, vector: np.ndarray, n: int, doc_id: str | None = None, *, total: int | None = None
    ) -> list[tuple[str, float]]:
        """(passage_id, cosine similarity) of the ``n`` nearest passages, best first. ``total``: the number of
        passages when the caller knows it (saves a count)."""
        if total is None:
            total = self._passages.count()
        if total == 0 or n <= 0:
            return []
        got = self._passages.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(n, total),
            where={"doc_id": doc_id} if doc_id else None,
            include=["distances"],
        )
        ids = got["ids"][0] if got["ids"] else []
        dists = got["distances"][0] if got["distances"] else []
        return [(pid, distance_to_similarity(d)) for pid, d in zip(ids, dists, strict=True)]

    # -- the retrieval tables' reads ---------------------------------------------------------------------
    def collection_id(self) -> str:
        """The passages collection's id: it changes when the collections are dropped and re-created."""
        return str(self._passages.id)

    @_resilient
    def passage_columns(self, live: dict[str, str], doc_ids: Sequence[str] | None = None) -> PassageColumns:
        """The passages of ``doc_ids`` (every document when None) whose version is ``live[doc_id]``, with their
        embeddings, as columns."""

        def keep(m: dict) -> bool:
            return live.get(m["doc_id"]) == m["version"]

        include = ["documents", "metadatas", "embeddings"]
        parts: list[PassageColumns] = []
        if doc_ids is None:
            total = self._passages.count()
            for offset in range(0, total, self._read_batch):
                got = self._passages.get(include=include, limit=self._read_batch, offset=offset)
                parts.append(
                    columns_of(
                        got["ids"], got["documents"], got["metadatas"], got["embeddings"], self.dim, keep
                    )
                )
        else:
            for sl in _batches(len(doc_ids), 200):
                chunk = list(doc_ids[sl])
                where = {"doc_id": chunk[0]} if len(chunk) == 1 else {"doc_id": {"$in": chunk}}
                got = self._passages.get(where=where, include=include)
                parts.append(
                    columns_of(
                        got["ids"], got["documents"], got["metadatas"], got["embeddings"], self.dim, keep
                    )
                )
        return concat_columns(parts, self.dim)

    @_resilient
    def unit_vectors(
        self, passage_ids: Sequence[str], counts: Sequence[int], dtype: type = np.float32
    ) -> tuple[np.ndarray, np.ndarray]:
        """The unit vectors of the given passages (``counts[i]`` units each), in passage and unit order, as
        ``dtype``, and per passage whether all its units were found (a passage with a missing unit gets none).
        Read batch by batch into one array: no copy of the whole read is held beside it."""
        ids = [unit_id(pid, i) for pid, n in zip(passage_ids, counts, strict=True) for i in range(n)]
        out = np.zeros((len(ids), self.dim), dtype=dtype)
        found = np.zeros(len(ids), dtype=bool)
        for sl in _batches(len(ids), self._read_batch):
            chunk = ids[sl]
            got = self._sentences.get(ids=chunk, include=["embeddings"])
            if got["ids"]:
                where = {u: sl.start + i for i, u in enumerate(chunk)}
                rows = np.asarray([where[u] for u in got["ids"]], dtype=np.int64)
                out[rows] = np.asarray(got["embeddings"], dtype=np.float32).reshape(-1, self.dim)
                found[rows] = True
        owner = np.repeat(np.arange(len(passage_ids)), np.asarray(counts, dtype=np.int64))
        complete = np.ones(len(passage_ids), dtype=bool)
        complete[owner[~found]] = False
        keep = complete[owner]
        return (out if keep.all() else out[keep]), complete
