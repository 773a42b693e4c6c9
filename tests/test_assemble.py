"""Quotes grown from neighbouring passages of one section (index/assemble.py): still exactly the page's text, only
within a section, only candidates, within the size limit; end to end on the fixture site."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from index import assemble
from index.chunking import chunk_document
from index.formats.markdown import read_markdown
from index.loaders import load_corpus
from tests.test_chunking import markdown_pages

DOCS = Path(__file__).resolve().parent / "fixtures" / "docs"


def _check_joins(doc) -> int:
    """Every pair of consecutive passages that may join: the separator is the text between them, the joined
    passage is the document's text over both, with the same blocks and units. Returns how many pairs joined."""
    passages = chunk_document(doc)
    joined = 0
    for a, b in zip(passages, passages[1:], strict=False):
        sep = assemble.separator(a, b)
        if sep is None:
            continue
        joined += 1
        assert doc.text[a.end : b.start] == sep
        p = assemble.join([a, b])
        assert p.text == doc.text[a.start : b.end] and (p.start, p.end) == (a.start, b.end)
        assert [p.text[x:y] for x, y in p.sentences] == a.sentence_texts() + b.sentence_texts()
        assert [p.text[k.start : k.end] for k in p.blocks] == [a.text[k.start : k.end] for k in a.blocks] + [
            b.text[k.start : k.end] for k in b.blocks
        ]
        assert b.blocks[0].kind != "heading"  # a heading starts a section of its own: never joined
        assert a.blocks[-1].path == b.blocks[0].path
    return joined


def test_joined_passages_are_exactly_the_pages_text():
    docs, _ = load_corpus(DOCS)
    assert sum(_check_joins(d) for d in docs) >= 3  # the fixture site has sections cut into several passages


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_pages())
def test_generated_pages_join_exactly(page):
    source, _ = page
    _check_joins(read_markdown("gen.md", source))


def test_plain_text_and_different_sections_never_join():
    from index.formats.text import read_text

    text = read_text("a.txt", "Title\n\n" + "\n\n".join(" ".join(["word"] * 90) + "." for _ in range(4)))
    passages = chunk_document(text)
    assert len(passages) >= 2
    assert all(assemble.separator(a, b) is None for a, b in zip(passages, passages[1:], strict=False))
    md = read_markdown("b.md", "# T\n\n## One\n\nFirst section text.\n\n## Two\n\nSecond section text.\n")
    passages = chunk_document(md)
    assert all(assemble.separator(a, b) is None for a, b in zip(passages, passages[1:], strict=False))


@dataclass(frozen=True)
class _S:
    row: int


def _section_page():
    """A page whose one section is cut into four passages (prose, code, prose, code)."""
    body = "\n\n".join(
        f"Paragraph {k} explains step {k} of the setup in plain words, one sentence after another, "
        + " ".join(f"detail{k}x{i}" for i in range(30))
        + ".\n\n```py\n"
        + "\n".join(f"step_{k}_{i}()" for i in range(20))
        + "\n```"
        for k in range(2)
    )
    doc = read_markdown("p.md", f"# Page\n\n## Setup\n\n{body}\n")
    passages = chunk_document(doc)
    assert len(passages) == 4 and all(
        assemble.separator(a, b) is not None for a, b in zip(passages, passages[1:], strict=False)
    )
    return passages


def test_grow_takes_in_candidate_neighbours_within_the_limit():
    ps = _section_page()
    get = ps.__getitem__
    total = sum(len(p.text) for p in ps) + 6
    # the best candidate (row 1) grows over rows 0 and 2 (both candidates), not over row 3 (not a candidate)
    quotes = assemble.grow([_S(1), _S(2), _S(0)], get, limit=total)
    assert [(s.row, rows) for s, rows in quotes] == [(1, [0, 1, 2])]
    # the limit stops it: rows 1 and 2 only fit together
    limit = len(ps[1].text) + len(ps[2].text) + 2
    assert assemble.grow([_S(1), _S(2), _S(0)], get, limit=limit) == [(_S(1), [1, 2]), (_S(0), [0])]
    # a neighbour beyond the pool stays a quote of its own
    assert assemble.grow([_S(1), _S(3), _S(2)], get, limit=total, pool=2) == [
        (_S(1), [1]),
        (_S(3), [3]),
        (_S(2), [2]),
    ]


