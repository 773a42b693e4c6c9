"""Interaction payload builders and senders, mixed into :class:`~tests.fakediscord.server.FakeDiscord`.

Each ``build_*`` method returns an ``INTERACTION_CREATE`` payload (a plain dict you may tweak); each
``send_*`` method builds one, dispatches it over the gateway and returns its
:class:`~tests.fakediscord.records.InteractionRecord`. Who invokes is configurable on every call:
``user_id`` (default :attr:`FakeDiscord.user_id`, an ordinary member), ``permissions`` (resolved
permission bits, default depends on the user's roles), ``roles``, ``guild_id``, ``channel_id``, ``locale``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import payloads as p
from .records import InteractionRecord

if TYPE_CHECKING:
    from .server import FakeDiscord

    _Base = FakeDiscord
else:
    _Base = object


class InteractionBuilders(_Base):
    # --- who is invoking -------------------------------------------------------------------------

    def _invoker(
        self,
        user_id: int | None,
        permissions: int | None,
        roles: list[int] | None,
    ) -> dict[str, Any]:
        uid = self.user_id if user_id is None else user_id
        user_payload = self.users.get(uid) or p.user(uid, f"user{uid}")
        member_roles = self.member_roles.get(uid, []) if roles is None else roles
        if permissions is None:
            permissions = self.everyone_permissions
            for role_id in member_roles:
                permissions |= self.role_permissions.get(role_id, 0)
            if uid == self.owner_id:
                permissions |= p.ADMINISTRATOR | p.MANAGE_GUILD
        return p.member(user_payload, roles=member_roles, permissions=permissions)

    def _envelope(
        self,
        interaction_type: int,
        data: dict[str, Any] | None,
        *,
        user_id: int | None,
        permissions: int | None,
        roles: list[int] | None,
        guild_id: int | None,
        channel_id: int | None,
        locale: str,
        message_payload: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        gid = self.guild_id if guild_id is None else guild_id
        cid = self.channel_id if channel_id is None else channel_id
        return p.interaction(
            interaction_type=interaction_type,
            application_id=self.app_id,
            guild_id=gid,
            channel=p.text_channel(
                cid, gid, self.channel_name if cid == self.channel_id else f"channel-{cid}"
            ),
            member_payload=self._invoker(user_id, permissions, roles),
            data=data,
            locale=locale,
            message_payload=message_payload,
        )

    # --- application command data ----------------------------------------------------------------

    def _command_data(
        self,
        name: str,
        command_type: int,
        guild_id: int | None,
        command_guild_id: int | None,
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """``data`` skeleton for a command, using the synced definition when there is one.

        Like Discord, ``data.guild_id`` is only set for a guild command (synced with the guild PUT).
        """
        gid = self.guild_id if guild_id is None else guild_id
        synced = self.find_command(name, guild_id=gid, command_type=command_type)
        data: dict[str, Any] = {
            "id": synced["id"] if synced else str(p.snowflake()),
            "name": name,
            "type": command_type,
        }
        if command_guild_id is not None:
            data["guild_id"] = str(command_guild_id)
        elif synced and synced.get("guild_id"):
            data["guild_id"] = synced["guild_id"]
        return data, synced

    @staticmethod
    def _options(
        values: Mapping[str, Any] | None,
        synced: dict[str, Any] | None,
        focused: str | None = None,
    ) -> list[dict[str, Any]]:
        declared = {o["name"]: o for o in (synced or {}).get("options", [])}
        out = []
        for name, value in (values or {}).items():
            kind = declared[name]["type"] if name in declared else p.option_type(value)
            option: dict[str, Any] = {"name": name, "type": kind, "value": value}
            if name == focused:
                option["focused"] = True
            out.append(option)
        return out

    def build_slash_command(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        subcommand: str | None = None,
        user_id: int | None = None,
        permissions: int | None = None,
        roles: list[int] | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        command_guild_id: int | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """A chat-input command (interaction type 2, data type 1): ``/name opt:value ...``.

        Option types come from the synced command when it was synced (PUT), else from the Python value
        (str 3, int 4, bool 5, float 10). ``subcommand`` nests the options under a type-1 option.
        """
        data, synced = self._command_data(name, 1, guild_id, command_guild_id)
        if subcommand is not None:
            sub_def = next(
                (o for o in (synced or {}).get("options", []) if o.get("name") == subcommand), None
            )
            data["options"] = [{"name": subcommand, "type": 1, "options": self._options(options, sub_def)}]
        else:
            data["options"] = self._options(options, synced)
        return self._envelope(
            2,
            data,
            user_id=user_id,
            permissions=permissions,
            roles=roles,
            guild_id=guild_id,
            channel_id=channel_id,
            locale=locale,
        )

    def build_autocomplete(
        self,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        user_id: int | None = None,
        permissions: int | None = None,
        roles: list[int] | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        command_guild_id: int | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """An autocomplete request (interaction type 4): ``options`` holds what the user typed so far,
        ``focused`` names the option being completed (its value is the partial text)."""
        if focused not in options:
            raise ValueError(f"focused option {focused!r} must be one of the given options")
        data, synced = self._command_data(name, 1, guild_id, command_guild_id)
        data["options"] = self._options(options, synced, focused=focused)
        return self._envelope(
            4,
            data,
            user_id=user_id,
            permissions=permissions,
            roles=roles,
            guild_id=guild_id,
            channel_id=channel_id,
            locale=locale,
        )

    def build_message_command(
        self,
        name: str,
        target: dict[str, Any],
        *,
        user_id: int | None = None,
        permissions: int | None = None,
        roles: list[int] | None = None,
        guild_id: int | None = None,
        channel_id: int | None = None,
        command_guild_id: int | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """A message context-menu command (type 2, data type 3) on ``target`` (a message dict, e.g. from
        :meth:`post_user_message`), carried in ``data.resolved.messages``."""
        data, _ = self._command_data(name, 3, guild_id, command_guild_id)
        data["target_id"] = target["id"]
        data["resolved"] = {"messages": {target["id"]: target}}
        return self._envelope(
            2,
            data,
            user_id=user_id,
            permissions=permissions,
            roles=roles,
            guild_id=guild_id,
            channel_id=channel_id,
            locale=locale,
        )

    def build_component(
        self,
        message: dict[str, Any] | int,
        custom_id: str,
        *,
        component_type: int = 2,
        values: list[str] | None = None,
        user_id: int | None = None,
        permissions: int | None = None,
        roles: list[int] | None = None,
        guild_id: int | None = None,
        locale: str = "en-US",
    ) -> dict[str, Any]:
        """A component interaction (type 3) on a stored message (dict or id): a button click by default
        (``component_type`` 2), or a select (3, 5-8) with ``values``. The payload carries the message as
        the fake currently stores it, including its ``interaction_metadata`` / ``interaction``."""
        message_id = int(message["id"]) if isinstance(message, dict) else int(message)
        stored = self.messages.get(message_id)
        if stored is None:
            raise KeyError(f"no stored message {message_id}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = list(values)
        return self._envelope(
            3,
            data,
            user_id=user_id,
            permissions=permissions,
            roles=roles,
            guild_id=guild_id,
            channel_id=int(stored["channel_id"]),
            locale=locale,
            message_payload=stored,
        )

    # --- finding components ------------------------------------------------------------------------

    def find_button(
        self, message: dict[str, Any] | int, *, label: str | None = None, custom_id: str | None = None
    ) -> dict[str, Any]:
        """The first button (component type 2) on a stored message with this label and/or custom_id
        (a ``custom_id`` ending in ``*`` matches as a prefix). Raises ``LookupError`` listing the buttons."""
        message_id = int(message["id"]) if isinstance(message, dict) else int(message)
        stored = self.messages[message_id]
        buttons = [c for c in p.iter_components(stored.get("components", [])) if c.get("type") == 2]
        for button in buttons:
            if label is not None and button.get("label") != label:
                continue
            if custom_id is not None:
                cid = button.get("custom_id", "")
                if custom_id.endswith("*") and not cid.startswith(custom_id[:-1]):
                    continue
                if not custom_id.endswith("*") and cid != custom_id:
                    continue
            return button
        shown = [(b.get("label"), b.get("custom_id")) for b in buttons]
        raise LookupError(
            f"no button label={label!r} custom_id={custom_id!r} on message {message_id}: {shown}"
        )

    # --- build + send ----------------------------------------------------------------------------

    async def send_slash(
        self, name: str, options: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> InteractionRecord:
        """Build (:meth:`build_slash_command`) and dispatch a slash command."""
        return await self.send_interaction(self.build_slash_command(name, options, **kwargs))

    async def send_autocomplete(
        self, name: str, options: Mapping[str, Any], focused: str, **kwargs: Any
    ) -> InteractionRecord:
        """Build (:meth:`build_autocomplete`) and dispatch an autocomplete request."""
        return await self.send_interaction(self.build_autocomplete(name, options, focused, **kwargs))

    async def send_message_command(
        self, name: str, target: dict[str, Any], **kwargs: Any
    ) -> InteractionRecord:
        """Build (:meth:`build_message_command`) and dispatch a message context-menu command."""
        return await self.send_interaction(self.build_message_command(name, target, **kwargs))

    async def click(
        self,
        message: dict[str, Any] | int,
        *,
        label: str | None = None,
        custom_id: str | None = None,
        **kwargs: Any,
    ) -> InteractionRecord:
        """Click the button found by :meth:`find_button` on a stored message, as ``user_id`` (kwargs go to
        :meth:`build_component`)."""
        button = self.find_button(message, label=label, custom_id=custom_id)
        if button.get("disabled"):
            raise LookupError(f"button {button.get('label')!r} is disabled; Discord would not send a click")
        return await self.send_interaction(self.build_component(message, button["custom_id"], **kwargs))
