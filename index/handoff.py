"""One process owns an embedded store; `quotebot index` elsewhere hands its work to that process.

Chroma's embedded store (PersistentClient) is single-process: a second process that writes to the same folder
leaves the first one's caches pointing at rows that moved ("Error finding id") until it restarts. So:

- The first quotebot process that opens an embedded store owns it (``owner.lock`` in the store folder, an OS
  lock that dies with the process) until it closes it. Within that process any number of Store objects share
  the ownership.
- Another process that opens the store gets StoreInUseError: a clear message naming the owner.
- A long-running owner (the bot, the terminal session) serves hand-offs: `quotebot index` in another process
  writes a request file into ``handoff/``; the owner runs the indexing with its own model and store, refreshes
  its tables (the change is served at once) and writes the report back. The requester prints it as if it had
  indexed itself. If the owner exits before answering, the requester indexes itself.

A Chroma server (CHROMA_URL) has none of this: any number of processes share it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from filelock import FileLock, Timeout

from .config import IndexSettings
from .errors import QuotebotError, StoreInUseError
from .models import IndexReport

if TYPE_CHECKING:
    from .retrieve import Retriever

log = logging.getLogger(__name__)

OWNER_LOCK = "owner.lock"
OWNER_INFO = "owner.json"
QUEUE = "handoff"
POLL_SECONDS = 0.25
LOCK_WAIT_SECONDS = 0.5  # an owner lock held this long is held by an owner, not by another process's probe
PICKUP_SECONDS = 15.0  # a serving owner picks a request up within this
RESULT_TTL_SECONDS = 3600.0  # unread results (their requester died) are removed after this


@dataclass(frozen=True)
class OwnerInfo:
    pid: int
    command: str
    serves: bool  # takes hand-offs


@dataclass
class _Claim:
    lock: FileLock
    count: int
    info: OwnerInfo


_claims: dict[Path, _Claim] = {}
_claims_lock = threading.Lock()


def _command() -> str:
    args = [Path(sys.argv[0]).name, *sys.argv[1:2]] if sys.argv and sys.argv[0] else ["python"]
    return " ".join(args)


def _write_json(path: Path, data: dict) -> None:
    """Write atomically: readers see the old file or the whole new one."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _info(store_dir: Path) -> OwnerInfo | None:
    data = _read_json(store_dir / OWNER_INFO)
    if not data:
        return None
    try:
        return OwnerInfo(int(data["pid"]), str(data["command"]), bool(data["serves"]))
    except (KeyError, TypeError, ValueError):
        return None


def in_use_message(store_dir: Path, info: OwnerInfo | None) -> str:
    who = f"pid {info.pid}, `{info.command}`" if info else "another process"
    return (
        f"The index at {store_dir} is in use by another quotebot process ({who}). Chroma's embedded store "
        "serves one process at a time: use the running bot (/ask, /reindex), stop that process, or run a "
        "Chroma server and set CHROMA_URL so that several processes can share the index."
    )


def claim(store_dir: Path) -> None:
    """Own ``store_dir`` for this process (counted: every claim needs its release). StoreInUseError when
    another process owns it."""
    key = Path(store_dir).resolve()
    with _claims_lock:
        held = _claims.get(key)
        if held is not None:
            held.count += 1
            return
        lock = FileLock(str(key / OWNER_LOCK), thread_local=False)
        try:
            lock.acquire(timeout=LOCK_WAIT_SECONDS)  # another process may be probing it right now
        except Timeout:
            raise StoreInUseError(in_use_message(key, _info(key))) from None
        info = OwnerInfo(os.getpid(), _command(), serves=False)
        _claims[key] = _Claim(lock, 1, info)
        _write_json(key / OWNER_INFO, dataclasses.asdict(info))


def release(store_dir: Path) -> None:
    key = Path(store_dir).resolve()
    with _claims_lock:
        held = _claims.get(key)
        if held is None:
            return
        held.count -= 1
        if held.count > 0:
            return
        del _claims[key]
        with contextlib.suppress(OSError):
            (key / OWNER_INFO).unlink()
        held.lock.release()


def relock(store_dir: Path) -> None:
    """After this process's store folder was deleted: lock the new folder, keeping this process's claim
    (and whether it takes hand-offs), so that other processes still see who owns the store."""
    key = Path(store_dir).resolve()
    with _claims_lock:
        held = _claims.get(key)
        if held is None:
            return
        key.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(key / OWNER_LOCK), thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise StoreInUseError(in_use_message(key, _info(key))) from None
        with contextlib.suppress(Exception):
            held.lock.release()
        held.lock = lock
        if held.info.serves:
            (key / QUEUE).mkdir(exist_ok=True)
        _write_json(key / OWNER_INFO, dataclasses.asdict(held.info))


def _set_serving(store_dir: Path, serves: bool) -> None:
    key = Path(store_dir).resolve()
    with _claims_lock:
        held = _claims.get(key)
        if held is not None:
            held.info = dataclasses.replace(held.info, serves=serves)
            _write_json(key / OWNER_INFO, dataclasses.asdict(held.info))


def other_owner(store_dir: Path) -> OwnerInfo | None:
    """The process owning ``store_dir`` when it is not this one, else None."""
    key = Path(store_dir).resolve()
    if not (key / OWNER_LOCK).exists():
        return None
    with _claims_lock:
        if key in _claims:
            return None
        probe = FileLock(str(key / OWNER_LOCK), thread_local=False)
        try:
            probe.acquire(timeout=LOCK_WAIT_SECONDS)
        except Timeout:
            return _info(key) or OwnerInfo(0, "unknown", serves=False)
        probe.release()
        return None


