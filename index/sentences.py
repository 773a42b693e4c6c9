"""Rule-based sentence splitting that returns character spans, so sentences stay verbatim quotes.

A sentence ends after ``.``, ``!``, ``?`` or ``…`` (plus any closing quotes or brackets) when white space
and then an upper-case letter, a digit or an opening quote/bracket follow. A period does not end a
sentence after a title abbreviation ("Mr.", "Dr.", "Jan."), a dotted abbreviation ("U.S.", "e.g.") or a
single-letter initial ("George W. Bush"); "etc." before a capital does end one (as SQuAD splits).
A blank line always ends a sentence; a single line break does not end one by itself.
"""

from __future__ import annotations

import re


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Abbreviations written with a capital, matched exactly (without their period).
_TITLE_ABBREVIATIONS = _wordset("""
    Mr Mrs Ms Mx Dr St Prof Gen Sen Rep Gov Lt Col Capt Cmdr Adm Maj Sgt Cpl Pvt Fr Rev Hon Pres
    Supt Insp Det Jr Sr Mt Ft Ave Rd Blvd Inc Ltd Co Corp Bros Dept Univ Assn
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Tue Tues Thu Thur Thurs
    Ariz Calif Colo Conn Fla Kan Ky Md Mich Minn Neb Nev Okla Tenn Tex Wis Wyo
    """)
# Abbreviations usually written in lower case.
_LOWER_ABBREVIATIONS = _wordset("vs cf approx al viz ca esp incl resp")
# "No. 10", "Nos. 3 and 4", "Art. 5": abbreviations only when a number follows.
_NUMBER_ABBREVIATIONS = _wordset("No Nos no nos Art Pt Nr pp p Vol Fig Figs Eq Ch Sec Ref Refs")

_DOTTED = re.compile(r"(?:[^\W\d_]\.){2,}")  # U.S. / e.g. / a.m.
_INITIAL = re.compile(r"[A-Z]\.")  # J. / W.
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v\u00a0]*\n\s*")
_CANDIDATE = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019\u00bb)\]]*(?=\s)")
_OPENERS = "\"'\u201c\u2018\u00ab([{"
_LEADING_PUNCT = "\"'\u201c\u2018\u00ab([{*\u2013\u2014-"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences of ``text``, stripped of surrounding white space.

    ``text[start:end]`` is each sentence verbatim; spans are ordered, disjoint and cover every
    non-space character of ``text``.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        _split_block(text, pos, brk.start(), spans)
        pos = brk.end()
    _split_block(text, pos, len(text), spans)
    return spans


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (verbatim), or "" when there is none."""
    spans = split_sentences(text)
    if not spans:
        return ""
    start, end = spans[0]
    return text[start:end]


def _split_block(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    cut = start
    for m in _CANDIDATE.finditer(text, start, end):
        if _is_boundary(text, m.start(), m.end(), end):
            _add_span(text, cut, m.end(), spans)
            cut = m.end()
    _add_span(text, cut, end, spans)


def _add_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        spans.append((start, end))


def _is_boundary(text: str, punct_start: int, punct_end: int, limit: int) -> bool:
    nxt = punct_end
    while nxt < limit and text[nxt].isspace():
        nxt += 1
    if nxt >= limit:
        return False  # the end of the block ends the sentence anyway
    ch = text[nxt]
    if not (ch.isupper() or ch.isdigit() or ch in _OPENERS):
        return False
    if text[punct_start] != "." or text[punct_start : punct_start + 2] == "..":
        return True
    return not _is_abbreviation(text, punct_start, next_is_digit=ch.isdigit())


def _is_abbreviation(text: str, period: int, *, next_is_digit: bool) -> bool:
    """Whether the period at ``text[period]`` closes an abbreviation rather than a sentence."""
    word_start = period
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    token = text[word_start : period + 1].lstrip(_LEADING_PUNCT)
    word = token[:-1]
    if not word:
        return False
    if _DOTTED.fullmatch(token):
        return True
    if _INITIAL.fullmatch(token):
        return _is_name_initial(text, word_start, period)
    if word in _TITLE_ABBREVIATIONS or word in _LOWER_ABBREVIATIONS:
        return True
    return next_is_digit and word in _NUMBER_ABBREVIATIONS


def _is_name_initial(text: str, word_start: int, period: int) -> bool:
    """ "George W. Bush", "W. E. B. Du Bois" - but not "in class C. Of course"."""
    before = text[:word_start].rstrip().rsplit(None, 1)
    prev = before[-1].lstrip(_LEADING_PUNCT) if before else ""
    after = text[period + 1 :].lstrip().split(None, 1)
    nxt = after[0] if after else ""
    return (prev[:1].isupper() and prev[-1:].isalpha()) or bool(
        _INITIAL.fullmatch(prev) or _INITIAL.fullmatch(nxt)
    )
