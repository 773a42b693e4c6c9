"""One line of quoted text with inline styles (bold, italics, strike, inline code, links) as Discord markdown.

The text is escaped token by token (`escaping.escape_tokens`); the styles become markers around it:
- the style intervals are made properly nested (an interval crossing the end of an enclosing one is split
  there), inline code is a leaf (a style ending inside a code span grows to the whole span), no marker opens or
  closes next to white space (``*x*`` cannot start or end with a space in Discord's parser);
- inline code whose text holds ``*`` or ``~`` is set outside the surrounding bold/italic/strike, whose closing
  markers Discord's parser would otherwise find inside it;
- a zero-width space keeps a marker from joining the asterisks or tildes written before it;
- a link is a masked link ``[text](<url>)`` (outermost among equal intervals: ``[`Client`](<url>)``; none
  with an end inside inline code) when
  `escaping.link_target` accepts its address and text; otherwise its text is plain. A link cut by the line's
  end (or split by a crossing style) is a shorter link to the same address, never half of one.
Every marker is closed by the end of the line. Linear in the line's length (plus sorting its spans).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Sequence

from .escaping import ZWSP, inline_code, link_target

MARKERS = {"u": "__", "b": "**", "i": "*", "s": "~~"}
ORDER = {"link": -2, "u": -1, "b": 0, "i": 1, "s": 2, "code": 3}

# A span over the quote text: (start, end, style), or (start, end, "link", address) for a link.
Span = tuple[int, int, str] | tuple[int, int, str, str]
_Item = tuple[int, int, str, str]  # (start, end, style, url): url only for links


def emit_line(text: str, tokens: Sequence[str], lo: int, hi: int, spans: Sequence[Span]) -> str:
    """``text[lo:hi]`` (one line) as escaped markdown with its styles, every marker closed by ``hi``."""
    if lo >= hi:
        return ""
    wanted: dict[str, list[tuple[int, int]]] = {"u": [], "b": [], "i": [], "s": [], "code": []}
    linked: list[tuple[int, int, str]] = []
    for span in spans:
        a, b, style = max(span[0], lo), min(span[1], hi), span[2]
        if a >= b:
            continue
        if style == "link":
            linked.append((a, b, span[3] if len(span) > 3 else ""))  # type: ignore[misc]
        elif style in wanted:
            wanted[style].append((a, b))
    if not linked and not any(wanted.values()):
        return "".join(tokens[lo:hi])
    code = [(a, b) for a, b in _merge(wanted["code"]) if text[a:b].strip()]
    bare = [(a, b) for a, b in code if "*" in text[a:b] or "~" in text[a:b]]
    # an underline cannot hold inline code with a double underscore ("__a `__init__` b__" closes inside it)
    bare_u = [(a, b) for a, b in code if "__" in text[a:b]]
    items: list[_Item] = [(a, b, "code", "") for a, b in code]
    starts = [a for a, _ in code]
    for style in ("u", "b", "i", "s"):
        widened = _merge([_widen(a, b, code, starts) for a, b in wanted[style]])
        items += [
            (a, b, style, "") for a, b in _trim(text, _subtract(widened, bare_u if style == "u" else bare))
        ]
    link_end = lo  # links never overlap (a link cannot hold a link): a later overlapping one stays plain
    for la, lb, href in sorted(linked):
        if _widen(la, lb, code, starts) != (la, lb):  # an end inside inline code: no link inside code
            continue
        for a, b in _trim(text, [(la, lb)]):
            url = link_target(href, text[a:b])
            if url and a >= link_end:
                items.append((a, b, "link", url))
                link_end = b
    out: list[str] = []
    stack: list[tuple[int, str, str]] = []  # (end, style, url) of open markers, innermost last
    code_from: list[int] = []
    pos = lo
    last = ""  # what was written last: "text", "open", "close" or "code"

    def text_to(end: int) -> None:
        nonlocal pos, last
        if end > pos:
            out.append("".join(tokens[pos:end]))
            pos, last = end, "text"

    def marker(mark: str, kind: str) -> None:
        nonlocal last
        # A zero-width space keeps a marker from joining the asterisks or tildes before it: an escaped
        # "\*" or "\~" ("~~\~~~" would close on the escaped tilde) or a closing marker ("*a***b**");
        # and a link's "[" from an "!" before it (an image).
        if (last == "text" and out[-1].endswith(mark[0] if mark != "[" else "!")) or (
            last == "close" and kind == "open"
        ):
            out.append(ZWSP)
        out.append(mark)
        last = kind

    def close_top() -> None:
        nonlocal pos, last
        end, style, url = stack.pop()
        if style == "code":
            start = code_from.pop()
            body = text[start:end]
            out.append(inline_code(body) if body.strip() else "".join(tokens[start:end]))
            pos, last = end, "code"
        else:
            text_to(end)
            marker(f"](<{url}>)" if style == "link" else MARKERS[style], "close")

    for a, b, style, url in _laminar(text, items):
        while stack and stack[-1][0] <= a:
            close_top()
        text_to(a)
        if style == "code":
            code_from.append(a)
        else:
            marker("[" if style == "link" else MARKERS[style], "open")
        stack.append((b, style, url))
    while stack:
        close_top()
    text_to(hi)
    return "".join(out)


def _widen(a: int, b: int, code: list[tuple[int, int]], starts: list[int]) -> tuple[int, int]:
    """A style interval whose end falls inside an inline code span grows to the whole span (a code span is
    formatted as a whole or not at all)."""
    k = bisect_right(starts, a) - 1
    if k >= 0 and code[k][0] < a < code[k][1]:
        a = code[k][0]
    k = bisect_right(starts, b) - 1
    if k >= 0 and code[k][0] < b < code[k][1]:
        b = code[k][1]
    return a, b


def _laminar(text: str, items: list[_Item]) -> list[_Item]:
    """The intervals made properly nested, in opening order: an interval that crosses the end of an enclosing
    one is split there (the rest starts after white space); nothing opens inside inline code. Equal intervals
    nest in a fixed order (a link outermost, code innermost)."""
    heap = [(a, -b, ORDER[s], b, s, url) for a, b, s, url in items]
    heapq.heapify(heap)
    out: list[_Item] = []
    stack: list[tuple[int, str]] = []

    def later(start: int, order: int, b: int, style: str, url: str) -> None:
        while start < b and text[start].isspace():
            start += 1
        if start < b:
            heapq.heappush(heap, (start, -b, order, b, style, url))

    while heap:
        a, _, order, b, style, url = heapq.heappop(heap)
        while stack and stack[-1][0] <= a:
            stack.pop()
        if stack and stack[-1][1] == "code":
            if b > stack[-1][0]:
                later(stack[-1][0], order, b, style, url)
            continue
        if stack and b > stack[-1][0]:
            end = stack[-1][0]
            later(end, order, b, style, url)
            b = end
        out.append((a, b, style, url))
        stack.append((b, style))
    return out


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _subtract(intervals: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    if not holes:
        return intervals
    out: list[tuple[int, int]] = []
    for a, b in intervals:
        for ha, hb in holes:
            if hb <= a or ha >= b:
                continue
            if ha > a:
                out.append((a, ha))
            a = max(a, hb)
            if a >= b:
                break
        if a < b:
            out.append((a, b))
    return out


def _trim(text: str, intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Intervals without white space at either end (Discord's ``*x*`` cannot start or end with a space)."""
    out = []
    for a, b in intervals:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out
