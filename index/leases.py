"""Writer leases: how several indexing runs on one Chroma server keep out of each other's way.

Each run holds a lease record in the store, refreshed every HEARTBEAT_SECONDS by a daemon thread and closed at
the end (``done``, or ``aborted`` when the run raised). A run killed outright leaves it ``running`` until its
heartbeat is older than LEASE_SECONDS. Chroma has no compare-and-swap, so this is not a lock: a run only sweeps
orphans when no other writer is alive, and bumps the generation when it finds another run's lease unfinished.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from .records import WriterRecord
from .store import Store

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0  # how often a running indexer refreshes its writer lease
LEASE_SECONDS = 90.0  # a writer whose lease is older than this is presumed dead


class Lease:
    """This run's writer record (a context manager)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.run_id = uuid.uuid4().hex
        self.started = time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="quotebot-writer-lease", daemon=True)

    def __enter__(self) -> Lease:
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


def alive(writer: WriterRecord, now: float) -> bool:
    return writer.state == "running" and now - writer.heartbeat < LEASE_SECONDS
