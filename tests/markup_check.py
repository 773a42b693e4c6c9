"""A checker for the Discord markdown that quotes of formatted pages render to (shared by the render tests).

``inline_nodes`` parses one line with the inline rules of simple-markdown, the parser Discord's client is built
on (escape, masked link, em/strong chosen by match length, del, inline code, text), so a marker that Discord
would not pair shows up as literal text. ``check_markup`` walks a whole description: fences balanced and
unbreakable, code lines verbatim (modulo zero-width spaces), every other line's visible text a part of the quote,
nothing that pings outside code, and no link but masked links to plain http(s) addresses whose characters cannot
pair with a marker (no ``_ ~ * ` | ( ) < > @`` or white space) and that hold no link themselves.
"""

from __future__ import annotations

import re

ZWSP = "\u200b"
ELLIPSIS = "\u2026"

_ESCAPE = re.compile(r"\\([^0-9A-Za-z\s])")
_STRONG = re.compile(r"\*\*([\s\S]+?)\*\*(?!\*)")
_EM = re.compile(r"\*(?=\S)((?:\*\*|\\[\s\S]|\s+(?:\\[\s\S]|[^\s\*\\]|\*\*)|[^\s\*\\])+?)\*(?!\*)")
_UNDER = re.compile(r"__([\s\S]+?)__(?!_)")
_DEL = re.compile(r"~~([\s\S]+?)~~(?!_)")
_CODE = re.compile(r"(`+)([\s\S]*?[^`])\1(?!`)")
_TEXT = re.compile(r"[\s\S]+?(?=[^0-9A-Za-z\s\u00c0-\uffff]|\n\n| {2,}\n|\w+:\S|$)")
_CODE_PAD = re.compile(r"^ (?= *`)|(` *) $")
# simple-markdown's link rule: LINK_INSIDE, then LINK_HREF_AND_TITLE
_LINK = re.compile(
    r"\[((?:\[[^\]]*\]|[^\[\]]|\](?=[^\[]*\]))*)\]"
    r"\(\s*<?((?:\([^)]*\)|[^\s\\])*?)>?(?:\s+['\"]([\s\S]*?)['\"])?\s*\)"
)
SAFE_LINK = re.compile(r"https?://[A-Za-z0-9.\-]+(?::\d+)?(?:[/?#][A-Za-z0-9/\-.?#&=+%:,;!$]*)?")

RAW_MENTION = re.compile(r"@(everyone|here)|<@[!&]?\d+>|<#\d+>")
NOTE = re.compile(rf"\u25b6|{ELLIPSIS}|{ELLIPSIS} \d+ (?:more )?lines?(?: above)?")
FENCE_OPEN = re.compile(r"```[a-z0-9_+#.\-]*")
MARKDOWN_CHARS = set("*~`_|<>[]()#\\")
LIST_MARKER = re.compile(r" *(?:-|\d{1,9}\.) ")


def inline_nodes(s: str, links: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """(kind, text) leaves of one line: kind is text, escaped or code; styles and links are flattened away.
    Each masked link's (visible text, address) is appended to ``links``; its address must be `SAFE_LINK`."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(s):
        m = _ESCAPE.match(s, i)
        if m:
            out.append(("escaped", m.group(1)))
            i = m.end()
            continue
        m = _LINK.match(s, i)
        if m:
            inner_links: list[tuple[str, str]] = []
            inner = inline_nodes(m.group(1), inner_links)
            assert not inner_links, f"a link inside a link: {s!r}"
            assert m.group(3) is None and m.group(0).endswith(">)"), f"not a masked <address>: {s!r}"
            assert SAFE_LINK.fullmatch(m.group(2)), f"unsafe link address {m.group(2)!r} in {s!r}"
            text = "".join(t for _, t in inner).replace(ZWSP, "")
            assert text.strip() and "://" not in text, f"a link without text or showing an address: {s!r}"
            if links is not None:
                links.append((text, m.group(2)))
            out += inner
            i = m.end()
            continue
        em, strong = _EM.match(s, i), _STRONG.match(s, i)
        best = max(
            (c for c in ((em, 0.2), (strong, 0.1)) if c[0] is not None),
            key=lambda c: len(c[0].group(0)) + c[1],
            default=None,
        )
        if best is not None:
            out += inline_nodes(best[0].group(1), links)
            i = best[0].end()
            continue
        m = _UNDER.match(s, i) or _DEL.match(s, i)
        if m:
            out += inline_nodes(m.group(1), links)
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


def visible_line(body: str, links: list[tuple[str, str]] | None = None) -> str:
    """What a reader sees of one line; fails on a markdown character Discord would show unpaired. The line's
    masked links are appended to ``links``."""
    nodes = inline_nodes(body, links)
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
    """Validate rendered markdown of ``quote``; returns the shown code lines, visible text lines and links."""
    assert RAW_MENTION.search(md) is None, md
    lines = md.split("\n")
    assert sum(1 for line in lines if line.startswith("```")) % 2 == 0, md
    quote_lines = set(quote.split("\n"))
    shown: dict[str, list] = {"code": [], "text": [], "notes": [], "links": []}
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
        text = prefix + visible_line(body[len(prefix) :], shown["links"])
        assert part_of(text, quote), (text, quote)
        shown["text"].append(text)
    assert not in_code, md
    return shown
