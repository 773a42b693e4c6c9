"""REST half of the fake: the ``/api/v10`` routes discord.py calls, mixed into ``FakeDiscord``.

Every handler returns ``(status, json_payload)``; :meth:`RestRoutes._wrap` records the request and turns
the pair into a response whose ``Content-Type`` is exactly ``application/json`` (discord.py's
``json_or_text`` does not parse ``application/json; charset=utf-8``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import payloads as p
from .records import InteractionRecord, RecordedRequest

if TYPE_CHECKING:
    from .server import FakeDiscord

    _Base = FakeDiscord
else:
    _Base = object

API_PREFIX = "/api/v10"
Result = tuple[int, Any]
Handler = Callable[[web.Request, RecordedRequest], Awaitable[Result]]

_ORIGINAL_EDIT = re.compile(r"^/webhooks/\d+/(?P<token>[^/]+)/messages/@original$")
_EDITABLE = ("content", "embeds", "components", "attachments", "poll")


def _error(status: int, code: int, message: str) -> Result:
    return status, {"message": message, "code": code}


def _unknown_message() -> Result:
    return _error(404, 10008, "Unknown Message")


def _unknown_webhook() -> Result:
    return _error(404, 10015, "Unknown Webhook")


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> web.Response:
    if status == 204:
        return web.Response(status=204, headers=headers)
    body = json.dumps(payload).encode()
    return web.Response(
        status=status, body=body, headers={"Content-Type": "application/json", **(headers or {})}
    )


@dataclass
class Fault:
    """Answers the fake gives instead of the real one, in order, to requests matching method and path."""

    method: str
    path_regex: str
    answers: list[tuple[int, Any, dict[str, str]]]


def rate_limited(retry_after: float) -> tuple[int, Any, dict[str, str]]:
    """A 429 as Discord sends it (``Via`` marks it as Discord's, not Cloudflare's)."""
    payload = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
    headers = {"Via": "1.1 google", "Retry-After": str(max(1, round(retry_after)))}
    return 429, payload, headers


def server_error(status: int = 500) -> tuple[int, Any, dict[str, str]]:
    return status, {"message": "500: Internal Server Error", "code": 0}, {}


class RestRoutes(_Base):
    def _add_rest_routes(self, app: web.Application) -> None:
        r = app.router
        v = API_PREFIX
        r.add_get(f"{v}/users/@me", self._wrap(self._get_me))
        r.add_get(f"{v}/oauth2/applications/@me", self._wrap(self._get_application))
        r.add_get(f"{v}/applications/@me", self._wrap(self._get_application))
        r.add_get(f"{v}/gateway", self._wrap(self._get_gateway))
        r.add_get(f"{v}/gateway/bot", self._wrap(self._get_gateway_bot))
        cmds = f"{v}/applications/{{app_id}}/commands"
        gcmds = f"{v}/applications/{{app_id}}/guilds/{{guild_id}}/commands"
        for path in (cmds, gcmds):
            r.add_put(path, self._wrap(self._put_commands))
            r.add_get(path, self._wrap(self._get_commands))
            r.add_post(path, self._wrap(self._post_command))
        r.add_post(f"{v}/interactions/{{interaction_id}}/{{token}}/callback", self._wrap(self._post_callback))
        wh = f"{v}/webhooks/{{app_id}}/{{token}}"
        r.add_post(wh, self._wrap(self._post_followup))
        r.add_get(f"{wh}/messages/{{message_id}}", self._wrap(self._get_webhook_message))
        r.add_patch(f"{wh}/messages/{{message_id}}", self._wrap(self._patch_webhook_message))
        r.add_delete(f"{wh}/messages/{{message_id}}", self._wrap(self._delete_webhook_message))
        ch = f"{v}/channels/{{channel_id}}"
        r.add_get(ch, self._wrap(self._get_channel))
        r.add_post(f"{ch}/messages", self._wrap(self._post_channel_message))
        r.add_get(f"{ch}/messages/{{message_id}}", self._wrap(self._get_channel_message))
        r.add_patch(f"{ch}/messages/{{message_id}}", self._wrap(self._patch_channel_message))
        r.add_delete(f"{ch}/messages/{{message_id}}", self._wrap(self._delete_channel_message))
        r.add_get(f"{v}/guilds/{{guild_id}}", self._wrap(self._get_guild))
        r.add_route("*", "/{tail:.*}", self._wrap(self._catch_all))

    # --- plumbing --------------------------------------------------------------------------------

    def _wrap(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def wrapped(request: web.Request) -> web.Response:
            received_at = time.monotonic()
            body, files = await self._read_body(request)
            authorized = request.headers.get("Authorization") == f"Bot {self.token}"
            record = RecordedRequest(
                method=request.method,
                path=request.path.removeprefix(API_PREFIX),
                query=dict(request.query),
                json=body,
                received_at=received_at,
                authorized=authorized,
                files=files,
            )
            needs_bot_auth = not record.path.startswith(("/interactions/", "/webhooks/"))
            headers: dict[str, str] = {}
            fault = self._take_fault(record)
            if fault is not None:
                status, payload, headers = fault
            elif needs_bot_auth and not authorized and not self.accept_any_token:
                status, payload = _error(401, 0, "401: Unauthorized")
            elif self._token_expired(record.path):
                status, payload = _error(401, 50027, "Invalid Webhook Token")
            else:
                status, payload = await handler(request, record)
            record.status, record.response = status, payload
            self.requests.append(record)
            edit = _ORIGINAL_EDIT.match(record.path) if record.method == "PATCH" else None
            if edit is not None and edit["token"] in self.interactions:
                self.interactions[edit["token"]].original_edits.append(record)
            self._notify()
            return json_response(status, payload, headers)

        return wrapped

    def inject_faults(self, method: str, path_regex: str, *answers: tuple[int, Any, dict[str, str]]) -> Fault:
        """Answer the next requests matching ``method`` and ``re.search(path_regex, path)`` with ``answers``
        (from :func:`rate_limited`, :func:`server_error`...), one each, before answering normally again."""
        fault = Fault(method.upper(), path_regex, list(answers))
        self.faults.append(fault)
        return fault

    def _take_fault(self, record: RecordedRequest) -> tuple[int, Any, dict[str, str]] | None:
        for fault in self.faults:
            if fault.answers and fault.method == record.method and re.search(fault.path_regex, record.path):
                return fault.answers.pop(0)
        return None

    def expire_token(self, token: str | InteractionRecord) -> None:
        """Make an interaction token expire now (Discord: 15 minutes after the interaction): its webhook
        requests (edits, followups) get ``401 Invalid Webhook Token``."""
        self.expired_tokens.add(token.token if isinstance(token, InteractionRecord) else token)

    def _token_expired(self, path: str) -> bool:
        parts = path.split("/")
        return len(parts) > 3 and parts[1] == "webhooks" and parts[3] in self.expired_tokens

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[str]]:
        if not request.can_read_body:
            return None, []
        if request.content_type.startswith("multipart/"):
            body: Any = None
            files: list[str] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":
                    body = json.loads(await part.text())
                else:
                    files.append(part.filename or part.name or "")
                    await part.read()
            return body, files
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode("utf-8", "replace"), []

    # --- identity and gateway discovery ------------------------------------------------------------

    async def _get_me(self, request: web.Request, rec: RecordedRequest) -> Result:
        return 200, self.bot_user

    async def _get_application(self, request: web.Request, rec: RecordedRequest) -> Result:
        return 200, {
            "id": str(self.app_id),
            "name": self.bot_user["username"],
            "icon": None,
            "description": "",
            "summary": "",
            "rpc_origins": [],
            "bot_public": True,
            "bot_require_code_grant": False,
            "bot": self.bot_user,
            "owner": self.users[self.owner_id],
            "team": None,
            "verify_key": "0" * 64,
            "flags": 0,
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": 1,
        }

    async def _get_gateway(self, request: web.Request, rec: RecordedRequest) -> Result:
        return 200, {"url": self.gateway_url}

    async def _get_gateway_bot(self, request: web.Request, rec: RecordedRequest) -> Result:
        limit = {
            "total": 1000,
            "remaining": 999,
            "reset_after": 14400000,
            "max_concurrency": self.max_concurrency,
        }
        return 200, {"url": self.gateway_url, "shards": self.shards, "session_start_limit": limit}

    # --- application commands ----------------------------------------------------------------------

    def _command_list(self, request: web.Request) -> list[dict[str, Any]]:
        guild_id = request.match_info.get("guild_id")
        if guild_id is None:
            return self.global_commands
        return self.guild_commands.setdefault(int(guild_id), [])

    def _normalise_command(self, body: dict[str, Any], existing: list[dict[str, Any]], guild_id: str | None):
        kind = body.get("type", 1)
        old = next((c for c in existing if c["name"] == body["name"] and c["type"] == kind), None)
        command = {
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
            "name_localizations": None,
            "description_localizations": None,
            **body,
            "id": old["id"] if old else str(p.snowflake()),
            "application_id": str(self.app_id),
            "version": str(p.snowflake()),
            "type": kind,
        }
        if guild_id is not None:
            command["guild_id"] = guild_id
        return command

    async def _put_commands(self, request: web.Request, rec: RecordedRequest) -> Result:
        if request.match_info["app_id"] != str(self.app_id):
            return _error(404, 10002, "Unknown Application")
        current = self._command_list(request)
        guild_id = request.match_info.get("guild_id")
        new = [self._normalise_command(body, current, guild_id) for body in rec.json or []]
        current[:] = new
        return 200, new

    async def _get_commands(self, request: web.Request, rec: RecordedRequest) -> Result:
        return 200, self._command_list(request)

    async def _post_command(self, request: web.Request, rec: RecordedRequest) -> Result:
        current = self._command_list(request)
        command = self._normalise_command(rec.json, current, request.match_info.get("guild_id"))
        current[:] = [c for c in current if c["id"] != command["id"]] + [command]
        return 200, command

    # --- interaction responses -----------------------------------------------------------------------

    async def _post_callback(self, request: web.Request, rec: RecordedRequest) -> Result:
        interaction = self.interactions.get(request.match_info["token"])
        if interaction is None or str(interaction.id) != request.match_info["interaction_id"]:
            return _error(404, 10062, "Unknown interaction")
        if interaction.callback is not None:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        if self.ack_deadline is not None and rec.received_at - interaction.sent_at > self.ack_deadline:
            return _error(404, 10062, "Unknown interaction")
        body = rec.json or {}
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        interaction.callback = rec
        message: dict[str, Any] | None = None
        if kind in (4, 5):
            flags = int(data.get("flags") or 0) & p.EPHEMERAL
            if kind == 5:
                message = self._interaction_message(interaction, {}, flags | p.LOADING)
            else:
                message = self._interaction_message(interaction, data, flags)
            interaction.original_message_id = int(message["id"])
        elif kind in (6, 7) and interaction.source_message_id is not None:
            interaction.original_message_id = interaction.source_message_id
            message = self.messages.get(interaction.source_message_id)
            if kind == 7 and message is not None:
                self._apply_edit(message, data)
        elif kind == 8:
            interaction.choices = list(data.get("choices") or [])
        info: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            info["response_message_id"] = message["id"]
            info["response_message_loading"] = kind == 5
            info["response_message_ephemeral"] = bool(message["flags"] & p.EPHEMERAL)
            resource["message"] = message
        return 200, {"interaction": info, "resource": resource}

    def _interaction_message(self, interaction: InteractionRecord, data: dict[str, Any], flags: int):
        """Store and return a new message created in answer to ``interaction``."""
        payload = interaction.payload
        user_payload = payload["member"]["user"]
        meta: dict[str, Any] = {
            "id": payload["id"],
            "type": payload["type"],
            "user": user_payload,
            "authorizing_integration_owners": payload["authorizing_integration_owners"],
        }
        legacy_member = {k: v for k, v in payload["member"].items() if k not in ("user", "permissions")}
        legacy = {"id": payload["id"], "type": payload["type"], "user": user_payload, "member": legacy_member}
        message_type = 0
        idata = payload.get("data") or {}
        if payload["type"] == 2:
            sub = [o["name"] for o in idata.get("options", []) if o.get("type") in (1, 2)]
            meta["name"] = legacy["name"] = " ".join([idata["name"], *sub])
            meta["command_type"] = idata.get("type", 1)
            message_type = 20 if idata.get("type", 1) == 1 else 23
            if "target_id" in idata:
                meta["target_message_id"] = idata["target_id"]
        else:
            legacy["name"] = idata.get("custom_id", "")
            if "message" in payload:
                meta["interacted_message_id"] = payload["message"]["id"]
        message = p.message(
            message_id=p.snowflake(),
            channel_id=int(payload["channel_id"]),
            guild_id=int(payload["guild_id"]),
            author=self.bot_user,
            flags=flags,
            message_type=message_type,
            application_id=self.app_id,
            webhook_id=self.app_id,
            interaction_metadata=meta,
            interaction=legacy,
        )
        self._apply_edit(message, data, first=True)
        self.messages[int(message["id"])] = message
        return message

    @staticmethod
    def _apply_edit(message: dict[str, Any], body: dict[str, Any], *, first: bool = False) -> None:
        """Apply a message create/edit body the way Discord does: given fields replace, ``null`` clears."""
        for key in _EDITABLE:
            if key in body:
                value = body[key]
                if key == "components" and value:
                    value = p.number_components(value)
                message[key] = value if value is not None else ("" if key == "content" else [])
        if first:
            return
        if "flags" in body and body["flags"] is not None:
            # Only a few flags are settable after creation (e.g. SUPPRESS_EMBEDS); ephemerality is fixed.
            message["flags"] = (message["flags"] & (p.EPHEMERAL | p.LOADING)) | (
                int(body["flags"]) & ~p.EPHEMERAL
            )
        was_loading = bool(message["flags"] & p.LOADING)
        message["flags"] &= ~p.LOADING
        if not was_loading:
            message["edited_timestamp"] = p.iso_now()

    # --- webhook (interaction token) messages ---------------------------------------------------------

    def _webhook_target(self, request: web.Request) -> tuple[InteractionRecord | None, int | None]:
        interaction = self.interactions.get(request.match_info["token"])
        if interaction is None or request.match_info["app_id"] != str(self.app_id):
            return None, None
        raw = request.match_info.get("message_id")
        if raw is None:
            return interaction, None
        if raw == "@original":
            return interaction, interaction.original_message_id
        return interaction, int(raw) if raw.isdigit() else None

    async def _post_followup(self, request: web.Request, rec: RecordedRequest) -> Result:
        interaction, _ = self._webhook_target(request)
        if interaction is None or interaction.callback is None:
            return _unknown_webhook()
        body = rec.json or {}
        original = self.messages.get(interaction.original_message_id or 0)
        if original is not None and original["flags"] & p.LOADING and not interaction.followup_ids:
            # The first followup after a "thinking" defer replaces the loading message.
            self._apply_edit(original, body)
            interaction.followup_ids.append(int(original["id"]))
            return 200, original
        message = self._interaction_message(interaction, body, int(body.get("flags") or 0) & p.EPHEMERAL)
        interaction.followup_ids.append(int(message["id"]))
        return 200, message

    async def _get_webhook_message(self, request: web.Request, rec: RecordedRequest) -> Result:
        interaction, message_id = self._webhook_target(request)
        if interaction is None:
            return _unknown_webhook()
        message = self.messages.get(message_id or 0)
        return (200, message) if message is not None else _unknown_message()

    async def _patch_webhook_message(self, request: web.Request, rec: RecordedRequest) -> Result:
        interaction, message_id = self._webhook_target(request)
        if interaction is None:
            return _unknown_webhook()
        message = self.messages.get(message_id or 0)
        if message is None:
            return _unknown_message()
        self._apply_edit(message, rec.json or {})
        return 200, message

    async def _delete_webhook_message(self, request: web.Request, rec: RecordedRequest) -> Result:
        interaction, message_id = self._webhook_target(request)
        if interaction is None:
            return _unknown_webhook()
        if self.messages.pop(message_id or 0, None) is None:
            return _unknown_message()
        return 204, None

    # --- channels and guilds ---------------------------------------------------------------------------

    def _known_channel(self, request: web.Request) -> int | None:
        channel_id = int(request.match_info["channel_id"])
        return channel_id if channel_id == self.channel_id else None

    async def _get_channel(self, request: web.Request, rec: RecordedRequest) -> Result:
        if self._known_channel(request) is None:
            return _error(404, 10003, "Unknown Channel")
        return 200, p.text_channel(self.channel_id, self.guild_id, self.channel_name)

    async def _post_channel_message(self, request: web.Request, rec: RecordedRequest) -> Result:
        channel_id = self._known_channel(request)
        if channel_id is None:
            return _error(404, 10003, "Unknown Channel")
        body = rec.json or {}
        message = p.message(
            message_id=p.snowflake(),
            channel_id=channel_id,
            guild_id=self.guild_id,
            author=self.bot_user,
            message_type=19 if body.get("message_reference") else 0,
        )
        self._apply_edit(message, body, first=True)
        self.messages[int(message["id"])] = message
        return 200, message

    def _channel_message(self, request: web.Request) -> dict[str, Any] | None:
        message = self.messages.get(int(request.match_info["message_id"]))
        if message is None or message["channel_id"] != request.match_info["channel_id"]:
            return None
        return message

    async def _get_channel_message(self, request: web.Request, rec: RecordedRequest) -> Result:
        message = self._channel_message(request)
        if message is None or message["flags"] & p.EPHEMERAL:
            return _unknown_message()
        return 200, message

    async def _patch_channel_message(self, request: web.Request, rec: RecordedRequest) -> Result:
        message = self._channel_message(request)
        if message is None or message["author"]["id"] != self.bot_user["id"]:
            return (
                _unknown_message()
                if message is None
                else _error(403, 50005, "Cannot edit a message authored by another user")
            )
        self._apply_edit(message, rec.json or {})
        return 200, message

    async def _delete_channel_message(self, request: web.Request, rec: RecordedRequest) -> Result:
        message = self._channel_message(request)
        if message is None:
            return _unknown_message()
        del self.messages[int(message["id"])]
        return 204, None

    async def _get_guild(self, request: web.Request, rec: RecordedRequest) -> Result:
        if request.match_info["guild_id"] != str(self.guild_id):
            return _error(404, 10004, "Unknown Guild")
        guild = self.guild_payload()
        for key in ("members", "channels", "threads", "presences", "voice_states"):
            guild.pop(key, None)
        return 200, guild

    async def _catch_all(self, request: web.Request, rec: RecordedRequest) -> Result:
        return 200, {}
