"""Page-chrome removal and title detection for decoded corpus text.

``clean(raw)`` turns a news page (or any plain-text document) into a headline and a tuple of
paragraphs. Each paragraph is a verbatim run of stripped source lines, so every sentence of the
cleaned text is a true quote of the source. The rules are generic shapes (short lines without
sentence punctuation, bracketed tags, credit and date stamps) and web-page UI vocabulary; see
``index/chrome_rules.py``. Nothing here knows any particular site or article.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from index import chrome_rules as rules
from index.sentences import first_sentence, split_sentences

log = logging.getLogger(__name__)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"  # BOM and zero-width characters left at line ends
_MAX_TITLE_WORDS = 45
_MAX_TITLE_SENTENCES = 4
_SHORT_TITLE_WORDS = 10
_MAX_LIST_ITEMS = 15
_MAX_CHROME_CHARS = 5000
_MIN_LATIN_SHARE = 0.8
_STOPWORDS = _wordset("a an and as at by for from in into of on or the to with")
# News-lede markers: a first paragraph ending with a full stop that has these is prose, not a title.
_LEDE = re.compile(
    r"\b(?:said|says|told)\b|\bon (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|"
    r"\b(?:yesterday|last (?:week|month|night))\b"
)
_DATELINE_LEAD = re.compile(r"^[A-Z][A-Z .,'-]{2,40}(?:\([^)]{1,30}\))?\s*[-\u2013\u2014]\s")
_FORMULA_END = re.compile(r"(?:^|[^A-Z])[A-Z]{1,2}[a-z]?[\u2212+]?$|\d[\u2212+)]$")
_BULLET = re.compile(r"^(?:[-*\u2022\u00b7]|\d{1,2}[.)])\s+")


@dataclass(frozen=True)
class Cleaned:
    title: str | None
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class _Para:
    text: str
    alone: bool  # the only paragraph of its blank-line separated block


def clean(raw: str) -> Cleaned:
    """Headline and chrome-free paragraphs of ``raw`` (already decoded text)."""
    text = raw.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    paras = _paragraphs(text)
    if not paras:
        return Cleaned(None, ())
    latin = rules.latin_share([p.text for p in paras]) >= _MIN_LATIN_SHARE
    chrome = _hard_chrome(paras, latin=latin)
    title, title_at = _find_title(paras, chrome)
    body = [
        p.text
        for i, p in enumerate(paras)
        if not chrome[i] and i not in title_at and not (i > 0 and _is_subheading(p.text))
    ]
    if title_at and not body:
        body = [paras[i].text for i in sorted(title_at)]  # a lone headline is all there is: keep it
    if title is None:
        title = short_title(body[0] if body else paras[0].text) or None
    dropped = sum(chrome)
    if dropped > 0:
        log.debug("cleaning dropped %d chrome paragraph(s)", dropped)
    return Cleaned(title, tuple(body))


def short_title(text: str) -> str:
    """A short form of the first sentence of ``text``: its first words, cut at a word boundary."""
    sentence = " ".join(first_sentence(rules.strip_markup(text)).split())
    words = sentence.split()
    if len(words) <= _SHORT_TITLE_WORDS + 2:
        return sentence.rstrip(".")
    cut = words[:_SHORT_TITLE_WORDS]
    while len(cut) > 3 and cut[-1].lower().strip(",;:") in _STOPWORDS:
        cut.pop()
    return " ".join(cut).rstrip(",;:-\u2013\u2014") + "\u2026"


# --- paragraphs ------------------------------------------------------------------------------


def _paragraphs(text: str) -> list[_Para]:
    """Blocks split at blank lines; in a block each line is a paragraph unless it continues the last."""
    paras: list[_Para] = []
    for block in re.split(r"\n[ \t\f\v\u00a0\ufeff]*\n", text):
        lines = [line.strip().strip(_INVISIBLE).strip() for line in block.split("\n")]
        lines = [line for line in lines if line]
        joined: list[str] = []
        for line in lines:
            if joined and _continues(joined[-1].rsplit("\n", 1)[-1], line):
                joined[-1] += "\n" + line
            else:
                joined.append(line)
        paras.extend(_Para(p, alone=len(joined) == 1) for p in joined)
    return paras


def _continues(prev: str, line: str) -> bool:
    """Whether ``line`` carries on the sentence of ``prev`` (a hard wrap, a subscript like 'O\\n2')."""
    if rules.ends_sentence(prev) or rules.is_list_header(prev) or rules.is_ui_line(prev):
        return False
    # a digit continues only a formula cut before its subscript: "O\n2", "(CO\n2)", "(PO3−\n4)"
    if line[0].isdigit():
        return bool(_FORMULA_END.search(prev.split()[-1]))
    return not _BULLET.match(line) and (line[0].islower() or line[0] in ",;)]}%\u2013\u2014")


# --- chrome ----------------------------------------------------------------------------------


def _hard_chrome(paras: list[_Para], *, latin: bool) -> list[bool]:
    """Flags for paragraphs that are chrome wherever they stand, plus link lists under their header."""
    flags = [_is_chrome(p.text, latin=latin) for p in paras]
    i = 0
    while i < len(paras):
        if rules.is_list_header(paras[i].text):
            j = i + 1
            while j < len(paras) and j - i <= _MAX_LIST_ITEMS and _is_list_item(paras[j].text):
                flags[j] = True
                j += 1
            i = j
        else:
            i += 1
    return flags


def _is_chrome(text: str, *, latin: bool) -> bool:
    if len(text) > _MAX_CHROME_CHARS:  # page chrome is short: a long block is body text, whatever it says
        return False
    if "\n" in text:  # a hard-wrapped paragraph is prose unless chrome vocabulary dominates it
        return rules.chrome_dominates(text)
    return (
        rules.is_ui_line(text)
        or rules.is_list_header(text)
        or rules.is_link_only(text)
        or rules.is_inline_link(text)
        or rules.has_bracket_tag(text)
        or rules.is_timestamp(text)
        or rules.is_byline(text)
        or rules.is_caption(text)
        or rules.is_copyright(text)
        or rules.chrome_dominates(text)
        or (latin and rules.is_non_latin_ui(text))
    )


def _is_list_item(text: str) -> bool:
    """A teaser in a link list: a headline, a link, a tagged or numbered short line."""
    if "\n" in text:
        return False
    n = len(rules.words(text))
    return (
        rules.is_headline_like(text)
        or rules.is_link_only(text)
        or rules.has_bracket_tag(text)
        or rules.is_inline_link(text)
        or rules.is_ui_line(text)
        or rules.is_caption(text)
        or (bool(_BULLET.match(text)) and n <= 25)
        or (text.rstrip().endswith("?") and n <= 20)
    )


def _is_subheading(text: str) -> bool:
    """Related headlines, section subheadings and kicker labels inside the body."""
    if rules.is_markdown_heading(text):
        return len(rules.words(text)) <= 25
    return rules.is_headline_like(text)


# --- title -----------------------------------------------------------------------------------


def _find_title(paras: list[_Para], chrome: list[bool]) -> tuple[str | None, set[int]]:
    """The headline and the paragraph indexes it takes, or (None, {}) for a body-first document."""
    kept = [i for i in range(len(paras)) if not chrome[i]]
    if not kept:
        return None, set()
    first = kept[0]
    if not _reads_as_headline(paras, first):
        return None, set()
    title = _title_text(paras[first].text)
    # A one-to-three word kicker ("World", a topic label) above the real headline.
    if len(kept) > 1 and len(rules.words(title)) <= 3 and not rules.ends_sentence(title):
        nxt = kept[1]
        candidate = paras[nxt].text
        if (
            nxt == first + 1
            and rules.is_headline_like(candidate)
            and len(rules.words(candidate)) > len(rules.words(title))
            and len(kept) > 2
        ):
            return _title_text(candidate), {first, nxt}
    return title, {first}


def _reads_as_headline(paras: list[_Para], index: int) -> bool:
    para = paras[index]
    text = rules.strip_markup(para.text)
    if "\n" in para.text or not text:
        return False
    if rules.is_markdown_heading(para.text):
        return True
    n = len(rules.words(text))
    if n == 0 or n > _MAX_TITLE_WORDS:
        return False
    if not rules.ends_sentence(text):
        return True
    # A title ending with a full stop ("... for cancer survivors.") sits alone above the body.
    return (
        para.alone
        and index + 1 < len(paras)
        and len(split_sentences(text)) <= _MAX_TITLE_SENTENCES
        and not _LEDE.search(text)
        and not _DATELINE_LEAD.match(text)
    )


def _title_text(text: str) -> str:
    return " ".join(rules.strip_markup(text).split())
