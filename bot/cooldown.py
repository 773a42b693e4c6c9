"""Per-user rate limit: at most N requests in any sliding 60-second window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class Cooldown:
    """A sliding-window limiter keyed by user id; ``per_minute`` of 0 disables it."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}

    def hit(self, user_id: int) -> float | None:
        """Record a request; return None when allowed, else the seconds to wait (nothing recorded)."""
        if self.per_minute <= 0:
            return None
        now = self._clock()
        hits = self._hits.setdefault(user_id, deque())
        while hits and now - hits[0] >= WINDOW_SECONDS:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return WINDOW_SECONDS - (now - hits[0])
        hits.append(now)
        if len(self._hits) > 10_000:
            self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        for user_id in [u for u, h in self._hits.items() if not h or now - h[-1] >= WINDOW_SECONDS]:
            del self._hits[user_id]
