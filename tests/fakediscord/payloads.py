"""Pure builders for the JSON payloads Discord sends (users, guilds, members, messages, interactions).

Shapes follow the Discord API v10 documentation and what discord.py 2.7 reads (``discord/state.py``,
``discord/guild.py``, ``discord/member.py``, ``discord/message.py``, ``discord/interactions.py``):
every key discord.py accesses with ``data[...]`` is present. Nothing here imports discord.py.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38

#: What @everyone may do in the fake guild: an ordinary member, no Manage Server.
MEMBER_PERMISSIONS = (
    ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
#: A member holding the "Manage Server" permission (what ``default_permissions(manage_guild=True)`` needs).
MANAGER_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_GUILD
#: What the bot itself may do in the channel (``interaction.app_permissions``).
BOT_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_MESSAGES

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7

_counter = itertools.count()
_counter_lock = threading.Lock()


def snowflake() -> int:
    """A fresh, unique, time-ordered Discord snowflake (``created_at`` in discord.py is now)."""
    with _counter_lock:
        increment = next(_counter) & 0x3FFFFF
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    # The low 22 bits hold worker/process/increment; a process-wide counter keeps ids unique.
    return (ms << 22) | increment


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


def user(user_id: int, username: str, *, bot: bool = False, global_name: str | None = None) -> dict[str, Any]:
    """A user object."""
    payload: dict[str, Any] = {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": global_name if global_name is not None else (None if bot else username.title()),
        "avatar": None,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }
    if bot:
        payload["bot"] = True
    return payload


def member(
    user_payload: dict[str, Any],
    *,
    roles: list[int] | None = None,
    permissions: int | None = None,
    nick: str | None = None,
) -> dict[str, Any]:
    """A guild member object; ``permissions`` (resolved, as in interactions) is included when given."""
    payload: dict[str, Any] = {
        "user": user_payload,
        "roles": [str(r) for r in roles or []],
        "nick": nick,
        "avatar": None,
        "banner": None,
        "joined_at": "2024-01-01T00:00:00+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def role(role_id: int, name: str, permissions: int, *, position: int = 0) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def text_channel(channel_id: int, guild_id: int, name: str, *, position: int = 0) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "parent_id": None,
        "rate_limit_per_user": 0,
        "flags": 0,
    }


def guild(
    guild_id: int,
    name: str,
    *,
    owner_id: int,
    roles: list[dict[str, Any]],
    channels: list[dict[str, Any]],
    members: list[dict[str, Any]],
) -> dict[str, Any]:
    """A full GUILD_CREATE guild object (the @everyone role id equals the guild id)."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "system_channel_id": channels[0]["id"] if channels else None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "features": [],
        "roles": roles,
        "emojis": [],
        "stickers": [],
        "unavailable": False,
        "large": False,
        "lazy": True,
        "member_count": len(members),
        "joined_at": "2024-01-01T00:00:00+00:00",
        "members": members,
        "channels": channels,
        "threads": [],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "application_id": None,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "incidents_data": None,
    }


def number_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every component a numeric ``id`` the way Discord does (depth first, from 1), keeping given ids."""
    counter = itertools.count(1)

    def walk(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for item in items:
            copy = dict(item)
            copy.setdefault("id", next(counter))
            if isinstance(copy.get("components"), list):
                copy["components"] = walk(copy["components"])
            if isinstance(copy.get("accessory"), dict):
                copy["accessory"] = walk([copy["accessory"]])[0]
            out.append(copy)
        return out

    return walk(components)


def iter_components(components: list[dict[str, Any]]):
    """Yield every component in a message's component tree (rows, sections, buttons, selects...)."""
    for item in components:
        yield item
        yield from iter_components(item.get("components") or [])
        if isinstance(item.get("accessory"), dict):
            yield from iter_components([item["accessory"]])


def message(
    *,
    message_id: int,
    channel_id: int,
    guild_id: int | None,
    author: dict[str, Any],
    content: str = "",
    embeds: list[dict[str, Any]] | None = None,
    components: list[dict[str, Any]] | None = None,
    flags: int = 0,
    message_type: int = 0,
    application_id: int | None = None,
    webhook_id: int | None = None,
    interaction_metadata: dict[str, Any] | None = None,
    interaction: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message object as Discord returns it from REST and sends in interactions."""
    payload: dict[str, Any] = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "type": message_type,
        "content": content,
        "author": author,
        "embeds": list(embeds or []),
        "components": number_components(list(components or [])),
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "flags": flags,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "sticker_items": [],
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    if application_id is not None:
        payload["application_id"] = str(application_id)
    if webhook_id is not None:
        payload["webhook_id"] = str(webhook_id)
    if interaction_metadata is not None:
        payload["interaction_metadata"] = interaction_metadata
    if interaction is not None:
        payload["interaction"] = interaction
    return payload


def interaction(
    *,
    interaction_type: int,
    application_id: int,
    guild_id: int,
    channel: dict[str, Any],
    member_payload: dict[str, Any],
    data: dict[str, Any] | None,
    app_permissions: int = BOT_PERMISSIONS,
    locale: str = "en-US",
    message_payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An INTERACTION_CREATE payload sent in a guild text channel (context 0)."""
    payload: dict[str, Any] = {
        "id": str(snowflake()),
        "application_id": str(application_id),
        "type": interaction_type,
        "token": f"itok-{snowflake()}",
        "version": 1,
        "attachment_size_limit": 10 * 1024 * 1024,
        "app_permissions": str(app_permissions),
        "locale": locale,
        "guild_locale": "en-US",
        "entitlements": [],
        "entitlement_sku_ids": [],
        "authorizing_integration_owners": {"0": str(guild_id)},
        "context": 0,
        "guild_id": str(guild_id),
        "guild": {"id": str(guild_id), "locale": "en-US", "features": []},
        "channel_id": channel["id"],
        "channel": dict(channel),
        "member": member_payload,
    }
    if data is not None:
        payload["data"] = data
    if message_payload is not None:
        payload["message"] = message_payload
    return payload


def option_type(value: Any) -> int:
    """Discord option type for a Python value: bool 5, int 4, float 10, anything else string 3."""
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    return 3