def test_a_section_cut_in_two_is_quoted_whole(docs_retriever):
    """The fixture's hook page: the section's prose and its code are two passages, and the question needs the
    code. Both rank among the candidates, so the first quote holds both, exactly as the page reads."""
    docs = {d.source: d for d in load_corpus(DOCS)[0]}
    answer = docs_retriever.search("how do i stop listening to a hook later on", 3)
    hit = answer.hits[0]
    assert hit.source == "api-events.html" and "sub.off();" in hit.quote
    assert hit.quote in docs[hit.source].text
    lead = docs_retriever.context(hit.passage_id)[1]
    assert lead is not None and len(hit.quote) > len(lead.text) and lead.text in hit.quote
    assert len(hit.quote) <= assemble.JOIN_CHARS
    a, b = hit.focus
    assert 0 <= a < b <= len(hit.quote)
    # what the first quote took in is not quoted again
    for other in answer.hits[1:]:
        assert other.quote not in hit.quote


def test_context_of_a_grown_quote_is_around_all_of_it(docs_retriever):
    """The Context button of a grown quote shows the quote whole and the passages before and after all of it."""
    docs = {d.source: d for d in load_corpus(DOCS)[0]}
    hit = docs_retriever.search("how do i stop listening to a hook later on", 3).hits[0]
    assert hit.span is not None and hit.span[0] < hit.span[1]
    before, this, after = docs_retriever.context(hit.passage_id, hit.span)
    assert this is not None and this.text == hit.quote
    text = docs[hit.source].text
    for neighbour in (before, after):
        if neighbour is not None:
            assert neighbour.text in text and neighbour.text not in hit.quote
    if before is not None:
        assert text.index(before.text) + len(before.text) <= text.index(hit.quote)
    if after is not None:
        assert text.index(after.text) >= text.index(hit.quote) + len(hit.quote)
    # without the span (an old button), the lead passage alone and its neighbours
    _, lead, _ = docs_retriever.context(hit.passage_id)
    assert lead is not None and lead.text in hit.quote and lead.text != hit.quote


def test_pages_of_grown_quotes_never_repeat_or_skip_a_quote(docs_retriever):
    """More pages through the answers of a question with grown quotes: page by page is the same as all at once."""
    for question in ("how do i install the lantern cli", "how do i stop listening to a hook later on"):
        whole = [h.quote for h in docs_retriever.search(question, 24).hits]
        paged = [
            h.quote
            for offset in range(0, 24, 3)
            for h in docs_retriever.search(question, 3, offset=offset).hits
        ]
        assert paged == whole[: len(paged)] and len(set(paged)) == len(paged)


def test_later_pages_repeat_the_first_pages_late_interaction_choice(docs_retriever):
    """A first page asked during a burst (no late interaction) and its More pages asked alone, or the reverse, are
    cut from one ranking: the later pages pass back ``Answer.rescored``, so no quote is repeated or skipped."""
    from index.evaluate import load_questions

    root = Path(__file__).parent
    questions = [q.question for q in load_questions(root / "data" / "docs_eval_dev.jsonl") if q.answerable][
        :12
    ]
    choices = set()
    for busy_first in (True, False):
        for question in questions:
            docs_retriever._in_flight += busy_first  # another question is being answered (test thread only)
            first = docs_retriever.search(question, 2)
            docs_retriever._in_flight += (not busy_first) - busy_first
            later = [docs_retriever.search(question, 2, offset=o, rescore=first.rescored) for o in (2, 4)]
            docs_retriever._in_flight -= not busy_first
            whole = docs_retriever.search(question, 6, rescore=first.rescored)
            paged = [h.quote for answer in (first, *later) for h in answer.hits]
            assert paged == [h.quote for h in whole.hits][: len(paged)]
            choices.add(first.rescored)
    assert docs_retriever._in_flight == 0
    assert choices == {True, False}  # asked alone it was re-scored, during a burst it was not
