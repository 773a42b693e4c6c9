"""Questions that arrive together share one encode: a micro-batcher in front of the model.

One worker thread owns the query side of the model. A question's thread puts its text in the queue and
waits; the worker takes the first waiting question, gives others ``window`` seconds to join, takes the model
(``hold``: the :class:`~index.modelgate.ModelGate`'s query door, so a document batch in progress finishes
first, and every question that arrives meanwhile joins too), then encodes everything waiting, up to
``max_batch`` texts, in one call, and hands each thread its own row. Ranking then goes on in each
question's thread, independently.

Why: on 2 cores one short question costs about 7 ms of encoding alone and about 3 ms per question in a
batch of 8 or more (see benchmarks/bot_latency.py); a burst of 50 questions used to queue for the model one
at a time.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import numpy as np

log = logging.getLogger(__name__)

WINDOW = 0.002  # seconds a first question waits for others to join (only when the model is idle)
MAX_BATCH = 16  # texts per encode: bigger batches gain little per text and delay the first answers


class _Slot:
    __slots__ = ("text", "done", "vector", "error")

    def __init__(self, text: str) -> None:
        self.text = text
        self.done = threading.Event()
        self.vector: np.ndarray | None = None
        self.error: BaseException | None = None


class QueryBatcher:
    """``embed(text)`` from any number of threads; texts that wait together are encoded together.

    ``encode(texts)`` returns one row per text and runs only on the worker thread, inside ``hold()``.
    """

    def __init__(
        self,
        encode: Callable[[list[str]], np.ndarray],
        *,
        hold: Callable[[], AbstractContextManager[object]] = contextlib.nullcontext,
        window: float = WINDOW,
        max_batch: int = MAX_BATCH,
        name: str = "quotebot-query-encoder",
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._encode = encode
        self._hold = hold
        self.window = window
        self.max_batch = max_batch
        self._name = name
        self._cond = threading.Condition()
        self._queue: list[_Slot] = []
        self._worker: threading.Thread | None = None
        self._closed = False
        #: Texts per encode call, for benchmarks and tests (bounded: the most recent 10,000 calls).
        self.batch_sizes: list[int] = []

    def embed(self, text: str) -> np.ndarray:
        slot = _Slot(text)
        with self._cond:
            if self._closed:
                raise RuntimeError("the query encoder is closed")
            self._queue.append(slot)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._worker.start()
            self._cond.notify()
        slot.done.wait()
        if slot.error is not None:
            raise slot.error
        assert slot.vector is not None
        return slot.vector

    def close(self) -> None:
        """Stop the worker once the questions already queued are answered."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        worker = self._worker
        if worker is not None and worker is not threading.current_thread():
            worker.join(10)

    # -- the worker --------------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    return  # closed and drained
                first = time.monotonic()
                if self.window > 0:
                    self._cond.wait_for(
                        lambda: len(self._queue) >= self.max_batch,
                        timeout=max(0.0, first + self.window - time.monotonic()),
                    )
            with self._hold():
                with self._cond:
                    batch = self._queue[: self.max_batch]
                    del self._queue[: len(batch)]
                self._serve(batch)

    def _serve(self, batch: list[_Slot]) -> None:
        try:
            vectors = self._encode([s.text for s in batch])
            if len(vectors) != len(batch):
                raise RuntimeError(f"the encoder returned {len(vectors)} rows for {len(batch)} texts")
        except BaseException as error:  # noqa: BLE001 - every waiting question gets the error, not a hang
            log.debug("a query batch of %d failed: %s", len(batch), error)
            for slot in batch:
                slot.error = error
                slot.done.set()
            return
        if len(self.batch_sizes) >= 10_000:
            del self.batch_sizes[:5_000]
        self.batch_sizes.append(len(batch))
        for slot, vector in zip(batch, vectors, strict=True):
            slot.vector = vector
            slot.done.set()
