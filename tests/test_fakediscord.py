"""The fake Discord works with the real discord.py client: login, gateway, sync, interactions, buttons."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.fakediscord import FakeDiscordTimeout, payloads, running_fake, start_client
from tests.fakediscord.fixtures import fake_discord_fixture  # noqa: F401

pytestmark = pytest.mark.timeout(20)


class PressButton(discord.ui.DynamicItem[discord.ui.Button], template=r"tiny:press:(?P<owner>\d+)"):
    """A restart-proof button: its state (the asker's id) lives in the custom_id."""

    def __init__(self, owner: int) -> None:
        super().__init__(discord.ui.Button(label="Press", custom_id=f"tiny:press:{owner}"))
        self.owner = owner

    @classmethod
    async def from_custom_id(cls, interaction, item, match: re.Match[str]) -> PressButton:
        return cls(int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        asker = interaction.message.interaction_metadata.user.id
        await interaction.response.edit_message(
            content=f"pressed by {interaction.user.id}; owner {self.owner}; asked by {asker}", view=None
        )


class TinyBot(discord.Client):
    """A minimal discord.py bot: one deferring command, one button, one autocomplete, one context menu."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.05,
        )
        self.guild = discord.Object(guild_id)
        self.tree = app_commands.CommandTree(self)
        self.tree.command(name="echo", description="Defer, then edit")(self.echo)
        self.tree.command(name="button", description="A message with a button")(self.button)
        pick = app_commands.command(name="pick", description="Autocomplete a fruit")(self.pick)
        pick.autocomplete("fruit")(self.fruits)
        self.tree.add_command(pick)
        self.tree.add_command(app_commands.ContextMenu(name="Shout", callback=self.shout))

    async def setup_hook(self) -> None:
        self.add_dynamic_items(PressButton)
        self.tree.copy_global_to(guild=self.guild)
        await self.tree.sync(guild=self.guild)

    async def echo(self, interaction: discord.Interaction, text: str, loud: bool = False) -> None:
        await interaction.response.defer(thinking=True, ephemeral=loud)
        who = interaction.user
        await interaction.edit_original_response(
            content=f"{text.upper() if loud else text} | {who.name} | #{interaction.channel.name} | "
            f"{interaction.guild.name} | manage={interaction.permissions.manage_guild}"
        )

    async def button(self, interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(PressButton(interaction.user.id))
        await interaction.response.send_message("Press it", view=view)

    async def pick(self, interaction: discord.Interaction, fruit: str) -> None:
        await interaction.response.send_message(f"picked {fruit}", ephemeral=True)

    async def fruits(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = ["apple", "apricot", "banana"]
        return [app_commands.Choice(name=n, value=n) for n in names if n.startswith(current)]

    async def shout(self, interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(message.content.upper(), ephemeral=True)


async def test_login_reads_identity_and_syncs_guild_commands_with_ids():
    async with running_fake() as fake, start_client(TinyBot(fake.guild_id), fake) as bot:
        me = await fake.wait_request("GET", r"^/users/@me$")
        app = await fake.wait_request("GET", r"^/oauth2/applications/@me$")
        sync = await fake.wait_request(
            "PUT", rf"^/applications/{fake.app_id}/guilds/{fake.guild_id}/commands$"
        )
        assert me.authorized and app.status == 200
        assert {c["name"] for c in sync.json} == {"echo", "button", "pick", "Shout"}
        assert all(c["id"].isdigit() for c in sync.response)
        assert bot.application_id == fake.app_id and bot.user.id == fake.app_id
        guild = bot.get_guild(fake.guild_id)
        assert guild.name == fake.guild_name and guild.get_channel(fake.channel_id).name == "general"
        assert (
            guild.default_role.permissions.send_messages and not guild.default_role.permissions.manage_guild
        )


async def test_wrong_token_gets_401_and_login_failure():
    async with running_fake(token="right-token") as fake:
        client = discord.Client(intents=discord.Intents.default())
        with pytest.raises(discord.LoginFailure):
            await client.login("wrong-token")
        await client.close()
        assert fake.requests[-1].path == "/users/@me" and fake.requests[-1].status == 401


async def test_responses_are_plain_application_json():
    async with running_fake() as fake, aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bot {fake.token}"}
        async with http.get(f"{fake.api_url}/users/@me", headers=headers) as resp:
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["id"] == str(fake.app_id)


async def test_slash_command_defers_then_edits_original_with_guild_context():
    async with running_fake() as fake, start_client(TinyBot(fake.guild_id), fake):
        record = await fake.send_slash("echo", {"text": "hello"})
        callback = await fake.wait_callback(record)
        assert callback.json["type"] == 5 and callback.query == {"with_response": "1"}
        edit = await fake.wait_original_edit(record)
        assert edit.json["content"] == "hello | alice | #general | Quotebot Test Guild | manage=False"
        answer = await fake.wait_answer(record)
        assert answer["content"] == edit.json["content"]
        assert answer["interaction_metadata"]["name"] == "echo"
        assert not answer["flags"] & payloads.EPHEMERAL
        assert record.ack_latency is not None and record.ack_latency < 3
        assert edit.received_at > callback.received_at


async def test_permissions_and_privacy_are_configurable_per_call():
    async with running_fake() as fake, start_client(TinyBot(fake.guild_id), fake):
        as_manager = await fake.send_slash("echo", {"text": "x", "loud": True}, user_id=fake.manager_id)
        answer = await fake.wait_answer(as_manager)
        assert answer["content"].endswith("| morgan | #general | Quotebot Test Guild | manage=True")
        assert answer["flags"] & payloads.EPHEMERAL
        explicit = await fake.send_slash("echo", {"text": "y"}, permissions=payloads.MANAGER_PERMISSIONS)
        assert (await fake.wait_answer(explicit))["content"].endswith("manage=True")


async def test_button_click_reaches_callback_with_the_original_question():
    async with running_fake() as fake, start_client(TinyBot(fake.guild_id), fake):
        asked = await fake.send_slash("button", user_id=fake.user_id)
        message = await fake.wait_answer(asked)
        assert message["content"] == "Press it"
        click = await fake.click(message, label="Press", user_id=fake.other_user_id)
        assert (await fake.wait_callback(click)).json["type"] == 7
        updated = fake.messages[int(message["id"])]
        expected = f"pressed by {fake.other_user_id}; owner {fake.user_id}; asked by {fake.user_id}"
        assert updated["content"] == expected and updated["components"] == []


async def test_button_still_works_after_the_client_restarts():
    async with running_fake() as fake:
        async with start_client(TinyBot(fake.guild_id), fake):
            message = await fake.wait_answer(await fake.send_slash("button"))
        async with start_client(TinyBot(fake.guild_id), fake):
            click = await fake.click(message, label="Press")
            await fake.wait_callback(click)
        assert fake.identify_count == 2
        assert fake.messages[int(message["id"])]["content"].startswith(f"pressed by {fake.user_id}")


async def test_autocomplete_returns_choices_for_the_focused_option():
    async with running_fake() as fake, start_client(TinyBot(fake.guild_id), fake):
        record = await fake.send_autocomplete("pick", {"fruit": "ap"}, focused="fruit")
        assert [c["value"] for c in await fake.wait_autocomplete(record)] == ["apple", "apricot"]
        assert record.callback_type == 8


async def test_message_context_menu_receives_the_target_message():
    async with running_fake() as fake, start_client(TinyBot(fake.guild_id), fake):
        target = fake.post_user_message("quiet words")
        record = await fake.send_message_command("Shout", target)
        answer = await fake.wait_answer(record)
        assert answer["content"] == "QUIET WORDS" and answer["flags"] & payloads.EPHEMERAL


async def test_client_resumes_after_a_dropped_connection_and_keeps_answering():
    async with running_fake() as fake, start_client(TinyBot(fake.guild_id), fake):
        await fake.drop_connection(4000)
        await fake.wait_for(lambda: fake.resume_count == 1, timeout=10, what="a RESUME")
        record = await fake.send_slash("echo", {"text": "after"})
        assert (await fake.wait_answer(record))["content"].startswith("after |")
        assert fake.identify_count == 1


async def test_a_second_callback_is_rejected_like_discord():
    async with (
        running_fake() as fake,
        aiohttp.ClientSession() as http,
        start_client(TinyBot(fake.guild_id), fake),
    ):
        record = await fake.send_slash("button")
        await fake.wait_callback(record)
        url = f"{fake.api_url}/interactions/{record.id}/{record.token}/callback"
        async with http.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
            assert resp.status == 400 and (await resp.json())["code"] == 40060


async def test_fifty_concurrent_interactions_each_get_their_own_answer():
    async with running_fake(ack_deadline=3.0) as fake, start_client(TinyBot(fake.guild_id), fake):
        records = await asyncio.gather(*(fake.send_slash("echo", {"text": f"n{i}"}) for i in range(50)))
        answers = await asyncio.gather(*(fake.wait_answer(r) for r in records))
        assert [a["content"].split(" |")[0] for a in answers] == [f"n{i}" for i in range(50)]
        assert all(r.ack_latency < 3 for r in records)
        sequences = [
            f["s"] for d, f in fake.gateway_log if d == "sent" and f.get("t") == "INTERACTION_CREATE"
        ]
        assert sequences == sorted(sequences) and len(set(sequences)) == 50


async def test_waits_time_out_instead_of_hanging(fake_discord):
    with pytest.raises(FakeDiscordTimeout, match="POST"):
        await fake_discord.wait_request("POST", r"/never", timeout=0.2)
    with pytest.raises(FakeDiscordTimeout):
        await fake_discord.wait_connected(timeout=0.2)
    assert fake_discord.api_url == discord.http.Route.BASE
