"""The per-user sliding-window cooldown (QUOTEBOT_COOLDOWN requests per minute)."""

from __future__ import annotations

from bot.cooldown import Cooldown
from bot.errors import CooldownError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_n_requests_per_minute_then_says_how_long_to_wait() -> None:
    clock = Clock()
    cooldown = Cooldown(3, clock=clock)
    assert [cooldown.hit(1) for _ in range(3)] == [None, None, None]
    clock.now += 20
    assert cooldown.hit(1) == 40.0
    assert cooldown.hit(2) is None  # other users are not affected
    clock.now += 40
    assert cooldown.hit(1) is None  # the oldest request left the window


def test_refused_requests_do_not_extend_the_wait() -> None:
    clock = Clock()
    cooldown = Cooldown(1, clock=clock)
    assert cooldown.hit(7) is None
    for _ in range(5):
        clock.now += 10
        assert cooldown.hit(7) is not None
    clock.now += 10
    assert cooldown.hit(7) is None


def test_zero_disables_the_limit() -> None:
    cooldown = Cooldown(0)
    assert all(cooldown.hit(1) is None for _ in range(1000))


def test_the_message_rounds_the_wait_up_to_whole_seconds() -> None:
    assert str(CooldownError(0.2)) == "Slow down: you can ask again in 1 s."
    assert str(CooldownError(12.3)) == "Slow down: you can ask again in 13 s."
