"""Chunking: whole units, section-aware passages, the encoder's window, exact offsets, deterministic ids."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index import wordpieces
from index.chunking import MAX_WORDS, MIN_WORDS, chunk_document, contextual_header
from index.formats.base import DocBuilder
from index.formats.markdown import read_markdown
from index.formats.text import read_text
from index.loaders import load_corpus
from index.sentences import split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
WINDOW = wordpieces.WINDOW - wordpieces.SPECIAL


def doc(text: str):
    b = DocBuilder(markup=False)
    for para in text.split("\n\n"):
        b.add("paragraph", para)
    return b.document("x.txt", "T")


_WORDS = ["river", "stone", "cloud", "green", "house", "music", "paper", "table", "water", "light"]


def sentence(n: int, i: int) -> str:
    """``n`` words, each one word piece; capitalised, so the splitter ends it at its full stop."""
    words = [_WORDS[(i + j) % len(_WORDS)] for j in range(n - 1)]
    return " ".join(words).capitalize() + (" end." if words else "End.")


def test_seed_passages_are_exact_substrings_and_whole_sentences():
    docs, _ = load_corpus(SEEDS)
    for d in docs:
        passages = chunk_document(d)
        assert passages, d.source
        starts, ends = set(), set()
        for blk in d.blocks:
            for a, b in split_sentences(d.text[blk.start : blk.end]):
                starts.add(blk.start + a)
                ends.add(blk.start + b)
        for p in passages:
            assert d.text[p.start : p.end] == p.text
            assert p.start in starts and p.end in ends
            for a, b in p.sentences:
                assert p.text[a:b].strip() == p.text[a:b]


def test_passages_respect_word_bounds_when_sentences_allow():
    text = "\n\n".join(" ".join(sentence(12, 10 * k + i) for i in range(5)) for k in range(8))
    passages = chunk_document(doc(text))
    for p in passages:
        words = len(p.text.split())
        assert words <= MAX_WORDS
        assert words >= MIN_WORDS or len(passages) == 1


def test_a_sentence_longer_than_the_window_is_cut_at_word_boundaries():
    giant = " ".join(f"word{j}" for j in range(600))  # no punctuation at all
    d = doc(f"{sentence(10, 0)}\n\n{giant}\n\n{sentence(10, 2)}")
    passages = chunk_document(d)
    assert len(passages) >= 3
    assert [w for p in passages for w in p.text.split() if w.startswith("word")] == giant.split()
    for p in passages:
        assert wordpieces.count(p.text) <= WINDOW
        assert not p.text.startswith(" ") and not p.text.endswith(" ")


def test_a_single_line_file_of_many_megabytes_is_capped_quickly():
    import time

    giant = "lorem ipsum dolor sit amet " * 40_000  # ~1 MB, one line, no sentence end
    t0 = time.perf_counter()
    d = read_text("big.txt", giant)
    passages = chunk_document(d)
    assert time.perf_counter() - t0 < 60
    assert max(len(p.text) for p in passages) < 3000
    assert all(d.text[p.start : p.end] == p.text for p in passages)


def test_short_paragraphs_merge_and_location_names_them():
    d = doc("\n\n".join(sentence(15, i) for i in range(6)))
    passages = chunk_document(d)
    assert len(passages) < 6
    assert passages[0].location.startswith("paragraphs 1\u2013")
    assert passages[0].location.endswith("of 6")


def test_ids_are_deterministic_and_versioned():
    d = doc("\n\n".join(sentence(30, i) for i in range(6)))
    a, b = chunk_document(d), chunk_document(d)
    assert [p.passage_id for p in a] == [p.passage_id for p in b]
    assert len({p.passage_id for p in a}) == len(a)
    assert all(p.passage_id.startswith(d.doc_id + "-" + d.version[:12]) for p in a)
    assert [p.ordinal for p in a] == list(range(len(a)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(1, 70), min_size=1, max_size=6), min_size=1, max_size=10))
def test_chunking_covers_every_sentence_exactly_once(shape):
    paragraphs = [
        " ".join(sentence(n, 100 * k + i) for i, n in enumerate(para)) for k, para in enumerate(shape)
    ]
    d = doc("\n\n".join(paragraphs))
    passages = chunk_document(d)
    covered = [p.text[a:b] for p in passages for a, b in p.sentences]
    expected = [s for para in paragraphs for a, b in split_sentences(para) for s in [para[a:b]]]
    assert covered == expected
    assert all(d.text[p.start : p.end] == p.text for p in passages)


FAQ = """# Server FAQ

Welcome to the FAQ of the server. Read it before asking in the help channel, please.

## Moderation

### How do I report a user?

Use the report command in any channel:

