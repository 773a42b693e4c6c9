"""Generic line classifiers for page chrome: shapes of lines plus web-page UI vocabulary.

Every predicate looks at one stripped line (or paragraph) and knows nothing about any particular
site or article. ``index/cleaning.py`` decides how to combine them.
"""

from __future__ import annotations

import re

from index.sentences import split_sentences


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SENTENCE_END = re.compile(r"[.!?\u2026:;][\"'\u201d\u2019\u00bb)\]*]*$")
_BULLET = re.compile(r"^(?:[-*\u2022\u00b7\u25aa\u25b6\u25ba>]+|\d{1,2}[.)])\s+")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*\)")
_URL = re.compile(r"^(?:https?://|www\.)\S+$")
_WORD = re.compile(r"[^\W_]+(?:['\u2019.&-][^\W_]+)*")

AGENCIES = (
    "AFP|Agence France-Presse|Reuters|AP|Associated Press|AP Photo|Getty Images|Getty|PA|PA Media|PA Wire|"
    "EPA|EPA-EFE|EFE|Shutterstock|Alamy|Alamy Stock Photo|ANI|Xinhua|dpa|Anadolu|Anadolu Agency|"
    "SOPA Images|NurPhoto|Sipa|Sipa USA|ZUMA|ZUMA Press|Rex|Rex Features|UPI|TASS|Kyodo|Yonhap|WENN|iStock|"
    "Wikimedia Commons|Handout|Pool|File|Supplied"
)
_AGENCY = rf"(?i:{AGENCIES})"

# --- timestamps, datelines and bylines -------------------------------------------------------
_MONTHS = _wordset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
_DAYS = _wordset(
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thurs fri sat sun"
)
_TIME_WORDS = (
    _MONTHS
    | _DAYS
    | _wordset(
        "published updated posted last modified first on at am pm a.m p.m gmt bst utc est edt cet cest pst "
        "pdt et pt ist msk aest ago hour hours hr hrs minute minutes min mins second seconds day days week "
        "weeks month months year years read reading time yesterday today just now st nd rd th"
    )
)
_TIME_TOKEN = re.compile(r"\d{1,4}(?:st|nd|rd|th)?|\d{1,2}[:.]\d{2}(?:[ap]m)?|\d{1,4}(?:[./-]\d{1,4}){1,2}")
_DATELINE_SEPARATORS = re.compile(r"[|\u2022\u00b7,()\u2013\u2014/-]")

_NAME = r"[A-Z][\w'\u2019.-]*(?:\s+(?:[A-Z][\w'\u2019.-]*|de|van|von|der|da|di|del|la|le|bin|al))*"
_BYLINE_BY = re.compile(rf"^(?:By|BY)\s+{_NAME}(?:\s*(?:,|and|&|\|)\s*{_NAME})*(?:\s*(?:,|\||in)\s*[\w ]+)?$")
_ROLE = r"(?i:[\w ]*(?:correspondent|editor|reporter|writer|staff|contributor|journalist|columnist|desk))"
_BYLINE_NAME_AGENCY = re.compile(
    rf"^{_NAME}(?:\s*(?:,|and|&)\s*{_NAME})*\s*[,|\u2013\u2014-]\s*(?:{_AGENCY}|{_ROLE})\.?$"
)

# --- UI vocabulary ---------------------------------------------------------------------------
_UI_LINES = frozenset(
    item.strip()
    for item in """
    subscribe|subscribe now|sign in|sign up|sign up now|log in|login|log out|register|log in or register|
    login or register|sign in or register|bookmark|bookmarks|save|saved|save article|share|share this|
    share this article|share this story|share article|share story|shares|tweet|email|e-mail|print|copy link|
    link copied|comments|comment|show comments|hide comments|view comments|load comments|load more|show more|
    more|menu|search|close|open|home|skip to content|skip to main content|advertisement|advertising|ad|
    sponsored|sponsored content|paid content|promoted|loader|loading|chats|chat|newsfeed|news feed|feed|
    newsletter|newsletters|follow|follow us|like|likes|reply|replies|report|back to top|top|previous|next|
    next article|next story|listen|listen to this article|watch|watch live|play|play video|video|videos|
    photos|gallery|live|breaking|breaking news|exclusive|opinion|analysis|world|news|latest|latest news|
    uk|us|politics|business|sport|sports|tech|technology|science|health|entertainment|culture|lifestyle|
    travel|weather|more info|more information|accept|accept all|accept cookies|reject all|
    manage preferences|cookie settings|got it|ok|okay|continue reading|read full article|read more|
    full story|view gallery|enlarge|expand|collapse|related|see also|most read|most popular|trending|
    top stories|more stories|more news|editor's picks|recommended|sort by|newest|oldest|best|
    to participate in the discussion|join the conversation|join the discussion|be the first to comment|
    sign in to comment|log in to comment|comments are closed|view all|see all|all|filed under|tags|topics
    """.replace("\n", "").split("|")
)
_SOCIAL_WORDS = _wordset(
    "facebook twitter x whatsapp linkedin reddit pinterest telegram email e-mail messenger flipboard "
    "instagram youtube tiktok threads bluesky mastodon sms vk"
)
_SHARE_FILLER = _wordset("share on via this article story to copy link print save and or follow us comment")

