"""Evaluate a search function on a question file: hit@k, MRR, nDCG@10, abstention, latency.

A question file has one JSON object per line::

    {"id": "q001", "question": "...", "kind": "fact", "gold": [{"doc": "a.txt", "text": "..."}]}

An empty ``gold`` means the corpus holds no answer: the right behaviour is to abstain
(``Answer.answered`` is False). A returned quote is a hit for a gold when it comes from the gold's
document (compared by file name) and contains the gold text after :func:`fold`; an empty gold text
(document-level relevance, as in BEIR SciFact) only needs the document to match.

Hit@k, MRR and nDCG look at the ranked hits whether or not the answer cleared the confidence
threshold: they measure ranking. Whether it cleared the threshold is measured separately, as the
answered rate on answerable questions and the abstention rate on the others.

Pure Python: the search function is passed in, so this module needs neither the model nor the store.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from index.errors import QuestionError, QuotebotError
from index.models import Answer, Hit

log = logging.getLogger(__name__)

SearchFn = Callable[[str, int], Answer]
"""``search(question, k) -> Answer``; may raise QuestionError (counted as an abstention)."""

NDCG_AT = 10

# Curly single quotes, apostrophes and primes -> ', curly double quotes and double primes -> ".
_QUOTES = str.maketrans(
    {c: "'" for c in "\u2018\u2019\u201a\u201b\u2032"} | {c: '"' for c in "\u201c\u201d\u201e\u201f\u2033"}
)


class EvalFileError(QuotebotError, ValueError):
    """The question file is missing or malformed."""


def fold(text: str) -> str:
    """Casefold, straighten curly quotes and apostrophes, collapse all white space to one space."""
    # str.split() with no argument splits on every Unicode white space, NBSP and newlines included.
    return " ".join(text.translate(_QUOTES).casefold().split())


@dataclass(frozen=True)
class Gold:
    doc: str  # file name of the document that answers
    text: str  # verbatim span of the answer; "" = the whole document is relevant


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str
    gold: tuple[Gold, ...]

    @property
    def answerable(self) -> bool:
        return bool(self.gold)


def _doc_name(path: str) -> str:
    return PurePosixPath(path.replace("\\", "/")).name


def _same_doc(source: str, gold_doc: str) -> bool:
    """A gold written as a path ("guide/faq.md") must match the path's end; a bare file name matches any
    folder."""
    gold_doc = gold_doc.replace("\\", "/").strip("/")
    source = source.replace("\\", "/")
    if "/" in gold_doc:
        return source == gold_doc or source.endswith("/" + gold_doc)
    return _doc_name(source) == gold_doc


def _parse_gold(value: Any, where: str) -> tuple[Gold, ...]:
    if not isinstance(value, list):
        raise EvalFileError(f"{where}: 'gold' must be a list of {{doc, text}} objects (empty = no answer).")
    golds = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("doc"), str) or not item["doc"].strip():
            raise EvalFileError(f"{where}: every gold needs a non-empty 'doc' (a file name).")
        text = item.get("text", "")
        if not isinstance(text, str):
            raise EvalFileError(f"{where}: gold 'text' must be a string.")
        golds.append(Gold(doc=item["doc"].strip(), text=text))
    return tuple(golds)


def _parse_line(line: str, where: str) -> Question:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EvalFileError(f"{where}: not valid JSON ({exc.msg}).") from None
    if not isinstance(obj, dict):
        raise EvalFileError(f"{where}: expected a JSON object.")
    qid, text = obj.get("id"), obj.get("question")
    if isinstance(qid, int) and not isinstance(qid, bool):
        qid = str(qid)
    if not isinstance(qid, str) or not qid.strip():
        raise EvalFileError(f"{where}: missing or empty 'id'.")
    if not isinstance(text, str) or not text.strip():
        raise EvalFileError(f"{where}: missing or empty 'question'.")
    if "gold" not in obj:
        raise EvalFileError(f"{where}: missing 'gold' (use [] when the corpus holds no answer).")
    kind = obj.get("kind", "")
    if not isinstance(kind, str):
        raise EvalFileError(f"{where}: 'kind' must be a string.")
    return Question(id=qid, question=text, kind=kind, gold=_parse_gold(obj["gold"], where))


def load_questions(path: str | Path) -> list[Question]:
    """Read a question file; raise EvalFileError naming the file and line on any problem."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise EvalFileError(f"Question file not found: {path}") from None
    except IsADirectoryError:
        raise EvalFileError(f"Question file is a folder, not a file: {path}") from None
    except UnicodeDecodeError:
        raise EvalFileError(f"Question file is not UTF-8 text: {path}") from None
    except OSError as exc:
        raise EvalFileError(f"Cannot read question file {path}: {exc.strerror or exc}") from None
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path} line {number}"
        question = _parse_line(line, where)
        if question.id in seen:
            raise EvalFileError(f"{where}: duplicate id {question.id!r} (first on line {seen[question.id]}).")
        seen[question.id] = number
        questions.append(question)
    if not questions:
        raise EvalFileError(f"Question file has no questions: {path}")
    return questions