def check_available(settings: IndexSettings) -> None:
    """StoreInUseError now when another process owns the embedded store of ``settings`` (before the model
    is loaded for nothing)."""
    if settings.server_url() is None:
        store_dir = Path(settings.store_dir).resolve()
        info = other_owner(store_dir)
        if info is not None:
            raise StoreInUseError(in_use_message(store_dir, info))


# -- the requester ---------------------------------------------------------------------------------------


def hand_off(
    settings: IndexSettings,
    *,
    rebuild: bool = False,
    allow_empty: bool = False,
    notify: Callable[[str], None] | None = None,
) -> IndexReport | None:
    """Have the process that owns the embedded store index ``settings.corpus_dir``; its report, or None when
    nobody owns the store (or the owner went away before answering): then index here.

    StoreInUseError when the owner does not take hand-offs or does not pick the request up."""
    store_dir = Path(settings.store_dir).resolve()
    info = other_owner(store_dir)
    if info is None:
        return None
    if not info.serves:
        raise StoreInUseError(in_use_message(store_dir, info))
    queue = store_dir / QUEUE
    queue.mkdir(exist_ok=True)
    rid = f"{time.time():.6f}-{uuid.uuid4().hex[:8]}"
    request = {
        "corpus_dir": str(Path(settings.corpus_dir).resolve()),
        "collection": settings.collection,
        "rebuild": rebuild,
        "allow_empty": allow_empty,
        "pid": os.getpid(),
    }
    _write_json(queue / f"{rid}.request.json", request)
    if notify:
        notify(f"The index is open in a running quotebot (pid {info.pid}); it does the indexing…")
    asked = time.monotonic()
    try:
        while True:
            result = _read_json(queue / f"{rid}.result.json")
            if result is not None:
                (queue / f"{rid}.result.json").unlink(missing_ok=True)
                if not result.get("ok"):
                    raise QuotebotError(str(result.get("error") or "the running quotebot could not index"))
                return IndexReport(**result["report"])
            waiting = (queue / f"{rid}.request.json").exists()
            if other_owner(store_dir) is None:
                log.info("the owner of %s exited before answering; indexing here", store_dir)
                return None
            if waiting and time.monotonic() - asked > PICKUP_SECONDS:
                raise StoreInUseError(
                    in_use_message(store_dir, info) + " (It did not pick up the indexing request.)"
                )
            time.sleep(POLL_SECONDS)
    finally:
        (queue / f"{rid}.request.json").unlink(missing_ok=True)


# -- the owner -------------------------------------------------------------------------------------------


class HandoffServer:
    """Runs `quotebot index` requests from other processes with ``retriever`` (its model, its store), one at
    a time, on a daemon thread. The retriever refreshes after each, so the change is served at once."""

    def __init__(self, retriever: Retriever, poll_seconds: float = POLL_SECONDS) -> None:
        self.retriever = retriever
        self.store_dir = Path(retriever.settings.store_dir).resolve()
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="quotebot-handoff", daemon=True)

    def start(self) -> HandoffServer:
        if self.retriever.settings.server_url():
            return self  # a Chroma server is shared by every process: nothing to hand off
        try:
            (self.store_dir / QUEUE).mkdir(exist_ok=True)
            _set_serving(self.store_dir, True)
        except OSError as error:
            log.warning("cannot take `quotebot index` hand-offs for %s: %s", self.store_dir, error)
            return self
        self._thread.start()
        log.info("taking `quotebot index` hand-offs for %s", self.store_dir)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        _set_serving(self.store_dir, False)

    def _run(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.serve_pending()
            except Exception:  # noqa: BLE001 - the server thread must outlive any one request
                log.exception("hand-off server error")

    def serve_pending(self) -> int:
        """Run every waiting request; returns how many were run."""
        queue = self.store_dir / QUEUE
        served = 0
        for request in sorted(queue.glob("*.request.json")):
            rid = request.name.removesuffix(".request.json")
            running = queue / f"{rid}.running.json"
            try:
                os.replace(request, running)  # taken: the requester sees its request gone
            except OSError:
                continue
            data = _read_json(running) or {}
            _write_json(queue / f"{rid}.result.json", self._index(data))
            running.unlink(missing_ok=True)
            served += 1
        self._expire(queue)
        return served

    def _index(self, data: dict) -> dict:
        settings = self.retriever.settings
        if data.get("collection", settings.collection) != settings.collection:
            return {
                "ok": False,
                "error": f"the running quotebot serves the collection “{settings.collection}”, not "
                f"“{data.get('collection')}”",
            }
        corpus = Path(str(data.get("corpus_dir") or settings.corpus_dir))
        log.info("indexing %s for pid %s", corpus, data.get("pid"))
        try:
            report = self.retriever.reindex(
                rebuild=bool(data.get("rebuild")),
                allow_empty=bool(data.get("allow_empty")),
                corpus_dir=corpus,
            )
        except (QuotebotError, FileNotFoundError) as error:
            return {"ok": False, "error": str(error)}
        except Exception as error:  # noqa: BLE001 - reported to the requester, logged here
            log.exception("hand-off indexing failed")
            return {"ok": False, "error": f"the running quotebot failed to index: {error.__class__.__name__}"}
        log.info("hand-off indexing done: %s", report.line())
        return {"ok": True, "report": dataclasses.asdict(report)}

    @staticmethod
    def _expire(queue: Path) -> None:
        cutoff = time.time() - RESULT_TTL_SECONDS
        for stale in queue.glob("*.result.json"):
            with contextlib.suppress(OSError):
                if stale.stat().st_mtime < cutoff:
                    stale.unlink()
