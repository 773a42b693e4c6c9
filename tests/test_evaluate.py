"""The evaluation metrics (with a synthetic search function) and the project's own seed evaluation set."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

import index.evaluate as evaluate_mod
from index.errors import EmptyIndexError, QuestionError
from index.evaluate import (
    EvalFileError,
    Gold,
    Question,
    evaluate,
    first_hit_rank,
    fold,
    is_hit,
    load_questions,
    ndcg,
    percentile,
)
from index.models import Answer, Hit

ROOT = Path(__file__).resolve().parents[1]
SEED_EVAL = ROOT / "tests" / "data" / "seed_eval.jsonl"
SEEDS = ROOT / "seeds"
KINDS = {"paraphrase", "keyword", "typo", "no-entity", "fact", "ood", "chitchat", "chrome"}
UNANSWERABLE_KINDS = {"ood", "chitchat", "chrome"}


def hit(source: str, quote: str, score: float = 0.5) -> Hit:
    return Hit(
        passage_id=f"{source}-{abs(hash(quote)) % 10_000:04d}",
        doc_id=source,
        quote=quote,
        title=source,
        source=source,
        location="paragraph 1 of 1",
        ordinal=0,
        score=score,
    )


def q(qid: str, text: str, gold: list[tuple[str, str]], kind: str = "fact") -> Question:
    return Question(id=qid, question=text, kind=kind, gold=tuple(Gold(d, t) for d, t in gold))


def scripted(answers: dict[str, Answer | Exception]) -> Callable[[str, int], Answer]:
    """A search function that returns the prepared answer for each question text."""

    def search(question: str, k: int) -> Answer:
        result = answers[question]
        if isinstance(result, Exception):
            raise result
        return result

    return search


# --- folding and matching -------------------------------------------------------------------


def test_fold_straightens_curly_quotes_and_collapses_unicode_whitespace():
    text = "  \u201cWe\u2019ll  leave\u00a0TOGETHER,\u201d\n\tsaid\u2009Mr\u00a0Blinken. "
    assert fold(text) == '"we\'ll leave together," said mr blinken.'


def test_fold_casefolds_beyond_lowercase():
    assert fold("STRASSE") == fold("Straße")


def test_is_hit_needs_same_file_name_and_folded_gold_text():
    quote = "Mr Biden\u2019s approach was similar to the\u00a0isolationist stance taken by Donald Trump."
    gold = Gold("news.txt", "Mr Biden's approach was similar to the isolationist stance")
    assert is_hit(hit("sub/dir/news.txt", quote), gold)
    assert not is_hit(hit("other.txt", quote), gold)
    assert not is_hit(hit("news.txt", "Mr Biden's approach was different."), gold)


def test_document_level_gold_matches_on_source_alone():
    gold = Gold("12345.txt", "")
    assert is_hit(hit("12345.txt", "any passage of the abstract"), gold)
    assert not is_hit(hit("12346.txt", "any passage of the abstract"), gold)


def test_first_hit_rank_takes_the_first_hit_matching_any_gold():
    hits = [hit("a.txt", "nothing here"), hit("b.txt", "the second answer"), hit("a.txt", "first answer")]
    golds = [Gold("a.txt", "first answer"), Gold("b.txt", "second answer")]
    assert first_hit_rank(hits, golds) == 2
    assert first_hit_rank(hits, [Gold("c.txt", "")]) is None


# --- metrics on a hand-computed case ---------------------------------------------------------


def hand_case() -> tuple[list[Question], Callable[[str, int], Answer]]:
    questions = [
        q("1", "first?", [("a.txt", "alpha fact")]),
        q("2", "third?", [("a.txt", "alpha fact")]),
        q("3", "missed?", [("a.txt", "alpha fact")]),
        q("4", "peru?", [], kind="ood"),
        q("5", "hi", [], kind="chitchat"),
    ]
    answers = {
        # rank 1; documents [a, b]: nDCG 1
        "first?": Answer("first?", True, (hit("a.txt", "The Alpha  fact."), hit("b.txt", "beta"))),
        # rank 3; documents [b, a] (b twice): nDCG 1/log2(3)
        "third?": Answer(
            "third?", False, (hit("b.txt", "beta"), hit("b.txt", "beta two"), hit("a.txt", "alpha fact"))
        ),
        # no quote holds the gold text, but document a is second: rank None, nDCG 1/log2(3)
        "missed?": Answer("missed?", True, (hit("c.txt", "gamma"), hit("a.txt", "unrelated"))),
        "peru?": Answer("peru?", False, (hit("c.txt", "gamma", 0.1),)),
        "hi": Answer("hi", True, (hit("c.txt", "gamma", 0.9),)),
    }
    return questions, scripted(answers)


def test_hit_at_k_and_mrr_on_hand_computed_case():
    questions, search = hand_case()
    report = evaluate(questions, search, k=10)
    assert report.hit_at_1 == pytest.approx(1 / 3)
    assert report.hit_at_3 == pytest.approx(2 / 3)
    assert report.mrr == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert [r.rank for r in report.rows] == [1, 3, None, None, None]


def test_ndcg_ranks_documents_by_best_passage_on_hand_computed_case():
    questions, search = hand_case()
    report = evaluate(questions, search, k=10)
    assert report.ndcg_at_10 == pytest.approx((1 + 2 / math.log2(3)) / 3)


def test_answered_and_abstention_rates_split_by_answerability():
    questions, search = hand_case()
    report = evaluate(questions, search, k=10)
    assert report.answered_rate == pytest.approx(2 / 3)
    assert report.abstention_rate == pytest.approx(1 / 2)
    assert [r.id for r in report.misses(at=1)] == ["2", "3", "5"]
    assert [r.id for r in report.misses(at=3)] == ["3", "5"]


def test_ndcg_with_two_relevant_documents():
    hits = [hit("x.txt", "p"), hit("x.txt", "p2"), hit("z.txt", "q"), hit("y.txt", "r")]
    value = ndcg(hits, [Gold("x.txt", ""), Gold("y.txt", "")])
    # documents ranked [x, z, y]: DCG = 1 + 1/log2(4); ideal = 1 + 1/log2(3)
    assert value == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))


def test_ndcg_only_counts_the_first_ten_documents():
    hits = [hit(f"d{i}.txt", "p") for i in range(12)]
    assert ndcg(hits, [Gold("d11.txt", "")]) == 0.0
    assert ndcg(hits, [Gold("d9.txt", "")]) == pytest.approx(1 / math.log2(11))


def test_hits_beyond_k_are_ignored():
    question = q("1", "deep?", [("a.txt", "gold")])
    hits = (hit("b.txt", "x"), hit("c.txt", "y"), hit("a.txt", "gold"))
    report = evaluate([question], scripted({"deep?": Answer("deep?", True, hits)}), k=2)
    assert report.rows[0].rank is None
    assert report.hit_at_3 == 0.0


def test_search_receives_k():
    seen: list[int] = []

    def search(question: str, k: int) -> Answer:
        seen.append(k)
        return Answer(question, False, ())

    evaluate([q("1", "x?", [])], search, k=7)
    assert seen == [7]


def test_refused_question_counts_as_abstention_and_keeps_message():
    questions = [q("1", "   ", [], kind="chitchat"), q("2", "real?", [("a.txt", "gold")])]
    search = scripted({"   ": QuestionError("Ask a question."), "real?": QuestionError("Too long.")})
    report = evaluate(questions, search, k=3)
    assert report.abstention_rate == 1.0
    assert report.answered_rate == 0.0
    assert report.rows[0].error == "Ask a question."
    assert report.rows[1].rank is None


def test_other_errors_propagate():
    with pytest.raises(EmptyIndexError):
        evaluate([q("1", "x?", [])], scripted({"x?": EmptyIndexError("Nothing indexed.")}))


def test_rates_are_none_without_questions_of_that_kind():
    report = evaluate([q("1", "hi", [], kind="chitchat")], scripted({"hi": Answer("hi", False, ())}))
    assert report.hit_at_1 is None and report.mrr is None and report.answered_rate is None
    assert report.abstention_rate == 1.0
    assert "n/a" in report.summary()


def test_latency_percentiles_come_from_the_clock_around_each_search(monkeypatch):
    durations = iter([0.010, 0.020, 0.030, 0.040, 0.100])  # seconds per search
    now = [0.0]

    def search(question: str, k: int) -> Answer:
        now[0] += next(durations)
        return Answer(question, False, ())

    monkeypatch.setattr(evaluate_mod.time, "perf_counter", lambda: now[0])
    report = evaluate([q(str(i), f"q{i}", []) for i in range(5)], search)
    assert [round(r.latency_ms) for r in report.rows] == [10, 20, 30, 40, 100]
    assert report.p50_ms == pytest.approx(30.0)
    assert report.p95_ms == pytest.approx(88.0)  # linear interpolation between 40 and 100


def test_percentile_interpolates():
    assert percentile([], 50) is None
    assert percentile([5.0], 95) == 5.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == pytest.approx(2.5)


def test_report_serialises_to_json_and_lists_misses():
    questions, search = hand_case()
    report = evaluate(questions, search, k=10)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["questions"] == 5 and data["answerable"] == 3 and data["unanswerable"] == 2
    assert data["hit@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert data["by_kind"]["ood"]["abstain"] == 1.0
    assert [row["rank"] for row in data["rows"]] == [1, 3, None, None, None]
    text = "\n".join(report.lines())
    assert "'missed?': no hit in top k" in text
    assert "'hi': answered (score 0.900) instead of abstaining" in text
    assert "'first?'" not in text


def test_evaluate_rejects_k_below_one():
    with pytest.raises(ValueError):
        evaluate([], scripted({}), k=0)


# --- loading question files ------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "q.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_questions_reads_gold_and_skips_blank_lines(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf"  # a byte-order mark is accepted
        + b'{"id": "a", "question": "Who?", "kind": "fact", "gold": [{"doc": "x.txt", "text": "him"}]}\n'
        + b"\n"
        + b'{"id": "b", "question": "Capital of Peru?", "kind": "ood", "gold": []}\n'
        + b'{"id": "c", "question": "Claim.", "kind": "scifact", "gold": [{"doc": "1.txt", "text": ""}]}\n'
    )
    questions = load_questions(path)
    assert [x.id for x in questions] == ["a", "b", "c"]
    assert questions[0].gold == (Gold("x.txt", "him"),)
    assert not questions[1].answerable
    assert questions[2].gold == (Gold("1.txt", ""),)


def test_load_questions_missing_file_names_it(tmp_path):
    with pytest.raises(EvalFileError, match="not found: .*nope.jsonl"):
        load_questions(tmp_path / "nope.jsonl")


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ('["a list"]', "line 2: expected a JSON object"),
        ('{"id": "b", "gold": []}', "line 2: missing or empty 'question'"),
        ('{"id": "b", "question": "  ", "gold": []}', "line 2: missing or empty 'question'"),
        ('{"question": "Why?", "gold": []}', "line 2: missing or empty 'id'"),
        ('{"id": "b", "question": "Why?"}', "line 2: missing 'gold'"),
        ('{"id": "b", "question": "Why?", "gold": "x.txt"}', "line 2: 'gold' must be a list"),
        ('{"id": "b", "question": "Why?", "gold": [{"text": "t"}]}', "line 2: every gold needs"),
        ('{"id": "a", "question": "Again?", "gold": []}', "line 2: duplicate id 'a' \\(first on line 1\\)"),
    ],
)
def test_load_questions_reports_the_bad_line(tmp_path, bad_line, message):
    good = '{"id": "a", "question": "Who?", "kind": "fact", "gold": []}'
    path = write(tmp_path, good + "\n" + bad_line + "\n")
    with pytest.raises(EvalFileError, match=message):
        load_questions(path)


def test_load_questions_rejects_an_empty_file(tmp_path):
    with pytest.raises(EvalFileError, match="no questions"):
        load_questions(write(tmp_path, "\n\n"))


# --- the project's own evaluation set about the seed articles --------------------------------


@pytest.fixture(scope="module")
def seed_questions() -> list[Question]:
    return load_questions(SEED_EVAL)


def test_seed_eval_set_is_large_and_mixed(seed_questions):
    kinds = Counter(x.kind for x in seed_questions)
    assert len(seed_questions) >= 75
    assert set(kinds) <= KINDS
    assert sum(1 for x in seed_questions if not x.answerable) >= 15
    for kind in KINDS:
        assert kinds[kind] >= 5, f"too few {kind!r} questions"


def test_seed_eval_unanswerable_kinds_have_no_gold(seed_questions):
    for x in seed_questions:
        assert x.answerable == (x.kind not in UNANSWERABLE_KINDS), x.id


def test_seed_eval_gold_texts_occur_verbatim_in_their_seed(seed_questions):
    folded = {p.name: fold(p.read_text(encoding="utf-8")) for p in SEEDS.glob("*.txt")}
    for x in seed_questions:
        for gold in x.gold:
            assert gold.doc in folded, f"{x.id}: unknown seed {gold.doc}"
            assert 3 <= len(gold.text.split()) <= 16, f"{x.id}: gold should be a short span"
            assert fold(gold.text) in folded[gold.doc], f"{x.id}: {gold.text!r} not in {gold.doc}"


def test_seed_eval_covers_every_seed(seed_questions):
    covered = {g.doc for x in seed_questions for g in x.gold}
    assert covered == {p.name for p in SEEDS.glob("*.txt")}
