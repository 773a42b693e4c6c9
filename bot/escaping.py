"""Making quoted text safe for Discord markdown: it renders verbatim, never pings and never forms a link of
its own (the page's own links are masked links built by `inline`, to addresses `link_target` made safe).

Prose is escaped token by token (markdown characters get a backslash, every ``@`` is followed by a zero-width
space, ``://`` loses its link power), so a cut on token boundaries can never split an escape sequence. Code
cannot be escaped (a backslash inside code is literal), so code is shown verbatim except for zero-width spaces
that break what would end its fence or form a mention (`code_safe`); the stored quote stays exact.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

ZWSP = "\u200b"
ELLIPSIS = "\u2026"

_ALWAYS_ESCAPED = frozenset("\\*_~`|<>[]()#")
_LIST_MARKERS = frozenset("-+")
_LINE_START_DIGITS = re.compile(r"[ \t]*\d+")


def escape_tokens(text: str) -> list[str]:
    """One escaped token per character of ``text``; ``"".join`` of them is safe Discord markdown.

    Backslash before markdown characters, a zero-width space after every ``@`` (so no ``@everyone``,
    ``<@id>`` or ``<@&id>`` can form), ``:`` in ``://`` escaped (no bare links; masked links already
    lose their brackets), list markers and ``1.`` escaped at the start of a line. Linear in ``len(text)``.
    """
    tokens: list[str] = []
    line_start = True
    line_begin = 0
    for i, char in enumerate(text):
        if char in _ALWAYS_ESCAPED:
            token = "\\" + char
        elif char == "@":
            token = "@" + ZWSP
        elif char == ":" and text.startswith("//", i + 1):
            token = "\\:"
        elif line_start and char in _LIST_MARKERS:
            token = "\\" + char
        elif char == "." and _LINE_START_DIGITS.fullmatch(text, line_begin, i) is not None:
            token = "\\."
        else:
            token = char
        tokens.append(token)
        if char == "\n":
            line_start = True
            line_begin = i + 1
        elif char not in " \t":
            line_start = False
    return tokens


def escape(text: str) -> str:
    """Escape ``text`` so that it renders verbatim: no formatting, mention or link."""
    return "".join(escape_tokens(text))


def unescape(text: str) -> str:
    """The literal text a reader sees for escaped text (inverse of :func:`escape`)."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        out.append(char)
        i += 2 if char == "@" and text.startswith(ZWSP, i + 1) else 1
    return "".join(out)


def clip(text: str, limit: int) -> str:
    """One line: whitespace collapsed, escaped, then whole tokens up to ``limit`` (ellipsis if cut)."""
    tokens = escape_tokens(" ".join(text.split()))
    if sum(map(len, tokens)) <= limit:
        return "".join(tokens)
    kept: list[str] = []
    size = len(ELLIPSIS)
    for token in tokens:
        if size + len(token) > limit:
            break
        kept.append(token)
        size += len(token)
    return "".join(kept).rstrip() + ELLIPSIS if limit >= len(ELLIPSIS) else ""


def clip_plain(text: str, limit: int) -> str:
    """Cut unformatted text (autocomplete names, select labels) to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + ELLIPSIS


# -- code -----------------------------------------------------------------------------------------------

_CODE_HAZARDS = re.compile(r"`(?=`)|@(?=everyone|here)|<(?=@[!&]?\d|#\d)")


def code_safe(code: str) -> str:
    """``code`` for display inside a fence or an inline code span: a zero-width space after a backtick that
    another follows (no run of backticks can end the fence), after the ``@`` of ``@everyone``/``@here`` and
    after the ``<`` of ``<@id>``/``<#id>`` (no mention forms). Nothing else changes; removing every ZWSP gives
    ``code`` back (the readers drop zero-width spaces from the reading text)."""
    if "`" not in code and "@" not in code and "<" not in code:
        return code
    return _CODE_HAZARDS.sub(lambda m: m.group(0) + ZWSP, code)


_LEADING_TICK = re.compile(r" *`")
_TRAILING_TICK = re.compile(r"` *$")


def inline_code(code: str) -> str:
    """``code`` as a Discord inline code span: one backtick, or two when it holds one (runs of two or more
    are broken by :func:`code_safe` first), padded with a space where the code starts or ends with one
    (after or before spaces only)."""
    body = code_safe(code)
    fence = "``" if "`" in body else "`"
    # Discord drops one space before a leading run " *`" and after a trailing "` *": pad so it drops ours.
    left = " " if _LEADING_TICK.match(body) else ""
    right = " " if _TRAILING_TICK.search(body) else ""
    return f"{fence}{left}{body}{right}{fence}"


_LANG = re.compile(r"[A-Za-z0-9_+#.\-]{1,24}")


def fence_language(lang: str) -> str:
    """The language tag Discord accepts after a fence (letters, digits, ``_+#.-``), or ``""``.

    ``js:no-line-numbers`` or ``js{4-6}`` keep ``js``; anything else is dropped."""
    m = _LANG.match(lang.strip())
    return m.group(0).lower() if m else ""


# -- links ----------------------------------------------------------------------------------------------

URL_LIMIT = 512
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?(?::\d{{1,5}})?")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_URL_SAFE = "/-._~?#&=+%:,;!$"


def safe_url(url: str | None) -> str | None:
    """An http(s) address that cannot break out of an embed url or a masked link, or None.

    Host must be a plain host name (optionally a port); every other character outside letters, digits and
    ``/-._~?#&=+%:,;!$`` is percent-encoded (spaces, brackets, parentheses, ``<>``, ``@``, backticks, ``*``…),
    and so is a ``%`` that does not start an escape: Discord rejects a message whose embed url is malformed."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not _HOST.fullmatch(parts.netloc):
        return None

    def enc(part: str) -> str:
        return quote(_STRAY_PERCENT.sub("%25", part), safe=_URL_SAFE)

    out = urlunsplit(
        (parts.scheme.lower(), parts.netloc, enc(parts.path), enc(parts.query), enc(parts.fragment))
    )
    return out if len(out) <= URL_LIMIT else None


_NO_LINK_TEXT = re.compile(r"[\[\]]|://")


def link_target(url: str | None, text: str) -> str | None:
    """The address to put in a masked link ``[text](<…>)`` over quoted ``text`` (escaped on its own), or None
    when the link must stay plain text: an address `safe_url` refuses (not http(s), too long), text that
    Discord's link rule cannot hold (``[`` or ``]``) or that shows an address of its own. Beyond `safe_url`,
    ``_`` and ``~`` are percent-encoded too, so that no underline, italics or strike marker can pair with
    one in the address."""
    if not text.strip() or _NO_LINK_TEXT.search(text):
        return None
    target = safe_url(url)
    return target.replace("_", "%5F").replace("~", "%7E") if target else None


def masked_link(label: str, url: str | None) -> str:
    """``[label](<url>)`` (no preview) for a safe url, or ``""``. ``label`` is ours, never document text."""
    target = safe_url(url)
    return f"[{label}](<{target}>)" if target else ""
