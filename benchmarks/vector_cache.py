"""An embedder wrapper that remembers vectors on disk (SQLite, keyed by a hash of the text), so that benchmark
and fitting runs over the same corpora embed each text once. For benchmarks only: serving never uses it."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import numpy as np


class CachedEmbedder:
    def __init__(self, inner, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS v (k TEXT PRIMARY KEY, vec BLOB)")
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()

    def _cached(self, keys: list[str]) -> dict[str, np.ndarray]:
        """The cached rows of ``keys``, each as an array of shape (n, dim)."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                rows = self._db.execute(
                    f"SELECT k, vec FROM v WHERE k IN ({','.join('?' * len(chunk))})", chunk
                ).fetchall()
                found.update((k, np.frombuffer(b, dtype=np.float32).reshape(-1, self.dim)) for k, b in rows)
        return found

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        found = {k: v[0] for k, v in self._cached(keys).items()}
        todo = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        if todo:
            vecs = self.inner.embed_documents([t for _, t in todo])
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO v VALUES (?, ?)",
                    [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(todo, vecs, strict=True)],
                )
                self._db.commit()
            found.update((k, v.astype(np.float32)) for (k, _), v in zip(todo, vecs, strict=True))
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys])

    def embed_with_units(self, texts: list[str], spans) -> tuple[np.ndarray, np.ndarray]:
        """Passage vectors and unit vectors, cached per (unit mode, text, spans)."""
        settings = getattr(self.inner, "settings", None)
        mode = getattr(self.inner, "units", None) or getattr(settings, "units", None) or "separate"
        if mode == "separate":  # units are plain texts: the text cache serves them
            units = [t[a:b] for t, sp in zip(texts, spans, strict=True) for a, b in sp]
            vectors = self.embed_documents(list(texts) + units)
            return vectors[: len(texts)], vectors[len(texts) :]
        keys = [self._key(f"{mode}\x00{t}\x00{list(sp)}") for t, sp in zip(texts, spans, strict=True)]
        found = self._cached(keys)
        todo = [i for i, k in enumerate(keys) if k not in found]
        if todo:
            p_vecs, u_vecs = self.inner.embed_with_units([texts[i] for i in todo], [spans[i] for i in todo])
            pos = 0
            rows = []
            for j, i in enumerate(todo):
                n = len(spans[i])
                block = np.vstack([p_vecs[j : j + 1], u_vecs[pos : pos + n]]).astype(np.float32)
                pos += n
                found[keys[i]] = block
                rows.append((keys[i], block.tobytes()))
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO v VALUES (?, ?)", rows)
                self._db.commit()
        self.hits += len(keys) - len(todo)
        self.misses += len(todo)
        blocks = [found[k] for k in keys]
        passages = np.stack([b[0] for b in blocks]) if blocks else np.zeros((0, self.dim), np.float32)
        units = [b[1:] for b in blocks if len(b) > 1]
        return passages, (np.vstack(units) if units else np.zeros((0, self.dim), np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]

    def __getattr__(self, name: str):
        return getattr(self.inner, name)
