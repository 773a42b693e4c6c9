"""What the fake remembers: every REST request, and every interaction it sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class FakeDiscordTimeout(AssertionError):
    """A ``wait_*`` helper ran out of time. The message lists the last requests the fake received."""


@dataclass
class RecordedRequest:
    """One REST request received by the fake, with the answer it gave.

    ``path`` is relative to ``/api/v10`` (e.g. ``"/users/@me"``); ``query`` holds the query string;
    ``json`` the parsed JSON body (for multipart uploads: the parsed ``payload_json`` part), or ``None``;
    ``files`` the file names of a multipart upload; ``received_at`` is ``time.monotonic()`` on arrival.
    """

    method: str
    path: str
    query: dict[str, str]
    json: Any
    received_at: float
    authorized: bool
    files: list[str] = field(default_factory=list)
    status: int = 0
    response: Any = None

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} -> {self.status}>"


@dataclass
class InteractionRecord:
    """An interaction the fake dispatched (``INTERACTION_CREATE``) and what the bot did with it.

    ``sent_at`` is ``time.monotonic()`` just before the gateway frame was written; ``callback`` is the
    ``POST /interactions/{id}/{token}/callback`` request (``None`` until the bot acknowledges);
    ``original_message_id`` the message the callback created or updated (``@original``);
    ``followup_ids`` the messages posted through ``POST /webhooks/{app_id}/{token}``;
    ``source_message_id`` for component interactions, the message the component sits on;
    ``choices`` the autocomplete choices returned (callback type 8);
    ``original_edits`` every ``PATCH /webhooks/{app_id}/{token}/messages/@original`` request, in order
    (indexed on arrival, so that waiting on many interactions at once stays cheap).
    """

    payload: dict[str, Any]
    sent_at: float
    callback: RecordedRequest | None = None
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    source_message_id: int | None = None
    choices: list[dict[str, Any]] | None = None
    original_edits: list[RecordedRequest] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def token(self) -> str:
        return str(self.payload["token"])

    @property
    def type(self) -> int:
        return int(self.payload["type"])

    @property
    def user_id(self) -> int:
        return int(self.payload["member"]["user"]["id"])

    @property
    def callback_type(self) -> int | None:
        """The interaction response type the bot chose (4 message, 5 defer, 6 deferred update, 7 update,
        8 autocomplete, 9 modal), or ``None`` before the callback."""
        return None if self.callback is None else int(self.callback.json["type"])

    @property
    def ack_latency(self) -> float | None:
        """Seconds from dispatch to the callback request (Discord's limit is 3 s), or ``None``."""
        return None if self.callback is None else self.callback.received_at - self.sent_at
