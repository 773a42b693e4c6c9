"""``FakeDiscord``: an aiohttp server on 127.0.0.1 that plays Discord for a real discord.py client.

It serves the REST API under ``/api/v10`` (see :mod:`tests.fakediscord.rest`) and a gateway websocket
at ``/gateway`` (HELLO, heartbeat ACKs, IDENTIFY -> READY + GUILD_CREATE, RESUME -> RESUMED with replay),
sends interactions (builders in :mod:`tests.fakediscord.builders`), records every request, keeps the
messages the bot creates, and offers ``wait_*`` helpers that always time out instead of hanging.

Shards: ``FakeDiscord(shards=2)`` recommends two shards in ``GET /gateway/bot``, accepts an IDENTIFY per
shard (``d.shard = [id, count]``), and, like Discord, sends the guild only to the shard that owns it
(``(guild_id >> 22) % count``); interactions go over that shard's connection. A shard id outside the count
is closed with 4010 (invalid shard); with ``sharding_required=True`` an IDENTIFY with fewer shards than
recommended is closed with 4011 (sharding required).

The world it simulates: one application/bot user, one guild (:attr:`guild_id`) with one text channel
(:attr:`channel_id`), an owner (:attr:`owner_id`), two ordinary members (:attr:`user_id`,
:attr:`other_user_id`) and a member holding the "Manager" role with Manage Server
(:attr:`manager_id`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads as p
from .builders import InteractionBuilders
from .records import InteractionRecord, RecordedRequest
from .rest import RestRoutes
from .waits import Waits

log = logging.getLogger(__name__)

HELLO, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HEARTBEAT_ACK, DISPATCH = (
    10,
    1,
    2,
    6,
    7,
    9,
    11,
    0,
)


@dataclass
class _Session:
    session_id: str
    shard: tuple[int, int] = (0, 1)
    seq: int = 0
    backlog: list[dict[str, Any]] = field(default_factory=list)


@dataclass(eq=False)
class _Connection:
    ws: web.WebSocketResponse
    session: _Session | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class FakeDiscord(RestRoutes, InteractionBuilders, Waits):
    """A fake Discord (REST + gateway) for one bot. Use ``async with FakeDiscord() as fake`` or
    :func:`tests.fakediscord.running_fake`, which also points discord.py at it.

    Args:
        token: the bot token the fake accepts (``Authorization: Bot <token>``, IDENTIFY ``token``).
        accept_any_token: skip the token check (by default a wrong token gets 401 on REST and close
            code 4004 on IDENTIFY, like Discord).
        ack_deadline: when set (Discord uses 3.0), a callback arriving later than this many seconds
            after dispatch gets ``404 Unknown interaction``, as on Discord. ``None`` disables the check.
        heartbeat_interval: milliseconds announced in HELLO.
        shards: the shard count ``GET /gateway/bot`` recommends.
        max_concurrency: identifies allowed per 5 s window (``session_start_limit.max_concurrency``).
        sharding_required: close an IDENTIFY that uses fewer than ``shards`` shards with 4011.
    """

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        accept_any_token: bool = False,
        ack_deadline: float | None = None,
        heartbeat_interval: int = 41250,
        guild_name: str = "Quotebot Test Guild",
        channel_name: str = "general",
        shards: int = 1,
        max_concurrency: int = 1,
        sharding_required: bool = False,
    ) -> None:
        self.token = token
        self.shards = shards
        self.max_concurrency = max_concurrency
        self.sharding_required = sharding_required
        self.accept_any_token = accept_any_token
        self.ack_deadline = ack_deadline
        self.heartbeat_interval = heartbeat_interval
        self.guild_name = guild_name
        self.channel_name = channel_name

        self.app_id = p.snowflake()
        self.bot_user = p.user(self.app_id, "quotebot", bot=True)
        self.owner_id, self.user_id, self.other_user_id, self.manager_id = (p.snowflake() for _ in range(4))
        self.guild_id = p.snowflake()
        self.channel_id = p.snowflake()
        self.manager_role_id = p.snowflake()
        #: user id -> user payload (the bot, ``owner``, ``alice`` (user_id), ``bob``, ``morgan`` (manager)).
        self.users: dict[int, dict[str, Any]] = {
            self.app_id: self.bot_user,
            self.owner_id: p.user(self.owner_id, "owner"),
            self.user_id: p.user(self.user_id, "alice"),
            self.other_user_id: p.user(self.other_user_id, "bob"),
            self.manager_id: p.user(self.manager_id, "morgan"),
        }
        self.everyone_permissions = p.MEMBER_PERMISSIONS
        self.role_permissions: dict[int, int] = {self.manager_role_id: p.MANAGER_PERMISSIONS}
        self.member_roles: dict[int, list[int]] = {self.manager_id: [self.manager_role_id]}

        #: Every REST request, in arrival order.
        self.requests: list[RecordedRequest] = []
        #: Every gateway frame as ``("sent" | "received", payload)``.
        self.gateway_log: list[tuple[str, dict[str, Any]]] = []
        #: Every stored message by id (interaction responses, followups, channel messages, user messages).
        self.messages: dict[int, dict[str, Any]] = {}
        #: Every dispatched interaction by token.
        self.interactions: dict[str, InteractionRecord] = {}
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.identify_count = 0
        #: ``(shard_id, shard_count)`` of every accepted IDENTIFY, in order.
        self.identified_shards: list[tuple[int, int]] = []
        self.resume_count = 0
        #: Injected REST faults (see :meth:`inject_faults`) and expired interaction tokens.
        self.faults: list[Any] = []
        self.expired_tokens: set[str] = set()

        self.port = 0
        self._runner: web.AppRunner | None = None
        self._sessions: dict[str, _Session] = {}
        self._active: _Connection | None = None
        self._connections: set[_Connection] = set()
        self._waiters: list[asyncio.Future[None]] = []

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 on a free port (see :attr:`port`)."""
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/", self._gateway)
        self._add_rest_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        log.debug("fake Discord listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Close every gateway connection and the server."""
        for conn in list(self._connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must point at (also the ``resume_gateway_url``)."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    # --- the simulated guild ---------------------------------------------------------------------

    def add_user(self, username: str, *, roles: list[int] | None = None) -> int:
        """Add a guild member and return their id (they also appear in later GUILD_CREATEs)."""
        uid = p.snowflake()
        self.users[uid] = p.user(uid, username)
        self.member_roles[uid] = list(roles or [])
        return uid

    def guild_payload(self) -> dict[str, Any]:
        """The GUILD_CREATE payload: @everyone (id = guild id) and Manager roles, one text channel, members."""
        roles = [
            p.role(self.guild_id, "@everyone", self.everyone_permissions),
            p.role(self.manager_role_id, "Manager", self.role_permissions[self.manager_role_id], position=1),
        ]
        members = [p.member(u, roles=self.member_roles.get(uid, [])) for uid, u in self.users.items()]
        channels = [p.text_channel(self.channel_id, self.guild_id, self.channel_name)]
        return p.guild(
            self.guild_id,
            self.guild_name,
            owner_id=self.owner_id,
            roles=roles,
            channels=channels,
            members=members,
        )

    def post_user_message(
        self, content: str, *, author_id: int | None = None, channel_id: int | None = None
    ) -> dict[str, Any]:
        """Store a message written by a member (default :attr:`other_user_id`), e.g. as the target of a
        message context-menu command. Returns the message payload."""
        author = self.users[self.other_user_id if author_id is None else author_id]
        message = p.message(
            message_id=p.snowflake(),
            channel_id=self.channel_id if channel_id is None else channel_id,
            guild_id=self.guild_id,
            author=author,
            content=content,
        )
        self.messages[int(message["id"])] = message
        return message

    def find_command(
        self, name: str, *, guild_id: int | None = None, command_type: int = 1
    ) -> dict[str, Any] | None:
        """The synced command (guild commands of ``guild_id`` first, then global) or ``None``."""
        pools = [self.guild_commands.get(guild_id, []) if guild_id is not None else [], self.global_commands]
        for pool in pools:
            for command in pool:
                if command["name"] == name and command.get("type", 1) == command_type:
                    return command
        return None

    def can_invoke(self, name: str, permissions: int, *, command_type: int = 1) -> bool:
        """Whether Discord would let a member with these resolved permissions use the synced command
        (its ``default_member_permissions``; administrators always may). Raises ``LookupError`` if the
        command was never synced."""
        command = self.find_command(name, guild_id=self.guild_id, command_type=command_type)
        if command is None:
            raise LookupError(f"command {name!r} was never synced")
        required = command.get("default_member_permissions")
        if required is None or permissions & p.ADMINISTRATOR:
            return True
        return (permissions & int(required)) == int(required)

    # --- gateway ---------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = _Connection(ws)
        self._connections.add(conn)
        try:
            await self._send(conn, {"op": HELLO, "d": {"heartbeat_interval": self.heartbeat_interval}})
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                self.gateway_log.append(("received", _redact(frame)))
                await self._on_frame(conn, frame)
        finally:
            self._connections.discard(conn)
            if self._active is conn:
                self._active = None
            self._notify()
        return ws

    async def _on_frame(self, conn: _Connection, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            await self._send(conn, {"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            if not self.accept_any_token and data.get("token") != self.token:
                await conn.ws.close(code=4004, message=b"Authentication failed.")
                return
            shard_id, count = (int(x) for x in (data.get("shard") or (0, 1)))
            if not 0 <= shard_id < count:
                await conn.ws.close(code=4010, message=b"Invalid shard.")
                return
            if self.sharding_required and count < self.shards:
                await conn.ws.close(code=4011, message=b"Sharding required.")
                return
            self.identify_count += 1
            self.identified_shards.append((shard_id, count))
            session = _Session(session_id=f"session-{p.snowflake()}", shard=(shard_id, count))
            self._sessions[session.session_id] = session
            conn.session = session
            await self._dispatch(conn, "READY", self._ready_payload(session))
            if self.owns_guild(session.shard):
                await self._dispatch(conn, "GUILD_CREATE", self.guild_payload())
                self._active = conn
            self._notify()
        elif op == RESUME:
            session = self._sessions.get(data.get("session_id", ""))
            if session is None or (not self.accept_any_token and data.get("token") != self.token):
                await self._send(conn, {"op": INVALID_SESSION, "d": False})
                return
            self.resume_count += 1
            conn.session = session
            async with conn.lock:
                for missed in [f for f in session.backlog if f["s"] > (data.get("seq") or 0)]:
                    await self._write(conn, missed)
            await self._dispatch(conn, "RESUMED", {})
            if self.owns_guild(session.shard):
                self._active = conn
            self._notify()
        # Presence (3), voice (4) and member requests (8) need no answer here.

    def owns_guild(self, shard: tuple[int, int]) -> bool:
        """Whether the shard ``(id, count)`` receives the guild's events (Discord's rule)."""
        return (self.guild_id >> 22) % shard[1] == shard[0]

    def _ready_payload(self, session: _Session) -> dict[str, Any]:
        guilds = [{"id": str(self.guild_id), "unavailable": True}] if self.owns_guild(session.shard) else []
        return {
            "v": 10,
            "user": self.bot_user,
            "guilds": guilds,
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "session_type": "normal",
            "shard": list(session.shard),
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "user_settings": {},
            "_trace": ["fake-discord"],
        }

    async def _send(self, conn: _Connection, frame: dict[str, Any]) -> None:
        frame = {"op": frame["op"], "d": frame.get("d"), "s": frame.get("s"), "t": frame.get("t")}
        async with conn.lock:
            await self._write(conn, frame)

    async def _write(self, conn: _Connection, frame: dict[str, Any]) -> None:
        self.gateway_log.append(("sent", frame))
        await conn.ws.send_str(json.dumps(frame))

    async def _dispatch(self, conn: _Connection, event: str, data: dict[str, Any]) -> None:
        assert conn.session is not None
        async with conn.lock:
            conn.session.seq += 1
            frame = {"op": DISPATCH, "d": data, "s": conn.session.seq, "t": event}
            conn.session.backlog.append(frame)
            await self._write(conn, frame)

    @property
    def connected(self) -> bool:
        return self._active is not None

    async def dispatch_event(self, event: str, data: dict[str, Any], *, timeout: float = 10.0) -> None:
        """Send any gateway DISPATCH event (``t=event``) to the connected client, with the next sequence."""
        await self.wait_connected(timeout)
        assert self._active is not None
        await self._dispatch(self._active, event, data)

    async def send_interaction(self, payload: dict[str, Any], *, timeout: float = 10.0) -> InteractionRecord:
        """Dispatch ``INTERACTION_CREATE`` with ``payload`` (from a ``build_*`` method) and return its record.
        Waits up to ``timeout`` for a connected client first."""
        await self.wait_connected(timeout)
        record = InteractionRecord(payload=payload, sent_at=0.0)
        if "message" in payload:
            record.source_message_id = int(payload["message"]["id"])
        self.interactions[record.token] = record
        record.sent_at = time.monotonic()
        assert self._active is not None
        await self._dispatch(self._active, "INTERACTION_CREATE", payload)
        return record

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: discord.py closes and RESUMEs (see :attr:`resume_count`)."""
        if self._active is not None:
            await self._send(self._active, {"op": RECONNECT})

    async def drop_connection(self, code: int = 4000) -> None:
        """Close the gateway socket with ``code`` (4000 = resumable error) as Discord might."""
        if self._active is not None:
            await self._active.ws.close(code=code)


def _redact(frame: dict[str, Any]) -> dict[str, Any]:
    """Gateway frames as logged: the token in IDENTIFY/RESUME is replaced."""
    data = frame.get("d")
    if isinstance(data, dict) and "token" in data:
        return {**frame, "d": {**data, "token": "<redacted>"}}
    return frame
