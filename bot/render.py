"""Pure functions from retrieval records to Discord messages, within Discord's limits.

Quotes of plain-text sources are escaped block quotes: escaped token by token (`escaping`), only then
truncated on token boundaries, the focus bolded after escaping, so the only unescaped ``*`` are our own balanced
markers. Quotes of formatted pages (Markdown, HTML) keep the page's look (`quotes.render_markup`): inline
styles, lists, headings as bold lines, code as fenced blocks; the focus in view. Attribution is
``Title › Section › Subsection``, the file and the location, linked to the page when its address is known
(`escaping.safe_url`: an address from a document cannot inject markdown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import discord

from index.models import SECTION_SEP, Answer, Hit, Passage, SourceInfo, lines_location
from index.smalltalk import SMALL_TALK_NOTE

from .escaping import ELLIPSIS, ZWSP, clip, clip_plain, escape, escape_tokens, masked_link, safe_url, unescape
from .quotes import render_markup, slice_blocks

__all__ = ["ELLIPSIS", "ZWSP", "clip", "clip_plain", "escape", "escape_tokens", "unescape"]

# Discord limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256
EMBED_TOTAL_LIMIT = 6000
EMBEDS_PER_MESSAGE = 10
CONTENT_LIMIT = 2000
CUSTOM_ID_LIMIT = 100
CHOICES_LIMIT = 25
CHOICE_LIMIT = 100

NOT_ANSWERED = "No passage in the corpus answers this well enough."
SMALL_TALK = SMALL_TALK_NOTE + " Ask me something they cover, for example `/ask question: how do I …`."
QUESTION_PREFIX = "**Question:** "
SAFETY_MARGIN = 100  # headroom under the 6000-character message total
PATH_PART_LIMIT = 120
PATH_LIMIT = 400

ANSWER_COLOUR = discord.Colour.blurple()
WEAK_COLOUR = discord.Colour.light_grey()


def _render_window(
    text: str, tokens: Sequence[str], start: int, end: int, focus: tuple[int, int] | None
) -> str:
    """Block-quote ``text[start:end]`` with the focus in bold, one bold run per line."""
    lines: list[str] = []
    line: list[str] = []
    bold: list[str] = []
    bold_ws: list[str] = []  # whitespace seen inside the focus, held until we know if bold continues

    def close_bold() -> None:
        if bold:
            line.append("**" + "".join(bold) + "**")
            bold.clear()
        line.extend(bold_ws)
        bold_ws.clear()

    for i in range(start, end):
        char = text[i]
        if char == "\n":
            close_bold()
            lines.append("".join(line))
            line = []
            continue
        in_focus = focus is not None and focus[0] <= i < focus[1]
        if not in_focus:
            close_bold()
            line.append(tokens[i])
        elif char.isspace():
            (bold_ws if bold else line).append(tokens[i])
        else:
            bold.extend(bold_ws)
            bold_ws.clear()
            bold.append(tokens[i])
    close_bold()
    lines.append("".join(line))
    if start > 0:
        lines[0] = ELLIPSIS + lines[0]
    if end < len(text):
        lines[-1] = lines[-1].rstrip() + ELLIPSIS
    return "\n".join("> " + body for body in lines)


def block_quote(text: str, limit: int, focus: tuple[int, int] | None = None) -> str:
    """``text`` as a Discord block quote of at most ``limit`` characters, focus in bold.

    Escapes first, then picks the longest window that fits: from the start when the focus fits
    there, otherwise from the start of the focus. Cuts fall on whitespace when one is near.
    """
    if focus is not None:
        a, b = max(0, focus[0]), min(len(text), focus[1])
        focus = (a, b) if a < b else None
    tokens = escape_tokens(text)
    full = _render_window(text, tokens, 0, len(text), focus)
    if len(full) <= limit:
        return full
    start = 0
    end = _longest_end(text, tokens, 0, focus, limit)
    if focus is not None and end < focus[1]:
        start = _word_start(text, focus[0])
        end = _longest_end(text, tokens, start, focus, limit)
        if end <= start:
            start = focus[0]
            end = _longest_end(text, tokens, start, focus, limit)
    if end <= start:
        return ""
    return _render_window(text, tokens, start, end, focus)


def _longest_end(
    text: str, tokens: Sequence[str], start: int, focus: tuple[int, int] | None, limit: int
) -> int:
    """Largest ``end`` whose rendered window fits ``limit`` (binary search: length grows with end)."""
    lo, hi = start, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(_render_window(text, tokens, start, mid, focus)) <= limit:
            lo = mid
        else:
            hi = mid - 1
    end = lo
    if end < len(text):
        space = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
        if space > start and end - space <= 40:
            end = space
    return end


def _word_start(text: str, index: int) -> int:
    """Start of the sentence-ish run before ``index``: back to the previous whitespace, at most 40 chars."""
    space = max(text.rfind(" ", 0, index), text.rfind("\n", 0, index))
    return space + 1 if space >= 0 and index - space <= 40 else index


def score_bar(score: float, width: int = 10) -> str:
    """``▰▰▰▰▰▰▰▰▱▱ 85%``: the bar is drawn from the printed percentage, so equal percentages get equal bars."""
    percent = round(min(1.0, max(0.0, score)) * 100)
    filled = (percent * width + 50) // 100
    return "\u25b0" * filled + "\u25b1" * (width - filled) + f" {percent}%"


@dataclass(frozen=True)
class Rendered:
    """A message ready to send: ``content`` and ``embeds`` within limits."""

    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)


def question_line(question: str) -> str:
    """The first line of an answer: the question, escaped, so buttons can read it back."""
    return QUESTION_PREFIX + clip(" ".join(question.split()), 1200)


def read_question(content: str | None) -> str | None:
    """The question stored by :func:`question_line` in a message's content, or None."""
    for line in (content or "").splitlines():
        if line.startswith(QUESTION_PREFIX):
            return unescape(line[len(QUESTION_PREFIX) :])
    return None


