"""50 concurrent /ask are all acknowledged inside Discord's 3-second window (the fake enforces it),
and every one is answered. Latencies are printed (run with -s), never asserted beyond the 3 s ack."""

from __future__ import annotations

from typing import Any

from tests.bot_fixtures import final_edit_latency, latency_summary, timed_asks
from tests.fakediscord import FakeDiscord

QUESTIONS = [
    "Who did Biden speak to first?",
    "What did the G7 foreign ministers say about reprisals?",
    "Which countries pushed for power-sharing in Afghanistan?",
    "What does the UK Foreign Secretary hope Russia and China will do?",
    "When did the Taliban take over?",
]


async def test_fifty_concurrent_asks_are_all_acknowledged_within_three_seconds(
    fake: FakeDiscord, seed_bot: Any
) -> None:
    single = []
    for question in QUESTIONS:  # warm-up and single-request latency
        (record,) = await timed_asks(fake, [question])
        single.append(final_edit_latency(fake, record))

    records = await timed_asks(fake, [QUESTIONS[i % len(QUESTIONS)] + f" ({i})" for i in range(50)])
    acks = [r.ack_latency for r in records]
    assert all(r.callback_type == 5 for r in records)
    assert all(r.callback.status < 300 for r in records)  # the fake answers 404 after 3 s
    assert max(acks) < 3.0, sorted(acks)[-5:]
    answers = [fake.original_message(r) for r in records]
    assert all(a is not None and a["embeds"] for a in answers)

    print()
    print(latency_summary("/ask single (sent -> final edit)", single))
    print(latency_summary("/ask 50 concurrent, acknowledgement", acks))
    print(
        latency_summary(
            "/ask 50 concurrent (sent -> final edit)", [final_edit_latency(fake, r) for r in records]
        )
    )