```py
await report(user, reason="spam")
```

### Can I appeal a ban?

Yes, by writing to the appeals inbox within thirty days of the ban.

## Bots

Short intro to the bots section.

### Setup

Install the package.

### Running

Start it with the run command.

## Long example

```py
{code}
```
"""


def faq_doc():
    code = "\n".join(f"value_{i} = compute({i})  # line {i}" for i in range(300))
    return read_markdown("faq.md", FAQ.replace("{code}", code))


def test_a_question_heading_starts_the_passage_of_its_answer():
    d = faq_doc()
    passages = chunk_document(d)
    report = next(p for p in passages if "How do I report a user?" in p.text)
    assert "await report(user" in report.text
    assert "Can I appeal a ban?" not in report.text  # a sibling question is its own passage
    appeal = next(p for p in passages if "Can I appeal a ban?" in p.text)
    assert appeal.text.startswith("Can I appeal a ban?")
    assert "appeals inbox" in appeal.text


def test_passages_never_cross_a_heading_of_their_level_or_above():
    d = faq_doc()
    for p in chunk_document(d):
        top = p.blocks[0].path
        for blk in p.blocks[1:]:
            if blk.kind == "heading":
                # any heading inside a passage is below the passage's first section, or a small sibling
                assert blk.level > (p.blocks[0].level if p.blocks[0].kind == "heading" else len(top)) or (
                    blk.level == p.blocks[0].level
                )
    bots = [p for p in chunk_document(d) if "Setup" in p.text or "Running" in p.text]
    # small neighbouring sections under one parent may share a passage
    assert any("Install the package." in p.text and "Start it with the run command." in p.text for p in bots)
    assert not any("appeals inbox" in p.text and "Short intro" in p.text for p in chunk_document(d))


def test_a_heading_never_ends_a_passage():
    d = faq_doc()
    for p in chunk_document(d):
        assert p.blocks[-1].kind != "heading", p.text


def test_a_long_code_block_is_cut_at_line_boundaries_into_its_own_passages():
    d = faq_doc()
    code_passages = [p for p in chunk_document(d) if "compute(" in p.text]
    assert len(code_passages) > 3
    lines = [line for p in code_passages for line in p.text.split("\n") if "compute(" in line]
    assert lines == [f"value_{i} = compute({i})  # line {i}" for i in range(300)]
    for p in code_passages:
        assert wordpieces.count(p.text) <= WINDOW


def test_every_passage_with_its_header_fits_the_window():
    from index.ingest import embedding_inputs

    d = faq_doc()
    for p in chunk_document(d):
        text, spans = embedding_inputs(p)
        assert wordpieces.count(text) <= WINDOW
        assert [text[a:b] for a, b in spans] == p.sentence_texts()


def test_section_paths_and_contextual_header():
    d = faq_doc()
    passages = chunk_document(d)
    report = next(p for p in passages if "How do I report a user?" in p.text)
    assert report.section == ("Moderation", "How do I report a user?") or report.section == ("Moderation",)
    assert contextual_header(report).startswith("Server FAQ")
    code = [blk for blk in report.blocks if blk.kind == "code"]
    assert code and code[0].path == ("Moderation", "How do I report a user?") and code[0].lang == "py"
    assert report.location.startswith("lines ")


# -- property: generated Markdown --------------------------------------------------------------------------

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=9)
_sentence = st.lists(_word, min_size=1, max_size=25).map(lambda ws: " ".join(ws).capitalize() + ".")
_code_line = st.text(alphabet="abcdefxyz_=()[]{};:'\"` .,+-*/#<>@", min_size=0, max_size=50)


@st.composite
def markdown_pages(draw):
    parts, codes = [], []
    for i in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["h2", "h3", "p", "list", "code", "quote"]))
        if kind in ("h2", "h3"):
            parts.append(
                "#" * int(kind[1]) + " " + draw(_sentence).rstrip(".") + draw(st.sampled_from(["", "?"]))
            )
        elif kind == "p":
            parts.append(" ".join(draw(st.lists(_sentence, min_size=1, max_size=8))))
        elif kind == "list":
            parts.append(
                "\n".join("- " + draw(_sentence).rstrip(".") for _ in range(draw(st.integers(1, 5))))
            )
        elif kind == "quote":
            parts.append("> " + draw(_sentence))
        else:
            lines = draw(st.lists(_code_line, min_size=1, max_size=draw(st.sampled_from([3, 40, 120]))))
            body = "\n".join(f"c{i}_{n} {line}".rstrip() for n, line in enumerate(lines))
            codes.append(body)
            parts.append(f"````js\n{body}\n````")
    return "# Title\n\n" + "\n\n".join(parts) + "\n", codes


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown_pages())
def test_generated_markdown_code_blocks_appear_once_intact_and_passages_are_substrings(page):
    source, codes = page
    d = read_markdown("gen.md", source)
    assert d is not None
    for body in codes:
        assert d.text.count(body) == 1
        blk = next(b for b in d.blocks if b.kind == "code" and d.text[b.start : b.end] == body)
        assert blk.lang == "js"
    passages = chunk_document(d)
    for p in passages:
        assert d.text[p.start : p.end] == p.text
        assert wordpieces.count(p.text) <= WINDOW
    # every code line is quoted by exactly one passage, in order
    code_lines = [line for body in codes for line in body.split("\n")]
    quoted = [
        line
        for p in passages
        for blk in p.blocks
        if blk.kind == "code"
        for line in p.text[blk.start : blk.end].split("\n")
    ]
    assert quoted == code_lines


def test_pieces_of_a_long_code_block_name_their_own_source_lines():
    d = faq_doc()
    source = FAQ.replace("{code}", "\n".join(f"value_{i} = compute({i})  # line {i}" for i in range(300)))
    lines = source.split("\n")
    for p in chunk_document(d):
        if "compute(" not in p.text:
            continue
        code = next(b for b in p.blocks if b.kind == "code")
        shown = p.text[code.start : code.end].split("\n")
        assert lines[code.lines[0] - 1] == shown[0] and lines[code.lines[1] - 1] == shown[-1]
        assert p.location.endswith(f"\u2013{code.lines[1]}")


def test_a_lead_in_travels_with_the_steps_it_introduces():
    para = " ".join(
        f"Sentence number {i} explains some background about the bot and its setup." for i in range(9)
    )
    src = (
        f"# Guide\n\n## Leaked token\n\n{para}\n\nIf your token leaked, follow these steps:\n\n"
        "1. Regenerate the token in the portal\n2. Update your configuration file\n3. Restart the bot\n\n"
        "## Next\n\nOther text.\n"
    )
    d = read_markdown("g.md", src)
    passages = chunk_document(d)
    steps = next(p for p in passages if "1. Regenerate" in p.text)
    assert "follow these steps:" in steps.text and "3. Restart the bot" in steps.text
    assert not any(p.text.rstrip().endswith(":") for p in passages)
    assert all(d.text[p.start : p.end] == p.text for p in passages)


def test_a_heading_with_nothing_under_it_is_no_passage():
    body = " ".join(f"Sentence {i} says what this section is about in plain words." for i in range(3))
    src = f"# Page\n\n## Setup\n\n{body}\n\n## Screenshots\n\n![a picture](a.png)\n\n## Usage\n\n{body}\n\n## Empty\n"
    d = read_markdown("p.md", src)
    passages = chunk_document(d)
    assert [p.section for p in passages] == [("Setup",), ("Usage",)]
    assert [p.ordinal for p in passages] == [0, 1]
    only = read_markdown("q.md", "# Page\n\n## Just a heading\n")
    assert [p.text for p in chunk_document(only)] == ["Just a heading"]


def test_pieces_of_a_long_table_name_their_own_source_lines():
    rows = "\n".join(
        f"| row {i} name with several words here | value {i} with more words |" for i in range(60)
    )
    src = f"# T\n\n| Name | Value |\n|---|---|\n{rows}\n"
    d = read_markdown("t.md", src)
    source = src.split("\n")
    passages = chunk_document(d)
    assert len(passages) > 2
    for p in passages:
        table = next(b for b in p.blocks if b.kind == "table")
        text_rows = p.text[table.start : table.end].split("\n")
        first, last = table.lines
        assert source[first - 1].startswith("| " + text_rows[0].split(" | ")[0])
        assert source[last - 1].startswith("| " + text_rows[-1].split(" | ")[0])


def test_a_bold_term_line_never_ends_a_passage_without_its_definition():
    """An API entry's signature (or a glossary term), a line all in bold, goes with the description under it."""
    from index.formats.base import DocBuilder
    from index.models import StyleSpan

    b = DocBuilder(markup=True)
    b.heading("API", 2)
    for k in range(6):
        term = f"method_{k}(prefix, adapter)"
        b.add("paragraph", term, (StyleSpan(0, len(term), "b"),))
        b.add("paragraph", " ".join(f"word{k}x{i}" for i in range(70)) + ".")
    d = b.document("api.html", "API")
    passages = chunk_document(d)
    assert len(passages) > 2
    for p in passages:
        last = p.blocks[-1]
        assert not (last.kind == "paragraph" and p.text[last.start : last.end].startswith("method_")), p.text[
            -80:
        ]
