"""The Chroma store: the only module that imports chromadb.

Three collections share a prefix:
- ``{prefix}-passages``: one record per passage (cosine space, the passage embedding, its text and attribution).
- ``{prefix}-sentences``: one record per sentence of a passage (cosine space), for sentence-level focus.
- ``{prefix}-documents``: one marker per document (its current version, title, cleaned text). A passage is live
  only while its version equals its document's marker: markers switch atomically, so a document is always
  wholly at its old or its new version as far as answers are concerned.
Every call converts Chroma's column-oriented results into records at this boundary.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from filelock import FileLock, Timeout

from .config import IndexSettings
from .errors import StoreLockedError, StoreMismatchError, StoreUnavailableError
from .models import Block, Document, Passage, StyleSpan

log = logging.getLogger(__name__)

SCHEMA = 1
_BATCH = 1000
_META_ID = "__quotebot_meta__"


@dataclass(frozen=True)
class DocMarker:
    doc_id: str
    source: str
    title: str
    version: str
    passages: int
    file_hash: str = ""  # hash of the file (and pipeline version) the marker's version was made from


@dataclass(frozen=True)
class SentenceVectors:
    passage_ids: list[str]
    index: list[int]  # sentence index within its passage
    vectors: np.ndarray  # (n, dim), normalised


def distance_to_similarity(distance: float) -> float:
    """Chroma's cosine distance -> cosine similarity. The one place this conversion happens."""
    return 1.0 - float(distance)


def _encode_spans(spans: Sequence[tuple[int, int]]) -> str:
    return ",".join(f"{a}:{b}" for a, b in spans)


def _decode_spans(value: str) -> tuple[tuple[int, int], ...]:
    if not value:
        return ()
    out = []
    for part in value.split(","):
        a, b = part.split(":")
        out.append((int(a), int(b)))
    return tuple(out)


def _encode_blocks(blocks: Sequence[Block]) -> str:
    """Blocks as compact JSON (section paths listed once)."""
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
                [[s.start, s.end, s.style] for s in b.styles],
            ]
        )
    return json.dumps({"p": paths, "b": rows}, ensure_ascii=False, separators=(",", ":"))


def _decode_blocks(value: str) -> tuple[Block, ...]:
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
            tuple(StyleSpan(x, y, st) for x, y, st in styles),
            anchor,
        )
        for kind, a, b, pi, level, lang, l0, l1, anchor, styles in data["b"]
    )


def _passage_meta(p: Passage) -> dict:
    return {
        "blocks": _encode_blocks(p.blocks),
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
        "sentences": _encode_spans(p.sentences),
    }


