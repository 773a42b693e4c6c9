"""all-MiniLM-L6-v2 on a token-level runtime: `tokenizers` + OpenVINO, ONNX Runtime or torch.

Every backend computes the same thing as sentence-transformers (mean of the token embeddings over the attention
mask, L2-normalised; a 256-token window), and exposes the token embeddings themselves, so that unit vectors
(sentences, list items, code blocks...) can be pooled from the passage's own forward pass: "late chunking".
Only the torch backend imports torch.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

import numpy as np

from .batcher import QueryBatcher
from .modelgate import ModelGate

log = logging.getLogger(__name__)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MODEL_DIM = 384
MAX_TOKENS = 256  # the model's window, special tokens included
CLS_ID, SEP_ID = 101, 102
BATCH_TOKENS = 8 * MAX_TOKENS  # padded tokens per forward pass: bounds the runtime's working memory
UNIT_MODES = ("contextual", "centered", "separate", "segments")
CENTER = 0.5  # share of the passage vector taken out of its units' vectors in the "centered" mode

Spans = Sequence[tuple[int, int]]
Door = Callable[[], AbstractContextManager[object]]  # how a forward pass takes the model


class Runtime(Protocol):
    backend: str
    precision: str

    def token_embeddings(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """(batch, tokens) int64 ids and mask -> (batch, tokens, dim) float32."""
        ...


class OpenVINORuntime:
    backend = "openvino"

    def __init__(self, model_xml: Path, precision: str) -> None:
        import openvino as ov

        self.precision = precision
        core = ov.Core()
        config = {
            # Explicit, so that vectors do not change with the machine's default (bf16 on some CPUs).
            "INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32",
            "PERFORMANCE_HINT": "LATENCY",
            # Kernels cached per input shape: every batch has its own (length-sorted) shape, and the default
            # 5,000 entries held 160 MB more at the end of the guide (808 -> 694 MB peak at 64; same CPU time).
            # 8 held 100 MB less again over two groups of SciFact (with oneDNN's own cache off, see
            # embedding.load_encoder), at the same CPU time and query latency.
            "CPU_RUNTIME_CACHE_CAPACITY": 8,
        }
        self._compiled = core.compile_model(core.read_model(str(model_xml)), "CPU", config)
        self._request = self._compiled.create_infer_request()

    def token_embeddings(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        result = self._request.infer(
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        )
        return np.asarray(result[0], dtype=np.float32)


class OnnxRuntime:
    backend = "onnx"

    def __init__(self, model_onnx: Path, precision: str = "f32") -> None:
        import onnxruntime as ort

        if precision != "f32":
            raise ValueError("the onnx backend runs in f32")
        self.precision = precision
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(model_onnx), options, providers=["CPUExecutionProvider"])

    def token_embeddings(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        return np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)


class TorchRuntime:
    """The reference: the packaged weights in torch, fp32."""

    backend = "torch"

    def __init__(self, model_dir: Path, precision: str = "f32") -> None:
        import torch
        from transformers import AutoModel

        if precision != "f32":
            raise ValueError("the torch backend runs in f32")
        self.precision = precision
        self._torch = torch
        self._model = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    def token_embeddings(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            out = self._model(
                input_ids=torch.from_numpy(ids),
                attention_mask=torch.from_numpy(mask),
                token_type_ids=torch.zeros_like(torch.from_numpy(ids)),
            )
        return out.last_hidden_state.float().numpy()


class _Tokens:
    """One text's content tokens (no special tokens) and their character offsets, before the window cut."""

    __slots__ = ("ids", "starts", "ends")

    def __init__(self, ids: list[int], offsets: list[tuple[int, int]]) -> None:
        self.ids = ids
        self.starts = np.fromiter((a for a, _ in offsets), dtype=np.int64, count=len(offsets))
        self.ends = np.fromiter((b for _, b in offsets), dtype=np.int64, count=len(offsets))

    @property
    def kept(self) -> int:
        """Content tokens inside the window (the window holds [CLS] and [SEP] too)."""
        return min(len(self.ids), MAX_TOKENS - 2)

    def window(self) -> list[int]:
        return [CLS_ID, *self.ids[: self.kept], SEP_ID]

    def token_range(self, a: int, b: int) -> tuple[int, int] | None:
        """Content-token range [lo, hi) of characters [a, b), or None when the unit is not wholly inside the
        window (or has no token at all)."""
        lo = int(np.searchsorted(self.ends, a, side="right"))
        hi = int(np.searchsorted(self.starts, b, side="left"))
        if hi <= lo or hi > self.kept:
            return None
        return lo, hi


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class TokenEncoder:
    """An `Embedder` over a token-level runtime. Thread-safe (one forward pass at a time)."""

    name = MODEL_NAME
    dim = MODEL_DIM
    vectors = "f32"  # tolerance class: bf16 and f32 vectors are interchangeable (cosine >= 0.9999)

    def __init__(
        self, tokenizer_json: Path, runtime: Runtime, *, batch_size: int = 64, units: str = "separate"
    ) -> None:
        from tokenizers import Tokenizer

        if units not in UNIT_MODES:
            raise ValueError(f"units must be one of {UNIT_MODES}")
        self._tokenizer = Tokenizer.from_file(str(tokenizer_json))
        # The packaged tokenizer.json truncates and pads at 128; we cut at the model's 256 ourselves.
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self.runtime = runtime
        self.batch_size = batch_size
        self.units = units
        # One model call at a time, and between two batches a waiting question goes first (reliability
        # defect 6: a question used to wait 32 s behind a large document's whole encode).
        self._gate = ModelGate()
        # Questions that arrive together share one forward pass (index/batcher.py): the batcher's worker
        # takes the gate's query door itself, then encodes everything waiting.
        self._queries = QueryBatcher(
            lambda texts: self._embed(texts, contextlib.nullcontext), hold=self._gate.query
        )

    @property
    def encoder(self) -> str:
        """Backend and precision, e.g. ``openvino/bf16``."""
        return f"{self.runtime.backend}/{self.runtime.precision}"

    # -- tokens ------------------------------------------------------------------------------------------
    def _tokenize(self, texts: Sequence[str]) -> list[_Tokens]:
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [_Tokens(e.ids, e.offsets) for e in encodings]

    def _forward(self, windows: list[list[int]], door: Door) -> np.ndarray:
        width = max(len(w) for w in windows)
        ids = np.zeros((len(windows), width), dtype=np.int64)
        mask = np.zeros((len(windows), width), dtype=np.int64)
        for i, w in enumerate(windows):
            ids[i, : len(w)] = w
            mask[i, : len(w)] = 1
        with door():
            return self.runtime.token_embeddings(ids, mask)

    def _batches(self, tokens: list[_Tokens], door: Door | None = None):
        """(indices, token embeddings) per batch: texts of similar length together (less padding), at most
        ``batch_size`` texts and :data:`BATCH_TOKENS` padded tokens per batch (the runtime's working memory
        grows with batch x length^2: on the guide, 64 full windows per batch peaked at 1.26 GB RSS, 8 at
        0.50 GB, at the same speed)."""
        door = door or self._gate.document
        order = sorted(range(len(tokens)), key=lambda i: tokens[i].kept)
        idx: list[int] = []
        for i in order:
            width = tokens[i].kept + 2  # the longest so far: the order is by length
            if idx and (len(idx) >= self.batch_size or (len(idx) + 1) * width > BATCH_TOKENS):
                yield idx, self._forward([tokens[j].window() for j in idx], door)
                idx = []
            idx.append(i)
        if idx:
            yield idx, self._forward([tokens[j].window() for j in idx], door)

    # -- the Embedder protocol ---------------------------------------------------------------------------
    def embed_documents(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        """Vectors of ``texts``; ``query`` takes the model through the questions' door (first in line)."""
        return self._embed(texts, self._gate.query if query else self._gate.document)

    def _embed(self, texts: list[str], door: Door) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        tokens = self._tokenize(texts)
        for idx, hidden in self._batches(tokens, door):
            for row, i in enumerate(idx):
                n = tokens[i].kept + 2
                out[i] = hidden[row, :n].mean(axis=0)
        return _normalise(out)

    def embed_tokens(self, texts: list[str]) -> list[np.ndarray]:
        """Each text's normalised token embeddings (content tokens, inside the window), through the questions'
        door: for re-scoring candidates by late interaction while a question waits."""
        tokens = self._tokenize(texts)
        out: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(texts)
        for idx, hidden in self._batches(tokens, self._gate.query):
            for row, i in enumerate(idx):
                out[i] = _normalise(hidden[row, 1 : tokens[i].kept + 1])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One question's vector. Questions asked at the same time (from other threads) are encoded in one
        batch; each thread gets its own row."""
        return self._queries.embed(text)

    @property
    def query_batcher(self) -> QueryBatcher:
        return self._queries

    def embed_with_units(self, texts: list[str], spans: Sequence[Spans]) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of ``texts`` and of their units (``spans[i]``: character spans into ``texts[i]``), the
        units of all texts concatenated in order.

        ``contextual`` (the default) pools each unit's tokens out of its text's forward pass; a unit that
        the window cuts off, or that has no token, is encoded on its own. ``separate`` encodes every unit on
        its own (the slow way, kept for comparison)."""
        if len(texts) != len(spans):
            raise ValueError("one span list per text expected")
        if self.units == "separate":
            units = [t[a:b] for t, sp in zip(texts, spans, strict=True) for a, b in sp]
            both = self.embed_documents(list(texts) + units)
            return both[: len(texts)], both[len(texts) :]
        if self.units == "segments":
            return self._segments(texts, spans)
        first = np.cumsum([0, *(len(sp) for sp in spans)])
        passages = np.zeros((len(texts), self.dim), dtype=np.float32)
        units = np.zeros((int(first[-1]), self.dim), dtype=np.float32)
        alone: list[int] = []  # units to encode on their own
        tokens = self._tokenize(texts)
        for idx, hidden in self._batches(tokens):
            for row, i in enumerate(idx):
                tok = tokens[i]
                h = hidden[row, : tok.kept + 2]
                passages[i] = h.mean(axis=0)
                sums = np.cumsum(h[1:-1], axis=0)  # content tokens
                for j, (a, b) in enumerate(spans[i]):
                    r = tok.token_range(a, b)
                    if r is None:
                        alone.append(int(first[i]) + j)
                        continue
                    lo, hi = r
                    total = sums[hi - 1] - (sums[lo - 1] if lo else 0.0)
                    units[int(first[i]) + j] = total / (hi - lo)
        passages = _normalise(passages)
        if len(units):
            units = _normalise(units)
            if self.units == "centered":
                # Take out part of the passage's own direction, which every unit pooled from it shares: the
                # units of one passage then differ as much as their words do (see CENTER).
                owner = np.repeat(np.arange(len(texts)), [len(sp) for sp in spans])
                units = _normalise(units - CENTER * passages[owner])
        if alone:
            flat = [(i, a, b) for i, sp in enumerate(spans) for a, b in sp]
            units[alone] = self.embed_documents([texts[flat[k][0]][flat[k][1] : flat[k][2]] for k in alone])
        return passages, units

    def _segments(self, texts: Sequence[str], spans: Sequence[Spans]) -> tuple[np.ndarray, np.ndarray]:
        """Each unit (and each stretch of text between units) encoded alone; a text's vector is the mean of
        all its segments' token embeddings (special tokens included), so nothing is encoded twice."""
        pieces: list[str] = []
        owner: list[int] = []  # text of each piece
        unit_rows: list[int] = []  # piece of each unit, in order
        for i, (text, sp) in enumerate(zip(texts, spans, strict=True)):
            pos = 0
            for a, b in sorted(sp):
                if text[pos:a].strip():
                    pieces.append(text[pos:a])
                    owner.append(i)
                pos = max(pos, b)
            if text[pos:].strip() or not sp:
                pieces.append(text[pos:] if sp else text)
                owner.append(i)
            for a, b in sp:
                unit_rows.append(len(pieces))
                pieces.append(text[a:b])
                owner.append(i)
        sums = np.zeros((len(texts), self.dim), dtype=np.float32)
        counts = np.zeros(len(texts), dtype=np.float32)
        vectors = np.zeros((len(pieces), self.dim), dtype=np.float32)
        tokens = self._tokenize(pieces)
        for idx, hidden in self._batches(tokens):
            for row, k in enumerate(idx):
                h = hidden[row, : tokens[k].kept + 2]
                vectors[k] = h.mean(axis=0)
                sums[owner[k]] += h.sum(axis=0)
                counts[owner[k]] += len(h)
        passages = sums / np.maximum(counts, 1.0)[:, None]
        units = vectors[unit_rows] if unit_rows else np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(passages), _normalise(units) if len(units) else units

    def token_count(self, text: str) -> int:
        """Word pieces of ``text`` (without the special tokens)."""
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)