def is_hit(hit: Hit, gold: Gold) -> bool:
    """True when ``hit`` comes from the gold's document and quotes the gold text (folded)."""
    if not _same_doc(hit.source, gold.doc):
        return False
    return not gold.text.strip() or fold(gold.text) in fold(hit.quote)


def first_hit_rank(hits: Sequence[Hit], gold: Iterable[Gold]) -> int | None:
    """1-based rank of the first hit that matches any gold, or None."""
    golds = tuple(gold)
    for rank, hit in enumerate(hits, 1):
        if any(is_hit(hit, g) for g in golds):
            return rank
    return None


def ndcg(hits: Sequence[Hit], gold: Iterable[Gold], at: int = NDCG_AT) -> float:
    """nDCG@at over documents: documents ranked by their best passage, relevance 1 per gold doc."""
    gold_docs = {_doc_name(g.doc) for g in gold}
    if not gold_docs:
        return 0.0
    ranked: list[str] = []
    for hit in hits:
        name = _doc_name(hit.source)
        if name not in ranked:
            ranked.append(name)
    dcg = sum(1.0 / math.log2(i + 2) for i, name in enumerate(ranked[:at]) if name in gold_docs)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(gold_docs), at)))
    return dcg / ideal


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100) with linear interpolation; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


@dataclass(frozen=True)
class QuestionResult:
    id: str
    kind: str
    question: str
    answerable: bool
    rank: int | None  # 1-based rank of the first hit, None when no hit in the top k
    answered: bool
    top_score: float | None
    ndcg: float | None  # None for unanswerable questions
    latency_ms: float
    top_source: str | None = None
    error: str | None = None  # the QuestionError message, when the search refused the question

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "question": self.question,
            "answerable": self.answerable,
            "rank": self.rank,
            "answered": self.answered,
            "top_score": self.top_score,
            "ndcg": self.ndcg,
            "latency_ms": round(self.latency_ms, 3),
            "top_source": self.top_source,
            "error": self.error,
        }


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def format_metric(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


@dataclass(frozen=True)
class EvalReport:
    rows: tuple[QuestionResult, ...]
    k: int

    @property
    def answerable(self) -> tuple[QuestionResult, ...]:
        return tuple(r for r in self.rows if r.answerable)

    @property
    def unanswerable(self) -> tuple[QuestionResult, ...]:
        return tuple(r for r in self.rows if not r.answerable)

    def hit_at(self, n: int) -> float | None:
        return _mean([1.0 if r.rank is not None and r.rank <= n else 0.0 for r in self.answerable])

    @property
    def hit_at_1(self) -> float | None:
        return self.hit_at(1)

    @property
    def hit_at_3(self) -> float | None:
        return self.hit_at(3)

    @property
    def mrr(self) -> float | None:
        return _mean([1.0 / r.rank if r.rank else 0.0 for r in self.answerable])

    @property
    def ndcg_at_10(self) -> float | None:
        return _mean([r.ndcg or 0.0 for r in self.answerable])

    @property
    def answered_rate(self) -> float | None:
        return _mean([1.0 if r.answered else 0.0 for r in self.answerable])

    @property
    def abstention_rate(self) -> float | None:
        return _mean([0.0 if r.answered else 1.0 for r in self.unanswerable])

    @property
    def p50_ms(self) -> float | None:
        return percentile([r.latency_ms for r in self.rows], 50)

    @property
    def p95_ms(self) -> float | None:
        return percentile([r.latency_ms for r in self.rows], 95)

    def metrics(self) -> dict[str, float | None]:
        return {
            "hit@1": self.hit_at_1,
            "hit@3": self.hit_at_3,
            "mrr": self.mrr,
            "answered": self.answered_rate,
            "abstain": self.abstention_rate,
            "ndcg@10": self.ndcg_at_10,
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
        }

    def by_kind(self) -> dict[str, dict[str, Any]]:
        """Per kind: question count, hit@1/hit@3 (answerable kinds) or abstention (unanswerable ones)."""
        out: dict[str, dict[str, Any]] = {}
        for kind in sorted({r.kind for r in self.rows}):
            part = EvalReport(tuple(r for r in self.rows if r.kind == kind), self.k)
            out[kind] = {
                "questions": len(part.rows),
                "hit@1": part.hit_at_1,
                "hit@3": part.hit_at_3,
                "abstain": part.abstention_rate,
            }
        return out

    def misses(self, at: int = 3) -> list[QuestionResult]:
        """Answerable questions with no hit in the top ``at``, and unanswerable ones that were answered."""
        return [
            r
            for r in self.rows
            if (r.answerable and (r.rank is None or r.rank > at)) or (not r.answerable and r.answered)
        ]

    def to_dict(self, *, rows: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "questions": len(self.rows),
            "answerable": len(self.answerable),
            "unanswerable": len(self.unanswerable),
            "k": self.k,
            **{name: (None if v is None else round(v, 4)) for name, v in self.metrics().items()},
            "by_kind": self.by_kind(),
        }
        if rows:
            data["rows"] = [r.to_dict() for r in self.rows]
        return data

    def summary(self) -> str:
        m = self.metrics()
        return (
            f"hit@1 {format_metric(m['hit@1'])}  hit@3 {format_metric(m['hit@3'])}  "
            f"MRR {format_metric(m['mrr'])}  nDCG@10 {format_metric(m['ndcg@10'])}  "
            f"answered {format_metric(m['answered'])}  abstain {format_metric(m['abstain'])}  "
            f"p50 {format_metric(m['p50_ms'], 1)} ms  p95 {format_metric(m['p95_ms'], 1)} ms"
        )

    def lines(self, *, misses: int = 20) -> list[str]:
        """Plain-text report: counts, metrics, per-kind breakdown, then up to ``misses`` misses."""
        m = self.metrics()
        out = [
            f"{len(self.rows)} questions ({len(self.answerable)} answerable, "
            f"{len(self.unanswerable)} unanswerable), k={self.k}",
            f"  hit@1     {format_metric(m['hit@1'])}",
            f"  hit@3     {format_metric(m['hit@3'])}",
            f"  MRR@{self.k:<5} {format_metric(m['mrr'])}",
            f"  nDCG@10   {format_metric(m['ndcg@10'])}",
            f"  answered  {format_metric(m['answered'])}  (of answerable)",
            f"  abstain   {format_metric(m['abstain'])}  (of unanswerable)",
            f"  latency   p50 {format_metric(m['p50_ms'], 1)} ms, p95 {format_metric(m['p95_ms'], 1)} ms",
        ]
        kinds = self.by_kind()
        if len(kinds) > 1:
            out.append("by kind:")
            for kind, v in kinds.items():
                if v["abstain"] is not None and v["hit@1"] is None:
                    detail = f"abstain {format_metric(v['abstain'])}"
                else:
                    detail = f"hit@1 {format_metric(v['hit@1'])}  hit@3 {format_metric(v['hit@3'])}"
                out.append(f"  {kind or '-':<12} {v['questions']:>4}  {detail}")
        missed = self.misses()
        if missed and misses > 0:
            out.append(f"misses ({len(missed)}):")
            for r in missed[:misses]:
                if r.answerable:
                    what = "no hit in top k" if r.rank is None else f"first hit at rank {r.rank}"
                else:
                    what = f"answered (score {format_metric(r.top_score)}) instead of abstaining"
                out.append(f"  {r.id} [{r.kind}] {r.question!r}: {what}")
            if len(missed) > misses:
                out.append(f"  ... and {len(missed) - misses} more")
        return out


def evaluate_one(question: Question, search: SearchFn, k: int) -> QuestionResult:
    """Time one search and score its answer; a refused question (QuestionError) is an abstention."""
    error = None
    started = time.perf_counter()
    try:
        answer = search(question.question, k)
    except QuestionError as exc:
        answer, error = Answer(question.question, False, ()), str(exc)
    elapsed = (time.perf_counter() - started) * 1000.0
    hits = tuple(answer.hits)[:k]
    return QuestionResult(
        id=question.id,
        kind=question.kind,
        question=question.question,
        answerable=question.answerable,
        rank=first_hit_rank(hits, question.gold) if question.answerable else None,
        answered=bool(answer.answered),
        top_score=hits[0].score if hits else None,
        ndcg=ndcg(hits, question.gold) if question.answerable else None,
        latency_ms=elapsed,
        top_source=hits[0].source if hits else None,
        error=error,
    )


def evaluate(
    questions: Iterable[Question],
    search: SearchFn,
    *,
    k: int = 10,
    progress: Callable[[int], None] | None = None,
) -> EvalReport:
    """Run every question through ``search(question, k)`` and measure the answers.

    A question the search refuses with QuestionError counts as an abstention. Other errors
    (an empty index, an unreachable store) propagate: the run cannot be measured.
    ``progress`` is called with the number of questions done after each one.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    rows = []
    for done, question in enumerate(questions, 1):
        rows.append(evaluate_one(question, search, k))
        if progress is not None:
            progress(done)
    log.debug("evaluated %d questions at k=%d", len(rows), k)
    return EvalReport(rows=tuple(rows), k=k)
