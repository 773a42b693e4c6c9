"""Quality floors on the project's own evaluation set (tests/data/seed_eval.jsonl), so that a change that makes
retrieval worse fails CI. Floors sit a little under the measured figures (see the closing notes / README)."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.evaluate import evaluate, load_questions

EVAL = Path(__file__).resolve().parent / "data" / "seed_eval.jsonl"

# measured (hybrid, 2026-11-23): hit@1 0.947, hit@3 0.957, MRR 0.957, answered 0.979, abstain 1.000
FLOORS_HYBRID = {"hit@1": 0.92, "hit@3": 0.93, "mrr": 0.92, "answered": 0.95, "abstain": 0.95}
# measured: dense hit@1 0.68 / hit@3 0.86; bm25 0.89 / 0.96. Hybrid must beat dense alone clearly.


@pytest.fixture(scope="module")
def reports(seed_retriever):
    questions = load_questions(EVAL)
    return {
        mode: evaluate(questions, lambda q, k, m=mode: seed_retriever.search(q, k, mode=m), k=10).metrics()
        for mode in ("hybrid", "dense", "bm25")
    }


def test_eval_set_is_substantial():
    questions = load_questions(EVAL)
    assert len(questions) >= 60
    assert sum(1 for q in questions if not q.gold) >= 10


@pytest.mark.parametrize("metric", sorted(FLOORS_HYBRID))
def test_hybrid_meets_its_floor(reports, metric):
    assert reports["hybrid"][metric] >= FLOORS_HYBRID[metric], reports["hybrid"]


def test_hybrid_beats_each_retriever_alone(reports):
    hybrid = reports["hybrid"]
    for alone in ("dense", "bm25"):
        assert hybrid["hit@1"] > reports[alone]["hit@1"], (alone, reports[alone])
        assert hybrid["mrr"] > reports[alone]["mrr"], (alone, reports[alone])
