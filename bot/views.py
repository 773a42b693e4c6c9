"""Answer buttons that survive restarts: their whole state lives in the custom_id (DynamicItem).

- More:    ``qb:more:{asker}:{offset}:{k}[:{rescored}]``  the next ``k`` quotes after ``offset``; the question
           is read back from the message content (``render.question_line``); ``rescored`` (0/1) repeats the first
           page's late-interaction choice, so every page is cut from the same ranking (older ids: decided anew).
- Context: ``qb:ctx:{asker}:{passage_id}[:{first}-{last}]``  the passages before and after the top quote (a grown
  quote names its first and last passages; no model call).
- Share:   ``qb:share:{asker}``              re-posts a private answer publicly, attributed to the asker.

Only the asker may press them; anyone else gets an ephemeral refusal.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot import render
from bot.errors import send_error
from index.models import Answer

if TYPE_CHECKING:
    from bot.client import QuoteBot

log = logging.getLogger(__name__)

NOT_YOURS = "Only the person who asked can use these buttons. Ask your own question with /ask."


def _bot(interaction: discord.Interaction) -> QuoteBot:
    return interaction.client  # type: ignore[return-value]


async def _only_asker(interaction: discord.Interaction, asker_id: int) -> bool:
    if interaction.user.id == asker_id:
        return True
    await interaction.response.send_message(NOT_YOURS, ephemeral=True)
    return False


class MoreButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"qb:more:(?P<asker>\d{1,20}):(?P<offset>\d{1,4}):(?P<k>\d{1,2})(?::(?P<rescored>[01]))?",
):
    def __init__(self, asker_id: int, offset: int, k: int, rescored: bool | None = None) -> None:
        self.asker_id, self.offset, self.k, self.rescored = asker_id, offset, k, rescored
        flag = "" if rescored is None else f":{int(rescored)}"
        super().__init__(
            discord.ui.Button(
                label="More",
                style=discord.ButtonStyle.primary,
                custom_id=f"qb:more:{asker_id}:{offset}:{k}{flag}",
            )
        )

    @classmethod
    def from_match(cls, match: Any) -> MoreButton:
        flag = match["rescored"]
        return cls(
            int(match["asker"]), int(match["offset"]), int(match["k"]), None if flag is None else flag == "1"
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> MoreButton:
        return cls.from_match(match)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await _only_asker(interaction, self.asker_id)

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        message = interaction.message
        try:
            question = render.read_question(message.content if message else None)
            if question is None:
                raise LookupError("the answer message carries no question line")
            bot.check_cooldown(interaction.user.id)
            await interaction.response.defer()  # keeps the message; the edit follows
            private = bool(message and message.flags.ephemeral)
            prefix = _content_prefix(message.content if message else "")
            answer, rendered = await bot.answer(
                question, k=self.k, offset=self.offset, content_prefix=prefix, rescore=self.rescored
            )
            view = answer_view(interaction.user.id, answer, offset=self.offset, k=self.k, private=private)
            await interaction.edit_original_response(
                content=rendered.content, embeds=rendered.embeds, view=view
            )
        except Exception as error:  # noqa: BLE001 - every failure gets a message, unexpected ones an id
            await send_error(interaction, error)


def context_id(asker_id: int, passage_id: str, span: tuple[int, int] | None) -> str:
    """The Context button's id: the top quote's passage, and its first and last passages when it was grown."""
    tail = f":{span[0]}-{span[1]}" if span is not None else ""
    return f"qb:ctx:{asker_id}:{passage_id}{tail}"


class ContextButton(
    discord.ui.DynamicItem[discord.ui.Button],
    template=r"qb:ctx:(?P<asker>\d{1,20}):(?P<passage>[\w.\-]{1,80})(?::(?P<first>\d{1,6})-(?P<last>\d{1,6}))?",
):
    def __init__(self, asker_id: int, passage_id: str, span: tuple[int, int] | None = None) -> None:
        self.asker_id, self.passage_id, self.span = asker_id, passage_id, span
        super().__init__(
            discord.ui.Button(
                label="Context",
                style=discord.ButtonStyle.secondary,
                custom_id=context_id(asker_id, passage_id, span),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> ContextButton:
        span = (int(match["first"]), int(match["last"])) if match["first"] is not None else None
        return cls(int(match["asker"]), match["passage"], span)

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await _only_asker(interaction, self.asker_id)

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        try:
            await interaction.response.defer(ephemeral=True, thinking=True)
            interaction.extras["ephemeral"] = True
            before, this, after = await bot.context(self.passage_id, self.span)
            rendered = render.render_context(before, this, after)
            await interaction.edit_original_response(content=rendered.content, embeds=rendered.embeds)
        except Exception as error:  # noqa: BLE001
            await send_error(interaction, error)


class ShareButton(discord.ui.DynamicItem[discord.ui.Button], template=r"qb:share:(?P<asker>\d{1,20})"):
    def __init__(self, asker_id: int) -> None:
        self.asker_id = asker_id
        super().__init__(
            discord.ui.Button(
                label="Share", style=discord.ButtonStyle.success, custom_id=f"qb:share:{asker_id}"
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> ShareButton:
        return cls(int(match["asker"]))

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        return await _only_asker(interaction, self.asker_id)

    async def callback(self, interaction: discord.Interaction) -> None:
        message = interaction.message
        try:
            if message is None or not message.embeds:
                raise LookupError("nothing to share on this message")
            shared = render.render_shared(interaction.user.id, message.content, message.embeds)
            view = _public_copy(message)
            await interaction.response.send_message(
                content=shared.content, embeds=shared.embeds, view=view, ephemeral=False
            )
        except Exception as error:  # noqa: BLE001
            await send_error(interaction, error)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (MoreButton, ContextButton, ShareButton)


def answer_view(
    asker_id: int, answer: Answer, *, offset: int, k: int, private: bool
) -> discord.ui.View | None:
    """The buttons under an answer page: More (if a full page came back), Context, Share (private)."""
    view = discord.ui.View(timeout=None)
    if answer.answered and len(answer.hits) >= k:
        view.add_item(MoreButton(asker_id, offset + k, k, answer.rescored))
    if answer.hits:
        top = answer.hits[0]
        custom_id = context_id(asker_id, top.passage_id, top.span)
        if len(
            custom_id
        ) <= render.CUSTOM_ID_LIMIT and ContextButton.__discord_ui_compiled_template__.fullmatch(custom_id):
            view.add_item(ContextButton(asker_id, top.passage_id, top.span))
    if private and answer.hits:
        view.add_item(ShareButton(asker_id))
    return view if view.children else None


def _content_prefix(content: str) -> str:
    """Lines of an answer's content above the question line (e.g. 'Shared by ...'), kept on More."""
    lines = []
    for line in content.splitlines():
        if line.startswith(render.QUESTION_PREFIX):
            break
        lines.append(line)
    return "\n".join(lines)


def _public_copy(message: discord.Message) -> discord.ui.View | None:
    """The private answer's More/Context buttons, rebuilt for the public copy (no Share there)."""
    view = discord.ui.View(timeout=None)
    for row in message.components:
        for component in getattr(row, "children", []):
            custom_id = getattr(component, "custom_id", None) or ""
            for item_cls in (MoreButton, ContextButton):
                match = item_cls.__discord_ui_compiled_template__.fullmatch(custom_id)
                if match is None:
                    continue
                if item_cls is MoreButton:
                    view.add_item(MoreButton.from_match(match))
                else:
                    view.add_item(ContextButton(int(match["asker"]), match["passage"]))
    return view if view.children else None


__all__ = ["DYNAMIC_ITEMS", "ContextButton", "MoreButton", "ShareButton", "answer_view"]
