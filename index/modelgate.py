"""One model call at a time, questions first.

Indexing a large document used to hold the model for the whole document's encode (a question waited 32 s
behind a 478 KB file). Document encodes now take the model one bounded batch at a time (see
``TokenEncoder._forward``), and between two batches a waiting question goes first."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class ModelGate:
    """A lock with two doors: ``query()`` and ``document()``. Whenever the model is free, a waiting query
    gets it before any waiting document batch."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._queries_waiting = 0

    @contextlib.contextmanager
    def query(self) -> Iterator[None]:
        with self._cond:
            self._queries_waiting += 1
            try:
                self._cond.wait_for(lambda: not self._busy)
            finally:
                self._queries_waiting -= 1
            self._busy = True
        try:
            yield
        finally:
            self._release()

    @contextlib.contextmanager
    def document(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._busy and not self._queries_waiting)
            self._busy = True
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()