def section_path(title: str, section: Sequence[str]) -> str:
    """``Title › Section › Subsection``, escaped, each part and the whole clipped (a heading that repeats the
    title is not shown twice)."""
    parts = [title or "Untitled", *section]
    if len(parts) > 1 and " ".join(parts[1].split()).casefold() == " ".join(parts[0].split()).casefold():
        del parts[1]
    return clip(SECTION_SEP.join(clip_plain(part, PATH_PART_LIMIT) for part in parts), PATH_LIMIT)


def quote_markdown(
    text: str,
    limit: int,
    focus: tuple[int, int] | None = None,
    *,
    blocks: Sequence = (),
    markup: bool = False,
    bold_focus: bool = True,
) -> str:
    """A quote as Discord markdown within ``limit``: a formatted page's quote as the page reads, plain text
    as an escaped block quote; the focus bold (prose) or marked (code) and kept in view."""
    if markup and blocks:
        return render_markup(text, blocks, limit, focus, bold_focus=bold_focus)
    return block_quote(text, limit, focus if bold_focus else None)


def source_text(hit: Hit) -> str:
    """The Source field: the section path (formatted pages), then the file and the location."""
    where = f"{clip(hit.source, 300)}, {clip(hit.location, 100)}"
    return f"{section_path(hit.title, hit.section)}\n{where}" if hit.section else where


def hit_embed(hit: Hit, rank: int, *, weak: bool, description_limit: int) -> discord.Embed:
    """One quote: title (linked to the page when known), the quote with its focus, attribution, score."""
    embed = discord.Embed(
        title=clip(f"{rank}. {hit.title}", TITLE_LIMIT),
        description=quote_markdown(
            hit.quote, description_limit, hit.focus, blocks=hit.blocks, markup=hit.markup
        ),
        colour=WEAK_COLOUR if weak else ANSWER_COLOUR,
        url=safe_url(hit.url),
    )
    embed.add_field(name="Source", value=source_text(hit), inline=True)
    match = score_bar(hit.score) + (" \u00b7 weak match" if weak else "")
    embed.add_field(name="Match", value=match, inline=True)
    if weak:
        embed.set_footer(text="Weak match: below the confidence threshold.")
    return embed


def _hit_overhead(hit: Hit, rank: int, weak: bool) -> int:
    return len(hit_embed(hit, rank, weak=weak, description_limit=0))


