"""Answer buttons: their whole state fits the 100-character custom_id and parses back."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.views import DYNAMIC_ITEMS, ContextButton, MoreButton, ShareButton, answer_view
from index.models import Answer, Hit


def hit(passage_id: str) -> Hit:
    return Hit(passage_id, "d", "quote", "T", "s.txt", "paragraph 1 of 1", 0, 0.9, None)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 2**64 - 1),
    st.from_regex(r"[0-9a-f]{1,60}-[0-9a-f]{1,30}-\d{5}", fullmatch=True),
    st.integers(0, 9999),
    st.integers(1, 5),
    st.booleans(),
    st.booleans(),
)
def test_every_custom_id_fits_and_matches_exactly_one_registered_template(
    asker: int, passage_id: str, offset: int, k: int, private: bool, answered: bool
) -> None:
    answer = Answer("q", answered, tuple(hit(passage_id) for _ in range(k)))
    view = answer_view(asker, answer, offset=min(offset, 9999 - k), k=k, private=private)
    items = view.children if view is not None else []
    for item in items:
        custom_id = item.custom_id
        assert len(custom_id) <= 100
        matching = [c for c in DYNAMIC_ITEMS if c.__discord_ui_compiled_template__.fullmatch(custom_id)]
        assert len(matching) == 1
        assert str(asker) in custom_id
    labels = [item.item.label for item in items]
    assert ("Context" in labels) == (len(f"qb:ctx:{asker}:{passage_id}") <= 100)
    assert ("Share" in labels) == private
    assert ("More" in labels) == answered


async def test_buttons_parse_their_state_back_from_the_custom_id() -> None:
    more = MoreButton(42, 3, 3)
    parsed = await MoreButton.from_custom_id(
        None, more.item, MoreButton.__discord_ui_compiled_template__.fullmatch(more.custom_id)
    )
    assert (parsed.asker_id, parsed.offset, parsed.k, parsed.rescored) == (42, 3, 3, None)  # an older id
    for rescored in (True, False):  # the first page's late-interaction choice rides along
        more = MoreButton(42, 6, 3, rescored)
        assert more.custom_id == f"qb:more:42:6:3:{int(rescored)}"
        parsed = await MoreButton.from_custom_id(
            None, more.item, MoreButton.__discord_ui_compiled_template__.fullmatch(more.custom_id)
        )
        assert (parsed.offset, parsed.k, parsed.rescored) == (6, 3, rescored)
    ctx = ContextButton(42, "abc-def-00001")
    parsed_ctx = await ContextButton.from_custom_id(
        None, ctx.item, ContextButton.__discord_ui_compiled_template__.fullmatch(ctx.custom_id)
    )
    assert (parsed_ctx.asker_id, parsed_ctx.passage_id, parsed_ctx.span) == (42, "abc-def-00001", None)
    grown = ContextButton(42, "abc-def-00003", (2, 4))  # a quote grown over passages 2 to 4
    assert grown.custom_id == "qb:ctx:42:abc-def-00003:2-4"
    parsed_grown = await ContextButton.from_custom_id(
        None, grown.item, ContextButton.__discord_ui_compiled_template__.fullmatch(grown.custom_id)
    )
    assert (parsed_grown.passage_id, parsed_grown.span) == ("abc-def-00003", (2, 4))
    share = ShareButton(42)
    assert share.custom_id == "qb:share:42"