def _passage_from(pid: str, text: str, m: dict) -> Passage:
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
        sentences=_decode_spans(m.get("sentences", "")),
        blocks=_decode_blocks(m.get("blocks", "")),
        section=tuple(json.loads(m["section"])) if m.get("section") else (),
        page_url=m.get("page_url") or None,
        markup=bool(m.get("markup", False)),
    )


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
    ) -> None:
        self._client = client
        self._lock = lock
        self.location = location
        self.model = model
        self.dim = dim
        self.vectors = vectors
        self.prefix = prefix
        self.file_hashes: dict[str, str] = {}  # doc_id -> file hash, recorded by set_marker
        try:
            self._open_collections()
        except StoreMismatchError:
            self.close()
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
        client, lock, location = cls._connect(settings, write=write)
        return cls(client, settings.collection, model, dim, lock, location, vectors)

    @staticmethod
    def _connect(settings: IndexSettings, *, write: bool):
        url = settings.server_url()
        if url:
            parsed = urlparse(url)
            host = parsed.hostname or "127.0.0.1"
            port = parsed.port or (443 if parsed.scheme == "https" else 8000)
            try:
                client = chromadb.HttpClient(
                    host=host,
                    port=port,
                    ssl=parsed.scheme == "https",
                    settings=ChromaSettings(anonymized_telemetry=False),
                )
                client.heartbeat()
            except Exception as exc:  # connection refused, DNS, TLS...
                raise StoreUnavailableError(f"cannot reach the Chroma server at {url}: {exc}") from exc
            return client, None, url
        store_dir = Path(settings.store_dir)
        store_dir.mkdir(parents=True, exist_ok=True)
        lock = None
        if write:
            lock = FileLock(str(store_dir / "writer.lock"))
            try:
                lock.acquire(timeout=0)
            except Timeout:
                raise StoreLockedError(
                    f"another quotebot process is writing to {store_dir}. The embedded store takes one writer "
                    "at a time: wait for it, stop it, or run a Chroma server (`chroma run --path DIR`) and set "
                    "CHROMA_URL so that several processes can share the index."
                ) from None
        client = chromadb.PersistentClient(
            path=str(store_dir), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        )
        return client, lock, str(store_dir)

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

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def rebuild(cls, settings: IndexSettings, *, model: str, dim: int, vectors: str = "f32") -> Store:
        """Drop every quotebot collection, whatever model built it, and open an empty writable store."""
        client, lock, location = cls._connect(settings, write=True)
        for name in ("passages", "sentences", "documents"):
            try:
                client.delete_collection(f"{settings.collection}-{name}")
            except Exception:  # absent: nothing to drop
                log.debug("no collection %s-%s to drop", settings.collection, name)
        return cls(client, settings.collection, model, dim, lock, location, vectors)

    # -- document markers --------------------------------------------------------------------------------
    def markers(self) -> dict[str, DocMarker]:
        got = self._docs.get(include=["metadatas"])
        out: dict[str, DocMarker] = {}
        for did, m in zip(got["ids"], got["metadatas"] or [], strict=False):
            if did == _META_ID:
                continue
            out[did] = DocMarker(
                did, m["source"], m["title"], m["version"], int(m["passages"]), m.get("file_hash", "")
            )
        return out

    def document_text(self, doc_id: str) -> str | None:
        got = self._docs.get(ids=[doc_id], include=["documents"])
        docs = got["documents"] or []
        return docs[0] if docs else None

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

    def record_file_hashes(self, hashes: dict[str, str]) -> None:
        """Add file hashes to markers whose version is already right (e.g. written before hashes existed)."""
        ids = list(hashes)
        for sl in _batches(len(ids)):
            self._docs.update(ids=ids[sl], metadatas=[{"file_hash": hashes[i]} for i in ids[sl]])

    def delete_marker(self, doc_id: str) -> None:
        self._docs.delete(ids=[doc_id])

    def generation(self) -> str:
        got = self._docs.get(ids=[_META_ID], include=["metadatas"])
        metas = got["metadatas"] or []
        return str(metas[0].get("generation", "")) if metas else ""

    def bump_generation(self) -> str:
        gen = uuid.uuid4().hex
        self._docs.upsert(ids=[_META_ID], embeddings=[[0.0]], metadatas=[{"generation": gen}])
        return gen

    # -- passages and sentences --------------------------------------------------------------------------
    def existing_passage_ids(self, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for sl in _batches(len(ids)):
            found.update(self._passages.get(ids=list(ids[sl]), include=[])["ids"])
        return found

    def upsert_passages(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        for sl in _batches(len(passages)):
            chunk = passages[sl]
            self._passages.upsert(
                ids=[p.passage_id for p in chunk],
                embeddings=vectors[sl],
                documents=[p.text for p in chunk],
                metadatas=[_passage_meta(p) for p in chunk],
            )

    def upsert_sentences(self, passages: Sequence[Passage], vectors: np.ndarray) -> None:
        ids, metas = [], []
        for p in passages:
            for i in range(len(p.sentences)):
                ids.append(f"{p.passage_id}-s{i:03d}")
                metas.append({"passage_id": p.passage_id, "doc_id": p.doc_id, "version": p.version, "idx": i})
        if len(ids) != len(vectors):
            raise ValueError("one vector per sentence expected")
        for sl in _batches(len(ids)):
            self._sentences.upsert(ids=ids[sl], embeddings=vectors[sl], metadatas=metas[sl])

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

    def versions_present(self) -> set[tuple[str, str]]:
        """(doc_id, version) pairs that have passages or sentences in the store."""
        pairs: set[tuple[str, str]] = set()
        for col in (self._passages, self._sentences):
            total = col.count()
            for offset in range(0, total, _BATCH * 5):
                got = col.get(include=["metadatas"], limit=_BATCH * 5, offset=offset)
                pairs.update((m["doc_id"], m["version"]) for m in got["metadatas"] or [])
        return pairs

    def all_passages(self) -> list[Passage]:
        out: list[Passage] = []
        total = self._passages.count()
        for offset in range(0, total, _BATCH * 5):
            got = self._passages.get(include=["documents", "metadatas"], limit=_BATCH * 5, offset=offset)
            out.extend(
                _passage_from(pid, text, m)
                for pid, text, m in zip(got["ids"], got["documents"], got["metadatas"], strict=True)
            )
        return out

    def passage_vectors(self, ids: Sequence[str]) -> np.ndarray:
        """Embeddings of the given passages, in the given order."""
        rows: dict[str, np.ndarray] = {}
        for sl in _batches(len(ids)):
            got = self._passages.get(ids=list(ids[sl]), include=["embeddings"])
            rows.update(zip(got["ids"], got["embeddings"], strict=True))
        if not ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray([rows[i] for i in ids], dtype=np.float32)

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

    def count(self) -> int:
        return self._passages.count()

    def query_passages(
        self, vector: np.ndarray, n: int, doc_id: str | None = None
    ) -> list[tuple[str, float]]:
        """(passage_id, cosine similarity) of the ``n`` nearest passages, best first."""
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