# Headers that introduce a list of links to other pages.
_LIST_HEADER = re.compile(
    r"^(?:don[’']?t miss|do not miss|read more|read next|more on this story|more on this|more from|"
    r"related(?: articles| stories| content| news| coverage| topics| links)?|see also|also read|"
    r"you (?:may|might) (?:also )?like|recommended(?: for you| stories| reading)?|most (?:read|popular|viewed|shared)|"
    r"trending(?: now| stories)?|top stories|latest(?: news| stories)?|popular(?: now)?|editor[’']?s picks|"
    r"more stories|more news|in other news|what to read next|further reading|in case you missed it|"
    r"around the web|from around the web|promoted stories|more top stories)(?:\s*[:.>\u203a\u00bb-].*)?$",
    re.I,
)
_INLINE_LINK_PREFIX = re.compile(
    r"^(?:read more|read next|related|see also|also read|watch|listen|more)\s*:\s*\S", re.I
)

# Phrases that mark a sentence as chrome (newsletter/consent blurbs, widgets, share prompts).
_CHROME_PHRASES = re.compile(
    r"we use your sign-?up|provide content in ways|adverts? from us|\b3rd parties\b|third parties based on|"
    r"unsubscribe at any time|\bsign up (?:for|to) (?:our|the)\b|\bsubscribe to (?:our|the)\b|"
    r"\bour (?:\w+ )?newsletters?\b|\b(?:daily|weekly|free) newsletter|privacy (?:notice|policy)|"
    r"by (?:signing up|subscribing|clicking|continuing)|we use cookies|(?:accept|reject|manage) (?:all )?cookies|"
    r"cookie (?:settings|preferences|policy)|enter your email|invalid email|thank(?:s| you) for (?:subscribing|signing up)|"
    r"^more info$|terms (?:of service|of use|and conditions)|read (?:the )?full (?:article|story)|\bclick here\b|"
    r"\bfollow (?:us|[\w@.]+) on (?:twitter|facebook|instagram|x|tiktok)\b|download (?:our|the) app|"
    r"(?:story|article) continues below|\badvertisement\b|sponsored content|already (?:a subscriber|have an account)|"
    r"(?:log|sign) in (?:or|to) (?:register|comment|continue|read)|to participate in the discussion|"
    r"join the (?:conversation|discussion)|\bshare (?:this|on) |copy link|all rights reserved|"
    r"(?:article|content) is (?:only )?available to|\bsupport (?:our|independent) journalism|"
    r"^(?:additional )?(?:reporting|writing|editing) by\b|^source: read|we have more newsletters|"
    r"see our privacy|subscribe now|you can opt out|view (?:our|the) (?:privacy|cookie)|"
    r"^our (?:standards|editorial (?:standards|guidelines|policy))\b",
    re.I,
)

