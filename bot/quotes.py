"""Quotes of formatted pages (Markdown, HTML) as Discord markdown that reads like the page.

The quote text is exact; only its presentation is built here, from the quote's blocks and style spans:
- paragraphs, list items (their marker kept as a Discord list marker), block quotes (``> ``) and table rows
  are display lines of escaped text with their inline styles (``**b**``, ``*i*``, ``~~s~~``, inline code) and
  links (``[text](<url>)``, to the absolute address the retriever resolved; see `inline`);
- a heading is a bold line; a code block is a fenced block with its language, its lines verbatim except for
  the zero-width spaces of `escaping.code_safe` (no fence can be closed from inside, no mention forms);
- the focus: prose in bold and underlined (the page's own bold is bold alone), a code block marked by a ``▶``
  line.

Inline styles are emitted per display line by `inline.emit_line` (properly nested, closed by the line's end).

When the whole quote does not fit the limit, whole lines are kept around the focus (first the focus lines,
then one line before, one after, and so on; a focus longer than the room keeps a short lead-in line); a
line that does not fit is cut on a word (prose) or left out
(code, counted in a "… N more lines" note outside the fence). Work is linear in the quote's length, apart
from a binary search over the one or two lines cut at the window's edges.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace

from index.models import Block

from .escaping import ELLIPSIS, code_safe, escape_tokens, fence_language
from .inline import ORDER, emit_line

FOCUS_MARK = "\u25b6"
FENCE = "```"
_LIST_MARKER = re.compile(r" *(?:-|\d{1,9}\.) ")
_NOTE_RESERVE = 2 * (len(f"{ELLIPSIS} 99999 lines above") + 1) + 4
_MIN_PARTIAL = 40  # a cut line at the window's edge must have at least this much room


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    kind: str  # "text" | "code" | "blank"
    seg: int  # index into the layout's segments; -1 for a blank separator line


def render_markup(
    text: str,
    blocks: Sequence[Block],
    limit: int,
    focus: tuple[int, int] | None = None,
    *,
    bold_focus: bool = True,
) -> str:
    """``text`` (a quote of a formatted page, with its blocks) as Discord markdown of at most ``limit``
    characters, the focus in view: bold for prose when ``bold_focus``, a ``▶`` line above focused code."""
    if limit <= 0 or not text.strip():
        return ""
    if focus is not None:
        a, b = max(0, focus[0]), min(len(text), focus[1])
        focus = (a, b) if a < b else None
    return _Layout(text, blocks, focus, bold_focus).render(limit)


def slice_blocks(blocks: Sequence[Block], start: int, end: int) -> tuple[Block, ...]:
    """The blocks of ``text[start:end]``, offsets relative to the slice (for a quote of the focus alone)."""
    return tuple(b.shifted(start, start, end) for b in blocks if b.end > start and b.start < end)


class _Layout:
    def __init__(self, text: str, blocks: Sequence[Block], focus: tuple[int, int] | None, bold: bool) -> None:
        self.text = text
        self.focus = focus
        self.tokens = escape_tokens(text)
        self.segs = _segments(text, blocks)
        self.lines: list[_Line] = []
        self.seg_lines: list[tuple[int, int]] = []  # first and last display line of each segment
        self._split_lines()
        self.spans: list[list[tuple[int, int, str, str]]] = [[] for _ in self.lines]
        self._place_spans(bold)
        self.focus_code = {
            k
            for k, s in enumerate(self.segs)
            if s.kind == "code" and focus is not None and s.start < focus[1] and focus[0] < s.end
        }
        self.langs = [fence_language(s.lang) if s.kind == "code" else "" for s in self.segs]
        self._cost: dict[int, int] = {}

    # -- structure ---------------------------------------------------------------------------------------

    def _split_lines(self) -> None:
        text = self.text
        prev_end: int | None = None
        for k, seg in enumerate(self.segs):
            if prev_end is not None and text.count("\n", prev_end, seg.start) >= 2:
                self.lines.append(_Line(prev_end, prev_end, "blank", -1))
            first = len(self.lines)
            pos = seg.start
            while True:
                nl = text.find("\n", pos, seg.end)
                end = seg.end if nl < 0 else nl
                kind = "code" if seg.kind == "code" else "text" if text[pos:end].strip() else "blank"
                self.lines.append(_Line(pos, end, kind, k))
                if nl < 0:
                    break
                pos = nl + 1
            self.seg_lines.append((first, len(self.lines) - 1))
            prev_end = seg.end

    def _place_spans(self, bold_focus: bool) -> None:
        """Each text line's style spans: its block's styles, the heading's bold, the focus's bold."""
        starts = [line.start for line in self.lines]

        def place(a: int, b: int, style: str, first: int, last: int, href: str = "") -> None:
            k = max(first, bisect_right(starts, a, first, last + 1) - 1)
            while k <= last and self.lines[k].start < b:
                line = self.lines[k]
                if line.kind == "text" and a < line.end:
                    self.spans[k].append((max(a, line.start), min(b, line.end), style, href))
                k += 1

        for n, seg in enumerate(self.segs):
            if seg.kind == "code":
                continue
            first, last = self.seg_lines[n]
            for s in seg.styles:
                if s.style in ORDER:
                    place(max(s.start, seg.start), min(s.end, seg.end), s.style, first, last, s.href)
            if seg.kind == "heading":
                place(seg.start, seg.end, "b", first, last)
            elif bold_focus and self.focus is not None:
                a, b = max(self.focus[0], seg.start), min(self.focus[1], seg.end)
                if a < b:  # bold and underlined: the page's own bold is bold alone
                    place(a, b, "u", first, last)
                    place(a, b, "b", first, last)

    # -- one display line --------------------------------------------------------------------------------

    def line_text(self, k: int, lo: int | None = None, hi: int | None = None) -> str:
        """Display line ``k`` (or its part ``[lo, hi)``, with an ellipsis where it is cut)."""
        line = self.lines[k]
        lo = line.start if lo is None else lo
        hi = line.end if hi is None else hi
        if line.kind == "blank":
            return ""
        if line.kind == "code":
            body = code_safe(self.text[lo:hi])
            return body + ELLIPSIS if hi < line.end else body
        seg = self.segs[line.seg]
        prefix = "> " if seg.kind == "quote" else ""
        if lo > line.start:
            prefix += ELLIPSIS
        elif seg.kind == "list_item" and line.start == seg.start:
            m = _LIST_MARKER.match(self.text, lo, hi)
            if m:
                prefix += self.text[lo : m.end()]
                lo = m.end()
        body = emit_line(self.text, self.tokens, lo, hi, self.spans[k])
        return prefix + body + (ELLIPSIS if hi < line.end else "")

    def cost(self, k: int) -> int:
        if k not in self._cost:
            self._cost[k] = len(self.line_text(k))
        return self._cost[k]

    def overhead(self, seg: int) -> int:
        """Characters a code block adds once any of its lines is shown: fences (and the focus mark)."""
        extra = len(FOCUS_MARK) + 1 if seg in self.focus_code else 0
        return len(FENCE) + len(self.langs[seg]) + 1 + len(FENCE) + 1 + extra

    # -- assembling a window ----------------------------------------------------------------------------

    def assemble(self, i0: int, i1: int, lo0: int | None = None, hi1: int | None = None) -> str:
        """Lines ``i0..i1`` (the first cut from ``lo0``, the last up to ``hi1``), code fenced, cuts noted."""
        lines = self.lines
        while i0 < i1 and lines[i0].kind == "blank":
            i0, lo0 = i0 + 1, None
        while i1 > i0 and lines[i1].kind == "blank":
            i1, hi1 = i1 - 1, None
        content = [k for k, line in enumerate(lines) if line.kind != "blank"]
        first, last = (content[0], content[-1]) if content else (0, -1)
        shown_prose = any(lines[k].kind == "text" for k in range(i0, i1 + 1))
        out: list[str] = []
        k = i0
        while k <= i1:
            line = lines[k]
            if line.kind != "code":
                out.append(self.line_text(k, lo0 if k == i0 else None, hi1 if k == i1 else None))
                if k == i0 and k > first and lo0 is None:
                    out.insert(len(out) - 1, ELLIPSIS)
                if k == i1 and k < last and hi1 is None:
                    out.append(ELLIPSIS)
                k += 1
                continue
            seg = line.seg
            seg_first, seg_last = self.seg_lines[seg]
            j = k
            while j < i1 and lines[j + 1].seg == seg:
                j += 1
            if k > seg_first:
                out.append(f"{ELLIPSIS} {_lines(k - seg_first)} above")
            elif k == i0 and k > first:
                out.append(ELLIPSIS)
            if seg in self.focus_code and shown_prose:
                out.append(FOCUS_MARK)
            out.append(FENCE + self.langs[seg])
            out.extend(self.line_text(n, None, hi1 if n == i1 else None) for n in range(k, j + 1))
            out.append(FENCE)
            if j < seg_last:
                out.append(f"{ELLIPSIS} {_lines(seg_last - j, more=True)}")
            elif j == i1 and j < last:
                out.append(ELLIPSIS)
            k = j + 1
        return "\n".join(out)

    # -- choosing the window ----------------------------------------------------------------------------

    def render(self, limit: int) -> str:
        content = [k for k, line in enumerate(self.lines) if line.kind != "blank"]
        if not content:
            return ""
        first, last = content[0], content[-1]
        if len(self.text) - self.text.count("\n") <= limit:  # else it cannot fit: no character shrinks
            whole = self.assemble(first, last)
            if len(whole) <= limit:
                return whole
        budget = limit - _NOTE_RESERVE
        if budget <= 0:
            return _fallback(self.text, self.focus, limit)
        f0, f1 = self._focus_lines(first)
        window = self._grow(f0, f1, first, last, budget)
        for _ in range(8):  # the estimate is conservative; this only guards against a miscount
            out = self.assemble(*window)
            if len(out) <= limit:
                return out
            i0, i1, lo0, hi1 = window
            if i1 > f1 and i1 > i0:
                window = (i0, i1 - 1, lo0, None)
            elif i0 < f0 and i0 < i1:
                window = (i0 + 1, i1, None, hi1)
            else:
                break
        return _fallback(self.text, self.focus, limit)

    def _focus_lines(self, first: int) -> tuple[int, int]:
        if self.focus is None:
            return first, first
        a, b = self.focus
        hit = [
            k for k, line in enumerate(self.lines) if line.kind != "blank" and line.start < b and a < line.end
        ]
        return (hit[0], hit[-1]) if hit else (first, first)

    def _add_cost(self, k: int, touched: set[int]) -> int:
        line = self.lines[k]
        c = self.cost(k) + 1
        if line.kind == "code" and line.seg not in touched:
            c += self.overhead(line.seg)
        return c

    def _grow(
        self, f0: int, f1: int, first: int, last: int, budget: int
    ) -> tuple[int, int, int | None, int | None]:
        touched: set[int] = set()
        focus_size = sum(self._add_cost(k, touched) for k in range(f0, f1 + 1))
        if focus_size > budget:  # the focus alone is longer than the room
            return self._focus_head(f0, f1, first, budget)
        size = focus_size
        touched.update(self.lines[k].seg for k in range(f0, f1 + 1))
        i1 = f1
        i0 = f0
        before, after = f0 - 1, f1 + 1
        open_before, open_after = before >= first, after <= last
        turn_before = True
        while open_before or open_after:
            if turn_before and open_before:
                c = self._add_cost(before, touched)
                if size + c <= budget:
                    size += c
                    touched.add(self.lines[before].seg)
                    i0, before = before, before - 1
                    open_before = before >= first
                else:
                    open_before = False
            elif not turn_before and open_after:
                c = self._add_cost(after, touched)
                if size + c <= budget:
                    size += c
                    touched.add(self.lines[after].seg)
                    i1, after = after, after + 1
                    open_after = after <= last
                else:
                    open_after = False
            turn_before = not turn_before
        hi1 = self._cut_after(after, budget - size) if after <= last else None
        if hi1 is not None:
            size += len(self.line_text(after, None, hi1)) + 1
            i1 = after
        lo0 = self._cut_before(before, budget - size) if before >= first else None
        if lo0 is not None:
            i0 = before
        return (i0, i1, lo0, hi1)

    def _cut_after(self, k: int, room: int) -> int | None:
        """The longest head ``[start, hi)`` of text line ``k`` that fits ``room`` (cut on a word), or None."""
        if k >= len(self.lines) or self.lines[k].kind != "text" or room < _MIN_PARTIAL:
            return None
        line = self.lines[k]
        hi = _longest(
            line.start,
            min(line.end, line.start + room),
            lambda h: len(self.line_text(k, None, h)) + 1 <= room,
        )
        hi = _word_cut_back(self.text, line.start, hi)
        return hi if hi > line.start else None

    def _cut_before(self, k: int, room: int) -> int | None:
        """The longest tail ``[lo, end)`` of text line ``k`` that fits ``room`` (cut on a word), or None."""
        if k < 0 or self.lines[k].kind != "text" or room < _MIN_PARTIAL:
            return None
        line = self.lines[k]
        span = line.end - line.start
        n = _longest(0, min(span, room), lambda n: len(self.line_text(k, line.end - n, None)) + 1 <= room)
        lo = _word_cut_forward(self.text, line.end - n, line.end)
        return lo if line.start < lo < line.end else None

    def _focus_head(
        self, f0: int, f1: int, first: int, budget: int
    ) -> tuple[int, int, int | None, int | None]:
        """The beginning of a focus longer than the room, after its lead-in line when that is short (the
        sentence that introduces a code block, the question heading)."""
        touched: set[int] = set()
        i0, size = f0, 0
        lead = f0 - 1
        while lead >= first and self.lines[lead].kind == "blank":
            lead -= 1
        if lead >= first and self.lines[lead].kind == "text":
            cost = sum(self._add_cost(k, touched) for k in range(lead, f0))
            if cost <= budget // 5:
                i0, size = lead, cost
        i1 = f0 - 1
        for k in range(f0, f1 + 1):
            c = self._add_cost(k, touched)
            if size + c > budget:
                break
            size += c
            touched.add(self.lines[k].seg)
            i1 = k
        if i1 >= f0:
            return (i0, i1, None, self._cut_after(i1 + 1, budget - size))
        line = self.lines[f0]
        if line.kind == "code":  # one code line longer than the room: its head, marked as cut
            room = budget - size - self.overhead(line.seg) - 1
            end = min(line.end, line.start + max(room, 0))
            hi = _longest(line.start, end, lambda h: len(code_safe(self.text[line.start : h])) + 1 <= room)
            return (i0, f0, None, hi)
        lo = line.start
        if self.focus is not None and self.focus[0] > line.start:
            focus_end = min(self.focus[1], line.end)
            if size + len(self.line_text(f0, None, focus_end)) + 1 > budget:
                i0, size = f0, 0
                lo = _word_start(self.text, line.start, self.focus[0])
        room = budget - size
        hi = _longest(lo, min(line.end, lo + room), lambda h: len(self.line_text(f0, lo, h)) + 1 <= room)
        hi = _word_cut_back(self.text, lo, hi)
        if lo > line.start:
            return (f0, f0, lo, max(hi, lo))
        return (i0, f0, None, max(hi, lo))


# -- helpers ----------------------------------------------------------------------------------------------


def _segments(text: str, blocks: Sequence[Block]) -> list[Block]:
    """The quote's blocks in order, clipped to the text, without overlaps; text no block covers (there
    should be none) becomes a paragraph so that nothing is silently dropped."""
    out: list[Block] = []
    pos = 0

    def gap(a: int, b: int) -> None:
        if text[a:b].strip():
            lead = len(text[a:b]) - len(text[a:b].lstrip())
            tail = len(text[a:b].rstrip())
            out.append(Block("paragraph", a + lead, a + tail))

    for blk in sorted(blocks, key=lambda b: (b.start, b.end)):
        a, e = max(blk.start, pos), min(blk.end, len(text))
        if e <= a:
            continue
        gap(pos, a)
        out.append(blk if (a, e) == (blk.start, blk.end) else replace(blk, start=a, end=e))
        pos = e
    gap(pos, len(text))
    return out


def _longest(lo: int, hi: int, fits) -> int:  # noqa: ANN001 - a predicate
    """Largest ``x`` in ``[lo, hi]`` with ``fits(x)`` (``fits`` is monotone), or ``lo``."""
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _word_cut_back(text: str, start: int, end: int) -> int:
    """``end`` moved back to the white space before it when one is within 40 characters."""
    space = text.rfind(" ", start, end)
    if end < len(text) and not text[end].isspace() and space > start and end - space <= 40:
        return space
    return end


def _word_cut_forward(text: str, start: int, end: int) -> int:
    if start > 0 and not text[start - 1].isspace():
        space = text.find(" ", start, end)
        if space >= 0 and space - start <= 40:
            return space + 1
    return start


def _word_start(text: str, line_start: int, index: int) -> int:
    space = text.rfind(" ", line_start, index)
    return space + 1 if space >= line_start and index - space <= 40 else index


def _lines(n: int, *, more: bool = False) -> str:
    return f"{n} {'more ' if more else ''}line{'s' if n != 1 else ''}"


def _fallback(text: str, focus: tuple[int, int] | None, limit: int) -> str:
    """The first line of the focus (or of the quote), escaped, cut to ``limit``: only for limits too small
    for any structure."""
    part = text[focus[0] : focus[1]] if focus else text
    line = next((ln.strip() for ln in part.split("\n") if ln.strip()), "")
    tokens = escape_tokens(line)
    if sum(map(len, tokens)) <= limit:
        return "".join(tokens)
    kept, size = [], len(ELLIPSIS)
    for token in tokens:
        if size + len(token) > limit:
            break
        kept.append(token)
        size += len(token)
    return "".join(kept) + ELLIPSIS if limit >= len(ELLIPSIS) else ""