def render_answer(
    answer: Answer, *, offset: int = 0, content_prefix: str = "", threshold: float | None = None
) -> Rendered:
    """The /ask answer: the question line, then one embed per quote (or the plain 'no answer').

    Every quote is marked weak when the answer is not confident; with ``threshold``, so is any
    later quote whose own score falls below it.
    """
    content_lines = [line for line in (content_prefix, question_line(answer.question)) if line]
    hits = list(answer.hits[:EMBEDS_PER_MESSAGE])
    if answer.small_talk and not hits:
        content_lines.append(SMALL_TALK)
    elif not answer.answered:
        if not hits:
            content_lines.append("No more passages for this question." if offset else NOT_ANSWERED)
        else:
            if offset == 0:
                hits = hits[:1]
                content_lines.append(NOT_ANSWERED + " The closest passage is shown as a weak match.")
            else:
                content_lines.append("More passages (all weak matches):")
    elif not hits:
        content_lines.append("No more passages for this question.")
    weak = [not answer.answered or (threshold is not None and h.score < threshold) for h in hits]
    embeds: list[discord.Embed] = []
    if hits:
        ranked = list(enumerate(hits, start=offset + 1))
        overhead = sum(_hit_overhead(h, rank, w) for (rank, h), w in zip(ranked, weak, strict=True))
        budget = (EMBED_TOTAL_LIMIT - SAFETY_MARGIN - overhead) // len(hits)
        budget = max(0, min(DESCRIPTION_LIMIT, budget))
        embeds = [
            hit_embed(h, rank, weak=w, description_limit=budget)
            for (rank, h), w in zip(ranked, weak, strict=True)
        ]
    return Rendered(content=_fit_content("\n".join(content_lines)), embeds=embeds)


def _fit_content(content: str) -> str:
    if len(content) <= CONTENT_LIMIT:
        return content
    # Only reachable with an absurd prefix: drop whole lines from the end rather than cut an escape.
    lines = content.split("\n")
    while lines and len("\n".join(lines)) > CONTENT_LIMIT:
        lines.pop()
    return "\n".join(lines)


def render_quote_card(hit: Hit) -> str:
    """/quote: the focus (a code focus as a fenced block), then
    '— Title › Section · source, location' and a link to the page when its address is known."""
    where = section_path(hit.title, hit.section) if hit.section else (clip(hit.title, 200) or "Untitled")
    a, b = hit.focus or (0, len(hit.quote))
    a, b = max(0, a), min(len(hit.quote), b)
    while a < b and hit.quote[a].isspace():
        a += 1
    while b > a and hit.quote[b - 1].isspace():
        b -= 1
    if a >= b:
        a, b = 0, len(hit.quote)
    for blk in hit.blocks if hit.markup else ():
        if blk.kind == "code" and blk.start < b and a < blk.end:  # code is quoted whole lines or not at all
            a, b = min(a, blk.start), max(b, blk.end)
    # the lines of what is quoted, not of the whole passage (a page's lines; a plain text's paragraphs)
    location = (
        hit.markup and lines_location([k for k in hit.blocks if k.start < b and a < k.end])
    ) or hit.location
    attribution = f"\u2014 **{where}** \u00b7 {clip(hit.source, 300)}, {clip(location, 100)}"
    link = masked_link("page", hit.url)
    if link:
        attribution += f" \u00b7 {link}"
    quote = quote_markdown(
        hit.quote[a:b],
        CONTENT_LIMIT - len(attribution) - 1,
        blocks=slice_blocks(hit.blocks, a, b),
        markup=hit.markup,
        bold_focus=False,
    )
    return f"{quote}\n{attribution}"


def render_shared(user_id: int, rendered_content: str | None, embeds: Sequence[discord.Embed]) -> Rendered:
    """A private answer re-posted publicly: 'Shared by <@id>' (allowed mentions none: no ping)."""
    question = read_question(rendered_content)
    lines = [f"Shared by <@{user_id}>"]
    if question is not None:
        lines.append(question_line(question))
    return Rendered(content="\n".join(lines), embeds=list(embeds)[:EMBEDS_PER_MESSAGE])