# --- photo credits, captions and copyright ---------------------------------------------------
_CAPTION_PATTERNS = (
    # "... - Agency Name, 1920, 22.09.2021" (caption with picture width and date)
    re.compile(
        r"\s[-\u2013\u2014|]\s*[^-\u2013\u2014|]{2,60},\s*\d{3,4},\s*\d{1,2}[./]\d{1,2}[./]\d{2,4}\s*$"
    ),
    # "... (Image: Getty)", "(Photo: AP)", "(Picture credit: Jane Doe)"
    re.compile(
        r"\((?:image|photo|picture|pic|photograph|credit|illustration|video|graphic)s?(?:\s+credit)?\s*:[^()]{1,80}\)\s*$",
        re.I,
    ),
    # "Photo: Reuters", "Image credit: Jane Doe/AFP", "Photograph: ..."
    re.compile(
        r"^(?:image|photo|picture|pic|photograph|credit|illustration|video|graphic|file photo)s?(?:\s+credit)?\s*:\s*\S.{0,80}$",
        re.I,
    ),
    # "... REUTERS/Jane Doe", "... / AFP", "... via Getty Images", "... (AP Photo/Jane Doe)"
    re.compile(
        rf"(?:[/|]\s*|\bvia\s+|[\u2013\u2014]\s*|\(\s*|\s-\s){_AGENCY}(?:\s*/\s*{_NAME})?\s*\)?\s*$",
    ),
    re.compile(rf"\b{_AGENCY}\s*/\s*{_NAME}\s*\)?\s*$"),
    # "© AFP 2023 / NAME ..." (credit stamp that opens a caption)
    re.compile(r"^(?:\u00a9|\(c\))\s*[^/]{1,40}?\b(?:19|20)\d{2}\s*/", re.I),
)
_COPYRIGHT = re.compile(r"^(?:\u00a9|\(c\)|copyright\b)", re.I)
_MAX_COPYRIGHT_WORDS = 10
_MAX_HEADLINE_WORDS = 20
_MAX_CHROME_SENTENCE_WORDS = 20
_READER = re.compile(r"\b(?:you|your)\b", re.I)
_MAX_HEADLINE_CHARS = 160


def strip_markup(line: str) -> str:
    """``line`` without markdown heading marks, bullets, emphasis and link targets (for classifying)."""
    text = _MD_HEADING.sub("", line)
    text = _MD_LINK.sub(r"\1", text)
    text = _BULLET.sub("", text)
    text = text.strip()
    for mark in ("**", "__", "*", "_"):
        if len(text) > 2 * len(mark) and text.startswith(mark) and text.endswith(mark):
            return text[len(mark) : -len(mark)].strip()
    return text


def normalise(line: str) -> str:
    """Lower-case words of ``line`` joined by single spaces (punctuation and symbols dropped)."""
    return " ".join(w.lower() for w in _WORD.findall(strip_markup(line).replace("\u2019", "'")))


def words(line: str) -> list[str]:
    return _WORD.findall(line)


def ends_sentence(line: str) -> bool:
    """Whether ``line`` ends with sentence-final punctuation (also ':' and ';')."""
    return bool(_SENTENCE_END.search(line.rstrip()))


def is_markdown_heading(line: str) -> bool:
    return bool(_MD_HEADING.match(line))


def is_timestamp(line: str) -> bool:
    """Datelines and timestamps: '| 21 April 2024, Sunday |', 'Updated: 10:32 BST, 3 May 2023'."""
    text = _DATELINE_SEPARATORS.sub(" ", strip_markup(line).lower()).replace(":", " : ")
    tokens = [t.strip(".") for t in text.split() if t not in {":", "."}]
    if not tokens or len(tokens) > 16:
        return False
    dated = False
    for token in tokens:
        if _TIME_TOKEN.fullmatch(token):
            dated = True
        elif token in _TIME_WORDS:
            dated = dated or token in _MONTHS or token in _DAYS or token in {"ago", "yesterday", "today"}
        else:
            return False
    return dated


def is_byline(line: str) -> bool:
    """'By Jane Smith', 'By Jane Smith and Li Wei, Reuters', 'Jane Smith, Political Editor'."""
    text = strip_markup(line)
    if len(words(text)) > 14:
        return False
    if _BYLINE_BY.match(text):
        first = words(text)[1:3]
        return all(w[:1].isupper() for w in first)
    return bool(_BYLINE_NAME_AGENCY.match(text))


def is_ui_line(line: str) -> bool:
    """Lone menu words, buttons, widget labels, share rows, counters and bare links."""
    text = strip_markup(line)
    norm = normalise(line)
    if not norm:
        return len(text) <= 12  # lone numbers, symbols, arrows
    if norm in _UI_LINES or _URL.match(text):
        return True
    if re.fullmatch(r"[\d\s.,:/|()+\-]*(?:comments?|shares?|views?|likes?|replies|photos?|of)?[\d\s]*", norm):
        return True  # "0", "12 comments", "1 of 12"
    tokens = norm.split()
    if len(tokens) <= 12 and any(t in _SOCIAL_WORDS for t in tokens):
        return all(t in _SOCIAL_WORDS or t in _SHARE_FILLER for t in tokens)
    return False


