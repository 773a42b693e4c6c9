"""A checker for the Discord markdown that quotes of formatted pages render to (shared by the render tests).

``inline_nodes`` parses one line with the inline rules of simple-markdown, the parser Discord's client is built
on (escape, em/strong chosen by match length, del, inline code, text), so a marker that Discord would not pair
shows up as literal text. ``check_markup`` walks a whole description: fences balanced and unbreakable, code
lines verbatim (modulo zero-width spaces), every other line's visible text a part of the quote, nothing that
pings or links outside code.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
ELLIPSIS = "\u2026"

_ESCAPE = re.compile(r"\\([^0-9A-Za-z\s])")
_STRONG = re.compile(r"\*\*([\s\S]+?)\*\*(?!\*)")
_EM = re.compile(r"\*(?=\S)((?:\*\*|\\[\s\S]|\s+(?:\\[\s\S]|[^\s\*\\]|\*\*)|[^\s\*\\])+?)\*(?!\*)")
_DEL = re.compile(r"~~([\s\S]+?)~~(?!_)")
_CODE = re.compile(r"(`+)([\s\S]*?[^`])\1(?!`)")
_TEXT = re.compile(r"[\s\S]+?(?=[^0-9A-Za-z\s\u00c0-\uffff]|\n\n| {2,}\n|\w+:\S|$)")
_CODE_PAD = re.compile(r"^ (?= *`)|(` *) $")

RAW_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")
NOTE = re.compile(rf"\u25b6|{ELLIPSIS}|{ELLIPSIS} \d+ (?:more )?lines?(?: above)?")
FENCE_OPEN = re.compile(r"```[a-z0-9_+#.\-]*")
MARKDOWN_CHARS = set("*~`_|<>[]()#\\")
LIST_MARKER = re.compile(r" *(?:-|\d{1,9}\.) ")


def inline_nodes(s: str) -> list[tuple[str, str]]:
    """(kind, text) leaves of one line: kind is text, escaped or code; styles are flattened away."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(s):
        m = _ESCAPE.match(s, i)
        if m:
            out.append(("escaped", m.group(1)))
            i = m.end()
            continue
        em, strong = _EM.match(s, i), _STRONG.match(s, i)
        best = max(
            (c for c in ((em, 0.2), (strong, 0.1)) if c[0] is not None),
            key=lambda c: len(c[0].group(0)) + c[1],
            default=None,
        )
        if best is not None:
            out += inline_nodes(best[0].group(1))
            i = best[0].end()
            continue
        m = _DEL.match(s, i)
        if m:
            out += inline_nodes(m.group(1))
            i = m.end()
            continue
        m = _CODE.match(s, i)
        if m:
            out.append(("code", _CODE_PAD.sub(lambda g: g.group(1) or "", m.group(2))))
            i = m.end()
            continue
        m = _TEXT.match(s, i)
        out.append(("text", m.group(0)))
        i = m.end()
    return out


def visible_line(body: str) -> str:
    """What a reader sees of one line; fails on a markdown character Discord would show unpaired."""
    nodes = inline_nodes(body)
    for kind, text in nodes:
        if kind == "text":
            stray = MARKDOWN_CHARS & set(text)
            assert not stray, f"unpaired or unescaped {stray} in {body!r}"
            assert re.search(r"[A-Za-z0-9]://", text) is None, body
            assert "@" not in text.replace("@" + ZWSP, ""), body
    return "".join(text for _, text in nodes).replace(ZWSP, "")


def part_of(shown: str, quote: str) -> bool:
    """``shown`` (possibly with an ellipsis at either end for a cut) is a part of ``quote``."""
    candidates = {shown}
    if shown.startswith(ELLIPSIS):
        candidates.add(shown[1:])
    if shown.endswith(ELLIPSIS):
        candidates |= {c[:-1] for c in list(candidates)}
    return any(c in quote for c in candidates)


def check_markup(md: str, quote: str) -> dict[str, list[str]]:
    """Validate rendered markdown of ``quote``; returns the shown code lines and visible text lines."""
    assert RAW_MENTION.search(md) is None, md
    lines = md.split("\n")
    assert sum(1 for line in lines if line.startswith("```")) % 2 == 0, md
    quote_lines = set(quote.split("\n"))
    shown: dict[str, list[str]] = {"code": [], "text": [], "notes": []}
    in_code = False
    for line in lines:
        if in_code:
            if line == "```":
                in_code = False
                continue
            assert "```" not in line, line
            raw = line.replace(ZWSP, "")
            assert raw in quote_lines or (
                raw.endswith(ELLIPSIS) and any(q.startswith(raw[:-1]) for q in quote_lines)
            ), (raw, quote)
            shown["code"].append(raw)
            continue
        if line.startswith("```"):
            assert FENCE_OPEN.fullmatch(line), line
            in_code = True
            continue
        if NOTE.fullmatch(line):
            shown["notes"].append(line)
            continue
        body = line[2:] if line.startswith("> ") else line
        marker = LIST_MARKER.match(body)
        prefix = marker.group(0) if marker else ""
        text = prefix + visible_line(body[len(prefix) :])
        assert part_of(text, quote), (text, quote)
        shown["text"].append(text)
    assert not in_code, md
    return shown