def render_context(before: Passage | None, this: Passage | None, after: Passage | None) -> Rendered:
    """The passages around a quote, each rendered like a quote (served from the store, no model call)."""
    if this is None:
        return Rendered(content="That passage is no longer in the index (it was re-indexed or removed).")
    parts = [("Before", before), ("Quoted passage", this), ("After", after)]
    embeds: list[tuple[discord.Embed, Passage]] = []
    for label, passage in parts:
        if passage is None:
            continue
        embed = discord.Embed(
            title=clip(f"{label} \u00b7 {passage.title}", TITLE_LIMIT),
            colour=ANSWER_COLOUR if passage is this else WEAK_COLOUR,
            url=safe_url(passage.page_url) if passage is this else None,
        )
        where = f"{passage.source}, {passage.location}"
        if passage.markup and passage.section:
            where = f"{SECTION_SEP.join(passage.section)} \u00b7 {where}"
        embed.set_footer(text=clip_plain(where, 300))
        embeds.append((embed, passage))
    overhead = sum(len(embed) for embed, _ in embeds)
    budget = min(DESCRIPTION_LIMIT, (EMBED_TOTAL_LIMIT - SAFETY_MARGIN - overhead) // len(embeds))
    for embed, passage in embeds:
        embed.description = quote_markdown(passage.text, budget, blocks=passage.blocks, markup=passage.markup)
    return Rendered(content="Context of the top quote:", embeds=[embed for embed, _ in embeds])


def render_sources_pages(sources: Sequence[SourceInfo], *, per_page: int = 12) -> list[discord.Embed]:
    """/sources: one embed per page listing documents with their passage counts."""
    if not sources:
        return [discord.Embed(title="Indexed documents", description="Nothing is indexed yet.")]
    total = sum(s.passages for s in sources)
    pages = [sources[i : i + per_page] for i in range(0, len(sources), per_page)]
    embeds = []
    for number, page in enumerate(pages, start=1):
        lines = [
            f"**{clip(s.title, 120)}** \u2014 {clip(s.source, 120)} \u00b7 {s.passages} passages"
            for s in page
        ]
        embed = discord.Embed(title="Indexed documents", description="\n".join(lines), colour=ANSWER_COLOUR)
        embed.set_footer(text=f"Page {number}/{len(pages)} \u00b7 {len(sources)} documents, {total} passages")
        embeds.append(embed)
    return embeds


def source_choices(sources: Sequence[SourceInfo], current: str) -> list[tuple[str, str]]:
    """Autocomplete (name, value) pairs for a partial source: titles first, at most 25, each <= 100."""
    needle = current.casefold().strip()
    ranked: list[tuple[int, SourceInfo]] = []
    for s in sources:
        title, source = s.title.casefold(), s.source.casefold()
        if not needle:
            rank = 2
        elif title.startswith(needle) or source.startswith(needle):
            rank = 0
        elif needle in title or needle in source:
            rank = 1
        else:
            continue
        ranked.append((rank, s))
    ranked.sort(key=lambda pair: (pair[0], pair[1].title.casefold()))
    choices = []
    for _, s in ranked[:CHOICES_LIMIT]:
        # A value must resolve exactly: the path when it fits, else the document id (never a clipped text).
        value = s.source if len(s.source) <= CHOICE_LIMIT else s.doc_id
        choices.append((clip_plain(f"{s.title} ({s.source})", CHOICE_LIMIT), value))
    return choices


def find_source(sources: Sequence[SourceInfo], value: str) -> SourceInfo | None:
    """The source whose path, title or document id is ``value`` (case-insensitive), or None."""
    wanted = value.strip().casefold()
    return next((s for s in sources if wanted in (s.source.casefold(), s.title.casefold(), s.doc_id)), None)


def embed_text(embed: discord.Embed) -> list[tuple[str, str]]:
    """(kind, markdown) parts of an embed in reading order, for the terminal session."""
    parts: list[tuple[str, str]] = []
    if embed.title:
        parts.append(("title", embed.title))
    if embed.description:
        parts.append(("description", embed.description))
    if embed.url:
        parts.append(("link", embed.url))
    parts.extend(("field", f"{f.name}: {f.value}") for f in embed.fields)
    if embed.footer and embed.footer.text:
        parts.append(("footer", embed.footer.text))
    return parts