def is_link_only(line: str) -> bool:
    """A line made only of markdown links (a menu, a 'related' item) or of a bare URL."""
    if _URL.match(line.strip()):
        return True
    if not _MD_LINK.search(line):
        return False
    rest = _BULLET.sub("", _MD_LINK.sub(" ", line))
    return not words(rest) or bool(re.fullmatch(r"[\s|\u2022\u00b7,/-]*", rest))


def is_list_header(line: str) -> bool:
    """Headers such as "DON'T MISS", "Read more:", "Most read" that introduce a list of links."""
    text = strip_markup(line).replace("\u2019", "'")
    return len(words(text)) <= 8 and bool(_LIST_HEADER.match(text))


def is_inline_link(line: str) -> bool:
    """'Read more: Headline of another story' (a link to another page on one line)."""
    text = strip_markup(line)
    return bool(_INLINE_LINK_PREFIX.match(text)) and len(words(text)) <= 25


def has_bracket_tag(line: str) -> bool:
    """Teasers ending in a section tag: '... [REPORT]', 'VOTE [POLL]'."""
    return bool(re.search(r"\[[A-Z][A-Z0-9 &'\u2019-]{1,24}\]\s*$", line))


def is_caption(line: str) -> bool:
    """Photo captions and credits carrying an agency or a credit/date stamp."""
    return any(p.search(line) for p in _CAPTION_PATTERNS)


def is_copyright(line: str) -> bool:
    """Short copyright lines: '©2021 Example L.P.', 'Copyright 2024 Example Media. All rights reserved.'"""
    return bool(_COPYRIGHT.match(line)) and len(words(line)) <= _MAX_COPYRIGHT_WORDS


def is_non_latin_ui(line: str) -> bool:
    """A short string with letters but none of them Latin (untranslated widget text on a Latin page)."""
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and len(words(line)) <= 10 and not any(ord(c) < 0x250 for c in letters)


def is_headline_like(line: str) -> bool:
    """A short single-sentence line without sentence-final punctuation (headline, teaser, subheading)."""
    text = strip_markup(line)
    if not text or "\n" in line:
        return False
    n = len(words(text))
    if n == 0 or n > _MAX_HEADLINE_WORDS or len(text) > _MAX_HEADLINE_CHARS:
        return False
    if not ends_sentence(text) and text[-1:] != ",":
        return len(split_sentences(text)) == 1
    return text[-1:] in "?!" and n <= 20 and _title_case(text)


def chrome_dominates(line: str) -> bool:
    """Whether most of ``line`` (by characters) is in sentences that read as chrome.

    A sentence reads as chrome when it carries chrome vocabulary and is short, carries it twice, or
    talks to the reader ("you", "your"): a long news sentence that merely mentions a privacy
    policy stays.
    """
    if not _CHROME_PHRASES.search(line):
        return False
    spans = split_sentences(line) or [(0, len(line))]
    total = sum(b - a for a, b in spans)
    chrome = sum(b - a for a, b in spans if _chrome_sentence(line[a:b]))
    return chrome * 2 >= total


def _chrome_sentence(sentence: str) -> bool:
    hits = len(_CHROME_PHRASES.findall(sentence))
    if not hits:
        return False
    return hits >= 2 or len(words(sentence)) <= _MAX_CHROME_SENTENCE_WORDS or bool(_READER.search(sentence))


_LATIN_SAMPLE = 100_000  # characters: the share is a property of the page, a sample tells it


def latin_share(lines: list[str]) -> float:
    """The share of letters in ``lines`` that are Latin (from their first _LATIN_SAMPLE characters)."""
    sample: list[str] = []
    size = 0
    for line in lines:
        sample.append(line[: _LATIN_SAMPLE - size])
        size += len(sample[-1])
        if size >= _LATIN_SAMPLE:
            break
    letters = [c for line in sample for c in line if c.isalpha()]
    if not letters:
        return 1.0
    return sum(1 for c in letters if ord(c) < 0x250) / len(letters)


def _title_case(text: str) -> bool:
    long_words = [w for w in words(text) if len(w) >= 4]
    return bool(long_words) and sum(w[0].isupper() for w in long_words) >= 0.7 * len(long_words)
