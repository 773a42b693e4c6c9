"""`Document` -> `Passage`s that follow its sections and fit the encoder's window (pure; no I/O but the
tokenizer).

Units are what a passage is made of and what gets a vector of its own: a sentence of a paragraph, list item or
quote; a heading; a table row; a whole code block. Rules:
- A passage is a run of whole units of consecutive blocks, ``document.text[start:end]`` exactly.
- It never crosses a heading of its own section level or above, except that small neighbouring sections
  under one parent may share a passage. A heading phrased as a question starts a passage (its answer follows
  it in the same passage), and a heading never ends one.
- A code block is never split, unless it alone exceeds the window: then it is cut at line boundaries.
- Prose aims at MIN_WORDS..MAX_WORDS words (a paragraph longer than that is cut between sentences into
  balanced runs); every passage, with its contextual header, fits the encoder's window in word pieces.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import wordpieces
from .models import SECTION_SEP, Block, Document, Passage
from .sentences import split_sentences

MIN_WORDS = 40
MAX_WORDS = 120
# Sectioned pages (Markdown, HTML): the same unless measured otherwise (benchmarks/fit_blend.py --set).
MIN_WORDS_MARKUP = 40
MAX_WORDS_MARKUP = 120
HEADER_TOKENS = 40  # room kept for the contextual header (title and section path)
TEXT_BUDGET = wordpieces.WINDOW - wordpieces.SPECIAL - HEADER_TOKENS  # word pieces of passage text
_CHARS_PER_PIECE_MAX = 20  # no word piece is longer: a span of more characters than this x budget is over it


@dataclass
class _Unit:
    start: int  # offsets into the document text
    end: int
    words: float
    tokens: int


@dataclass
class _Run:
    units: list[_Unit]
    group: int
    block: int  # index of the run's first block
    heading: bool = False  # the run is a heading alone
    lead_in: bool = False  # the run ends with a colon: it introduces what follows ("…these steps:")

    @property
    def words(self) -> float:
        return sum(u.words for u in self.units)

    @property
    def tokens(self) -> int:
        return sum(u.tokens for u in self.units) + len(self.units)


@dataclass
class _Group:
    level: int  # heading level; 0 = before any heading
    question: bool
    runs: list[_Run] = field(default_factory=list)

    @property
    def words(self) -> float:
        return sum(r.words for r in self.runs)


def passage_id(doc_id: str, version: str, ordinal: int) -> str:
    return f"{doc_id}-{version[:12]}-{ordinal:05d}"


def is_question(text: str) -> bool:
    return text.rstrip().endswith("?")


# -- units -----------------------------------------------------------------------------------------------


def _unit_spans(text: str, block: Block) -> list[tuple[int, int]]:
    """Unit spans (document offsets) of one block."""
    a, b = block.start, block.end
    if block.kind in ("heading", "code"):
        return [(a, b)]
    if block.kind == "table":
        spans, pos = [], a
        for line in text[a:b].split("\n"):
            if line.strip():
                spans.append((pos, pos + len(line)))
            pos += len(line) + 1
        return spans
    return [(a + s, a + e) for s, e in split_sentences(text[a:b])]


def _cut(text: str, start: int, end: int, budget: int, *, at_lines: bool) -> list[tuple[int, int]]:
    """``text[start:end]`` cut into pieces of at most ``budget`` word pieces, at line breaks (code) or white
    space, falling back to a word-piece boundary. Tokenizes a bounded window at a time."""
    pieces: list[tuple[int, int]] = []
    if end - start <= budget * 40:  # small enough to tokenize at once: cut into balanced pieces
        total = len(wordpieces.offsets(text[start:end]))
        parts = max(1, -(-total // budget))
        budget = -(-total // parts) + 2
    pos = start
    while pos < end:
        window_end = min(end, pos + budget * 12)
        offs = wordpieces.offsets(text[pos:window_end])
        if len(offs) <= budget and window_end == end:
            pieces.append((pos, end))
            break
        limit = pos + (offs[budget][0] if len(offs) > budget else window_end - pos)
        cut = -1
        if at_lines:
            cut = text.rfind("\n", pos + 1, limit + 1)
        if cut <= pos:
            cut = max(text.rfind(" ", pos + 1, limit + 1), text.rfind("\n", pos + 1, limit + 1))
        if cut <= pos:
            cut = limit
        piece_end = cut
        while piece_end > pos and text[piece_end - 1].isspace():
            piece_end -= 1
        if piece_end > pos:
            pieces.append((pos, piece_end))
        pos = cut
        if at_lines and pos < end and text[pos] == "\n":
            pos += 1  # a code piece starts at a line start, its indentation kept
            while pos < end and text[pos] == "\n":
                pos += 1
        else:
            while pos < end and text[pos].isspace():
                pos += 1
    return pieces


def _units(doc: Document, block: Block, words_of) -> list[_Unit]:
    text = doc.text
    spans = _unit_spans(text, block)
    # A span far longer than the window in characters is cut without counting it whole first (a 20 MB line
    # would be tokenized at once: millions of offsets in memory).
    short = [b - a <= TEXT_BUDGET * _CHARS_PER_PIECE_MAX for a, b in spans]
    counted = iter(wordpieces.counts([text[a:b] for (a, b), ok in zip(spans, short, strict=True) if ok]))
    counts = [next(counted) if ok else TEXT_BUDGET + 1 for ok in short]
    out: list[_Unit] = []
    for (a, b), n in zip(spans, counts, strict=True):
        if n > TEXT_BUDGET:
            pieces = _cut(text, a, b, TEXT_BUDGET, at_lines=block.kind == "code")
            sub = wordpieces.counts([text[x:y] for x, y in pieces])
            out.extend(
                _Unit(x, y, words_of(text[x:y], block.kind, m), m)
                for (x, y), m in zip(pieces, sub, strict=True)
            )
        else:
            out.append(_Unit(a, b, words_of(text[a:b], block.kind, n), n))
    return out


# -- runs and passages -----------------------------------------------------------------------------------


def _split_long(units: list[_Unit], max_words: int) -> list[list[_Unit]]:
    """Split one block's units into runs of at most ``max_words`` (and the window), balanced in size."""
    total = sum(u.words for u in units)
    tokens = sum(u.tokens + 1 for u in units)
    if total <= max_words and tokens <= TEXT_BUDGET:
        return [units]
    parts = max(-(-int(total) // max_words), -(-tokens // TEXT_BUDGET), 1)
    target = total / parts
    runs: list[list[_Unit]] = [[]]
    words = 0.0
    toks = 0
    for u in units:
        if runs[-1] and (words + u.words > max_words or words >= target or toks + u.tokens + 1 > TEXT_BUDGET):
            runs.append([])
            words, toks = 0.0, 0
        runs[-1].append(u)
        words += u.words
        toks += u.tokens + 1
    return runs


def _groups(doc: Document) -> list[_Group]:
    def words_of(t: str, kind: str, tokens: int) -> float:
        n = len(t.split())
        return max(n, tokens * 0.75) if doc.markup and kind == "code" else n

    groups: list[_Group] = []
    for i, block in enumerate(doc.blocks):
        units = _units(doc, block, words_of)
        if not units:
            continue
        if block.kind == "heading":
            text = doc.text[block.start : block.end]
            groups.append(_Group(block.level, is_question(text)))
            groups[-1].runs.append(_Run(units, len(groups) - 1, i, heading=True))
            continue
        if not groups:
            groups.append(_Group(0, False))
        g = len(groups) - 1
        runs = [_Run(run, g, i) for run in _split_long(units, _limits(doc)[1])]
        if block.kind in _LEAD_IN_KINDS and _introduces(doc, block):
            runs[-1].lead_in = True
        groups[-1].runs.extend(runs)
    return groups


def _limits(doc: Document) -> tuple[int, int]:
    return (MIN_WORDS_MARKUP, MAX_WORDS_MARKUP) if doc.markup else (MIN_WORDS, MAX_WORDS)


def _may_join(p: list[_Run], r: _Run, groups: list[_Group], min_words: int) -> bool:
    """Whether run ``r`` may be appended to the passage made of runs ``p`` (section rules only)."""
    last = p[-1]
    if r.group == last.group:
        return True
    g = groups[r.group]
    bare = all(x.heading for x in p)  # only headings so far: they must reach their content
    if g.question:
        return bare
    top = groups[p[0].group].level
    if bare:
        return g.level > groups[last.group].level
    if g.level > top:
        return True
    small = sum(x.words for x in p) < min_words and g.words < min_words
    return g.level == top and top > 0 and small and not groups[p[0].group].question


def _fits(p: list[_Run], r: _Run, max_words: int) -> bool:
    return (
        sum(x.words for x in p) + r.words <= max_words and sum(x.tokens for x in p) + r.tokens <= TEXT_BUDGET
    )


def _passages_runs(groups: list[_Group], min_words: int, max_words: int) -> list[list[_Run]]:
    runs = [r for g in groups for r in g.runs]
    out: list[list[_Run]] = []
    for r in runs:
        if out and _may_join(out[-1], r, groups, min_words):
            p = out[-1]
            bare = all(x.heading for x in p)
            fits = _fits(p, r, max_words)
            small = sum(x.words for x in p) < min_words or r.words < min_words
            if bare and (fits or sum(x.tokens for x in p) + r.tokens <= TEXT_BUDGET + HEADER_TOKENS):
                p.append(r)
                continue
            if fits and small and not r.heading:
                p.append(r)
                continue
            if fits and r.heading and groups[r.group].level > groups[p[0].group].level and small:
                p.append(r)
                continue
        out.append([r])
    # A heading never ends a passage: move a trailing heading run to the next passage.
    fixed: list[list[_Run]] = []
    carry: list[_Run] = []
    for p in out:
        p = carry + p
        carry = []
        while len(p) > 1 and p[-1].heading:
            carry.insert(0, p.pop())
        fixed.append(p)
    if carry:
        fixed.append(carry)
    return _lead_ins_forward(fixed)


_LEAD_IN_KINDS = ("paragraph", "list_item", "quote")


def _introduces(doc: Document, block: Block) -> bool:
    """Whether a block introduces what follows it, and so never ends a passage while what it introduces starts
    the next: it ends with a colon ("Follow these steps:"), or, on a sectioned page, it is a paragraph all in
    bold (a term above its definition, an API entry's signature above its description). Short labels without
    bold ("yarn" above a command, "Note") were measured too: a question fewer right on the guide's dev set."""
    text = doc.text[block.start : block.end].strip()
    if text.endswith(":"):
        return True
    if not doc.markup or block.kind != "paragraph" or not text:
        return False
    return any(s.style == "b" and s.start <= block.start and s.end >= block.end for s in block.styles)


def _lead_ins_forward(passages: list[list[_Run]]) -> list[list[_Run]]:
    """A passage that ends with a lead-in ("Follow these steps:", with any headings just above it) gives it to
    the next passage when that passage starts what it introduces (same section) and the window has room: a
    quote never stops at its colon while the steps are in another quote."""
    out = [list(p) for p in passages]
    for i in range(len(out) - 1):
        p, q = out[i], out[i + 1]
        if not p or not p[-1].lead_in or q[0].group != p[-1].group:
            continue
        k = len(p) - 1
        while k > 0 and p[k - 1].heading:
            k -= 1
        suffix = p[k:]
        if sum(x.tokens for x in suffix) + sum(x.tokens for x in q) <= TEXT_BUDGET:
            out[i + 1] = suffix + q
            del p[k:]
    return [p for p in out if p]


def _clip_lines(text: str, b: Block, start: int, end: int) -> Block:
    """A code block or table cut by the passage names the source lines of its piece: code lines map one to one;
    a table's rows too, after the delimiter row under its header (``|---|``), which is not text."""
    if b.kind not in ("code", "table") or b.lines == (0, 0) or (b.start >= start and b.end <= end):
        return b
    a, z = max(b.start, start), min(b.end, end)
    first_row = text.count("\n", b.start, a)
    last_row = first_row + text.count("\n", a, z)
    if b.kind == "code":
        return replace(b, lines=(b.lines[0] + first_row, b.lines[0] + last_row))

    def line(row: int) -> int:
        return b.lines[0] + row + (1 if row >= 1 else 0)

    return replace(b, lines=(line(first_row), min(line(last_row), b.lines[1])))


def _within_window(text: str, passages: list[list[_Run]]) -> list[list[_Run]]:
    """The passages with their exact word-piece counts checked: the sums used while grouping are estimates
    (a word cut between two pieces tokenizes differently), so a passage over the window sheds its last runs
    into a passage of their own."""
    out: list[list[_Run]] = []
    queue = list(passages)
    while queue:
        runs = queue.pop(0)
        spill: list[_Run] = []
        while len(runs) > 1:
            a, b = runs[0].units[0].start, runs[-1].units[-1].end
            if wordpieces.count(text[a:b]) <= TEXT_BUDGET + HEADER_TOKENS:
                break
            spill.insert(0, runs.pop())
        while spill and len(runs) > 1 and runs[-1].heading:  # a heading stays with what follows it
            spill.insert(0, runs.pop())
        out.append(runs)
        if spill:
            queue.insert(0, spill)
    return out


def chunk_document(doc: Document) -> list[Passage]:
    """Passages in document order; each passage's text is ``doc.text[start:end]`` exactly."""
    if not doc.blocks:
        return []
    groups = _groups(doc)
    cut = _within_window(doc.text, _passages_runs(groups, *_limits(doc)))
    # A heading with nothing under it (an empty section, or one whose images or embeds were not text) has nothing
    # to quote: it is no passage, unless the page has nothing else.
    cut = [runs for runs in cut if not all(r.heading for r in runs)] or cut
    passages: list[Passage] = []
    for ordinal, runs in enumerate(cut):
        units = [u for r in runs for u in r.units]
        start, end = units[0].start, units[-1].end
        blocks = tuple(
            _clip_lines(doc.text, b, start, end).shifted(start, start, end)
            for b in doc.blocks
            if b.end > start and b.start < end
        )
        first_block = next(i for i, b in enumerate(doc.blocks) if b.end > start)
        last_block = max(i for i, b in enumerate(doc.blocks) if b.start < end)
        passages.append(
            Passage(
                passage_id=passage_id(doc.doc_id, doc.version, ordinal),
                doc_id=doc.doc_id,
                source=doc.source,
                title=doc.title,
                version=doc.version,
                ordinal=ordinal,
                text=doc.text[start:end],
                start=start,
                end=end,
                first_paragraph=first_block + 1,
                last_paragraph=last_block + 1,
                paragraph_count=len(doc.blocks),
                sentences=tuple((u.start - start, u.end - start) for u in units),
                blocks=blocks,
                section=blocks[0].path if blocks else (),
                page_url=doc.url,
                markup=doc.markup,
            )
        )
    return passages


def contextual_header(p: Passage) -> str:
    """Title and the section path above the passage (the headings its own text does not contain)."""
    first_is_heading = bool(p.blocks) and p.blocks[0].kind == "heading" and p.blocks[0].start == 0
    return header_of(p.title, p.section, first_is_heading)


def header_of(title: str, section: tuple[str, ...], first_is_heading: bool) -> str:
    """``contextual_header`` from its parts: whether the passage starts with a heading (the last of its path)."""
    path = list(section[:-1] if first_is_heading else section)
    if path and path[0] == title:
        del path[0]
    return SECTION_SEP.join((title, *path))
