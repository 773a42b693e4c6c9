"""Waiting on the fake's state, mixed into ``FakeDiscord``: every wait has a timeout and fails with
:class:`~tests.fakediscord.records.FakeDiscordTimeout` (listing the last requests) instead of hanging."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from . import payloads as p
from .records import FakeDiscordTimeout, InteractionRecord, RecordedRequest

if TYPE_CHECKING:
    from .server import FakeDiscord

    _Base = FakeDiscord
else:
    _Base = object

T = TypeVar("T")


class Waits(_Base):
    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Wait until a client has identified (READY sent) or resumed."""
        await self.wait_for(lambda: self._active, timeout=timeout, what="a gateway client to identify")

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_for(
        self, check: Callable[[], T | None], *, timeout: float = 10.0, what: str = "condition"
    ) -> T:
        """Re-evaluate ``check()`` whenever the fake's state changes until it returns something other
        than ``None``/``False``; return that. Raises :class:`FakeDiscordTimeout` after ``timeout`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result is not None and result is not False:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = ", ".join(repr(r) for r in self.requests[-8:]) or "none"
                raise FakeDiscordTimeout(
                    f"timed out after {timeout}s waiting for {what}; last requests: {recent}"
                )
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(fut, min(remaining, 0.25))

    def mark(self) -> int:
        """The number of requests so far; pass it as ``since=`` to only look at later requests."""
        return len(self.requests)

    def find_requests(self, method: str | None = None, path_regex: str | None = None, *, since: int = 0):
        """Recorded requests (from index ``since``) whose method matches and whose path matches
        ``re.search(path_regex, path)`` (paths are relative to ``/api/v10``)."""
        return [
            r
            for r in self.requests[since:]
            if (method is None or r.method == method.upper())
            and (path_regex is None or re.search(path_regex, r.path))
        ]

    async def wait_request(
        self,
        method: str | None,
        path_regex: str | None,
        *,
        timeout: float = 10.0,
        since: int = 0,
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> RecordedRequest:
        """The first recorded request (from ``since``) matching method, path regex and ``predicate``;
        waits for it if it has not arrived yet."""

        def check() -> RecordedRequest | None:
            hits = self.find_requests(method, path_regex, since=since)
            return next((r for r in hits if predicate is None or predicate(r)), None)

        return await self.wait_for(check, timeout=timeout, what=f"{method} {path_regex}")

    def interaction(self, token: str | InteractionRecord) -> InteractionRecord:
        return self.interactions[token.token if isinstance(token, InteractionRecord) else token]

    async def wait_callback(
        self, token: str | InteractionRecord, *, timeout: float = 10.0
    ) -> RecordedRequest:
        """The interaction's callback request (``json["type"]`` is the response type)."""
        record = self.interaction(token)
        return await self.wait_for(
            lambda: record.callback, timeout=timeout, what=f"callback of {record.token}"
        )

    async def wait_original_edit(
        self,
        token: str | InteractionRecord,
        *,
        timeout: float = 10.0,
        predicate: Callable[[RecordedRequest], bool] | None = None,
    ) -> RecordedRequest:
        """The first ``PATCH /webhooks/{app}/{token}/messages/@original`` (matching ``predicate``)."""
        record = self.interaction(token)

        def check() -> RecordedRequest | None:
            return next((r for r in record.original_edits if predicate is None or predicate(r)), None)

        return await self.wait_for(check, timeout=timeout, what=f"PATCH @original of {record.token}")

    async def wait_followup(
        self, token: str | InteractionRecord, *, index: int = 0, timeout: float = 10.0
    ) -> dict[str, Any]:
        """The ``index``-th followup message (``POST /webhooks/{app}/{token}``) as stored."""
        record = self.interaction(token)
        await self.wait_for(
            lambda: len(record.followup_ids) > index,
            timeout=timeout,
            what=f"followup {index} of {record.token}",
        )
        return self.messages[record.followup_ids[index]]

    async def wait_answer(self, token: str | InteractionRecord, *, timeout: float = 10.0) -> dict[str, Any]:
        """The interaction's original response message once it is no longer "thinking": after a type-4
        or type-7 callback, or after a deferral followed by an edit or first followup."""
        record = self.interaction(token)

        def check() -> dict[str, Any] | None:
            message = self.original_message(record)
            if message is None or message["flags"] & p.LOADING:
                return None
            if record.callback_type == 6 and not self._edited_since_callback(record):
                return None
            return message

        return await self.wait_for(check, timeout=timeout, what=f"the answer to {record.token}")

    def _edited_since_callback(self, record: InteractionRecord) -> bool:
        return bool(record.original_edits)

    async def wait_autocomplete(self, token: str | InteractionRecord, *, timeout: float = 10.0):
        """The choices the bot returned for an autocomplete interaction."""
        record = self.interaction(token)
        return await self.wait_for(
            lambda: record.choices, timeout=timeout, what=f"autocomplete {record.token}"
        )

    def original_message(self, token: str | InteractionRecord) -> dict[str, Any] | None:
        """The current ``@original`` message of an interaction, or ``None``."""
        record = self.interaction(token)
        return None if record.original_message_id is None else self.messages.get(record.original_message_id)

    def followups(self, token: str | InteractionRecord) -> list[dict[str, Any]]:
        record = self.interaction(token)
        return [self.messages[i] for i in record.followup_ids if i in self.messages]

    def channel_messages(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot posted with ``POST /channels/{id}/messages`` (oldest first)."""
        cid = str(self.channel_id if channel_id is None else channel_id)
        bot_id = self.bot_user["id"]
        return [
            m
            for m in self.messages.values()
            if m["channel_id"] == cid and m["author"]["id"] == bot_id and "webhook_id" not in m
        ]
