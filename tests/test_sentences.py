"""Sentence spans: verbatim, ordered, and not fooled by abbreviations, initials or decimals."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.cleaning import clean
from index.sentences import first_sentence, split_sentences

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


def test_splits_after_full_stop_question_and_exclamation_marks() -> None:
    assert sentences("It rained. Did it stop? No! 2,000 homes flooded.") == [
        "It rained.",
        "Did it stop?",
        "No!",
        "2,000 homes flooded.",
    ]


def test_spans_are_stripped_and_verbatim() -> None:
    text = "  First one.   Second\tone.  \n"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["First one.", "Second\tone."]
    assert spans[0] == (2, 12)


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    text = "He called it \u201ca shocking mess.\u201d The minister (who spoke later.) Then left."
    assert sentences(text) == [
        "He called it \u201ca shocking mess.\u201d",
        "The minister (who spoke later.)",
        "Then left.",
    ]


def test_a_new_quoted_sentence_starts_after_a_closing_quote() -> None:
    assert sentences('She said: "We will win." "Then what?" he asked.') == [
        'She said: "We will win."',
        '"Then what?" he asked.',
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Mr. Smith met Dr. Jones and Prof. Lee at St. Paul's.",
        "Gen. Ames and Sen. Ruiz spoke to Gov. Hall and Lt. Col. Park.",
        "The firm, Acme Inc. Ltd. Co. Corp. and sons, grew.",
        "It happened on Jan. 5 and again on Sept. 12 last year.",
        "He lives at No. 10 with Mt. Kenya in view.",
        "Troops from the U.S. Army and the U.K. Navy met at 9 a.m. Tuesday.",
        "Some fruit, e.g. Apples, and some nuts, i.e. Walnuts, were left.",
        "The novel by J. R. R. Tolkien was read by George W. Bush aloud.",
        "Civil rights leader W. E. B. Du Bois wrote it.",
        "Prices rose 3.5 percent to 1,204.75 dollars.",
        "Smith vs. Jones was decided in 1990.",
        "The formula O\n2 is the common form of oxygen.",
        "A line broken\nin the middle of a sentence stays whole.",
    ],
)
def test_does_not_split_inside_one_sentence(text: str) -> None:
    assert sentences(text) == [text]


def test_splits_after_a_single_capital_that_is_not_an_initial() -> None:
    text = "The problem is hard for class C. Of course, that depends on the reduction."
    assert len(sentences(text)) == 2


def test_splits_after_etc_before_a_capital() -> None:
    assert sentences("They ate apples, pears, etc. While they ate, it rained.") == [
        "They ate apples, pears, etc.",
        "While they ate, it rained.",
    ]


def test_a_blank_line_always_ends_a_sentence() -> None:
    assert sentences("A heading without a stop\n\nthe body starts here.") == [
        "A heading without a stop",
        "the body starts here.",
    ]


def test_a_single_newline_is_not_a_boundary_but_a_stop_before_it_is() -> None:
    text = "called dioxygen, O\n2. Diatomic oxygen is common.\nIt is reactive."
    assert sentences(text) == ["called dioxygen, O\n2.", "Diatomic oxygen is common.", "It is reactive."]


def test_ellipsis_ends_a_sentence_only_before_white_space() -> None:
    assert sentences("He paused\u2026 Then he went on.") == ["He paused\u2026", "Then he went on."]
    assert sentences("problems\u2026The Western countries left.") == [
        "problems\u2026The Western countries left."
    ]


def test_lower_case_after_a_stop_does_not_start_a_sentence() -> None:
    assert sentences("It cost approx. ten dollars. Then it rose.") == [
        "It cost approx. ten dollars.",
        "Then it rose.",
    ]


def test_empty_and_blank_text_have_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n\t ") == []
    assert first_sentence("   ") == ""


def test_first_sentence_is_verbatim() -> None:
    assert first_sentence("  Mr. Biden spoke on Tuesday. Nobody else did.") == "Mr. Biden spoke on Tuesday."


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
def test_seed_paragraphs_split_into_sentences_that_end_with_punctuation(path: Path) -> None:
    for paragraph in clean(path.read_text(encoding="utf-8")).paragraphs:
        spans = split_sentences(paragraph)
        assert spans
        for a, b in spans[:-1]:
            assert paragraph[a:b].rstrip("\"'\u201d\u2019)]")[-1] in ".!?\u2026"


_ALPHABET = st.sampled_from(
    list("abcxyzABCXYZ019 .,!?;:\u2026\"'\u201c\u201d\u2018\u2019()[]\n\t")
    + ["Mr.", "Dr.", "U.S.", "e.g.", " J. ", " W. ", "3.5", "\n\n", "etc.", "No. 1", "\u00a0"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=80).map("".join))
def test_spans_are_ordered_disjoint_in_bounds_stripped_and_cover_all_text(text: str) -> None:
    spans = split_sentences(text)
    previous_end = 0
    covered: set[int] = set()
    for a, b in spans:
        assert previous_end <= a < b <= len(text)
        assert not text[a].isspace() and not text[b - 1].isspace()
        covered.update(range(a, b))
        previous_end = b
    assert {i for i, ch in enumerate(text) if not ch.isspace()} <= covered
