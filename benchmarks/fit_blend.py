"""Fit the blend weights and the confidence threshold on DEV question sets over several corpora, then report
the fitted blend on the TEST sets (never used for fitting).

    python benchmarks/fit_blend.py [--shared ../shared] [--cache ~/.cache/quotebot-bench/vectors.sqlite]
                                   [--stores /tmp/quotebot-fit] [--apply W_DENSE,W_SENTENCE,...]

For every corpus the script indexes into a store under ``--stores`` (incremental: reruns only embed what
changed; vectors are cached by text), collects the evidence of every candidate passage of every question
(``Retriever._rank``), and grid-searches the weights for mean(hit@1 + hit@3 + MRR/2) over the dev sets, each set
weighted equally. The threshold is then the point that maximises answered + abstained over the dev sets with
documentation corpora, keeping abstention >= 0.9 where possible. SQuAD's adversarial "unanswerable" questions are
not used for the threshold (they are about the corpus's own documents; see README). It prints everything; it
changes no file.
"""

from __future__ import annotations

import argparse
import itertools
import logging
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.evalsets import CORPORA  # noqa: E402
from benchmarks.vector_cache import CachedEmbedder  # noqa: E402
from index import ranking  # noqa: E402
from index.evaluate import Question, is_hit, load_questions  # noqa: E402
from index.lexical import fold, tokenize  # noqa: E402
from index.smalltalk import is_small_talk  # noqa: E402

FEATURES = (
    "dense",
    "sentence",
    "lexical",
    "coverage",
    "sentence_coverage",
    "heading",
    "faq",
    "heading_coverage",
)
# question-level evidence: the same for every candidate, so it moves confidence, never the order
QUESTION_FEATURES = ("unknown",)
MIN_ANSWERED = 0.95  # the threshold never costs more than 5% of the answerable questions of any dev set
CAP = 2  # passages of one document among the leading hits (as ``hygiene.MAX_PER_DOCUMENT``)


@dataclass
class QData:
    qid: str
    answerable: bool
    small_talk: bool
    features: np.ndarray  # (n, len(FEATURES))
    relevant: np.ndarray  # (n,) bool
    doc: np.ndarray  # (n,) int doc index
    named: np.ndarray  # (n,) bool: the question names the candidate's document
    qfeatures: np.ndarray  # (len(QUESTION_FEATURES),)


@dataclass
class SetData:
    name: str
    split: str  # dev | test
    kind: str  # docs | news | squad
    questions: list[QData]


def sets_available(shared: Path) -> list[tuple[str, str, str, Path, list[Path]]]:
    """(name, split, kind, corpus, question files) of every set present: the dev splits of the fitted corpora
    (``evalsets.Corpus.fitted``) and their other splits, which are only reported."""
    out = []
    for c in CORPORA:
        if not c.fitted or not c.corpus_dir(shared).is_dir():
            continue
        for split, _ in c.splits:
            files = [f for f in c.question_files(shared, split) if f.is_file()]
            if files:
                out.append((c.name, split, c.kind, c.corpus_dir(shared), files))
    return out


def collect(retriever, questions: list[Question]) -> list[QData]:
    state = retriever._current()
    doc_index: dict[str, int] = {}
    out = []
    for q in questions:
        text = " ".join(q.question.split())
        small = is_small_talk(text, tokenize(text))
        ranked = retriever._rank(state, text, "hybrid", None, full=True)
        feats, rel, docs, named = [], [], [], []
        qfeat = [0.0] * len(QUESTION_FEATURES)
        q_fold, q_tokens = fold(text), set(tokenize(text))
        for s in ranked:
            p = state.passages[s.row]
            e = s.evidence
            feats.append([getattr(e, f) for f in FEATURES])
            qfeat = [getattr(e, f) for f in QUESTION_FEATURES]
            hit = retriever._hit(state, s)
            rel.append(any(is_hit(hit, g) for g in q.gold))
            docs.append(doc_index.setdefault(p.doc_id, len(doc_index)))
            from index.hygiene import names_document

            named.append(
                names_document(p.source, p.title, q_fold, q_tokens, state.title_marks.get(p.doc_id, ()))
            )
        out.append(
            QData(
                q.id,
                q.answerable,
                small,
                np.asarray(feats, dtype=np.float64).reshape(-1, len(FEATURES)),
                np.asarray(rel, dtype=bool),
                np.asarray(docs, dtype=np.int64),
                np.asarray(named, dtype=bool),
                np.asarray(qfeat, dtype=np.float64),
            )
        )
    return out


def ranks(q: QData, w: np.ndarray, cap: int | None = None, need: int = 10) -> tuple[int | None, float]:
    """(1-based rank of the first relevant hit after the per-document cap, best raw score)."""
    cap = CAP if cap is None else cap
    if not len(q.features):
        return None, -math.inf
    z = q.features @ w
    order = np.argsort(-z, kind="stable")
    per: dict[int, int] = {}
    kept: list[int] = []
    deferred: list[int] = []
    for i in order[:60]:
        d = int(q.doc[i])
        if not q.named[i] and per.get(d, 0) >= cap:
            deferred.append(int(i))
            continue
        per[d] = per.get(d, 0) + 1
        kept.append(int(i))
        if len(kept) >= need:
            break
    final = (kept + deferred)[:need]
    for r, i in enumerate(final, 1):
        if q.relevant[i]:
            return r, float(z[order[0]])
    return None, float(z[order[0]])


def set_metrics(s: SetData, w: np.ndarray) -> tuple[float, float, float, list[float], list[float]]:
    h1 = h3 = mrr = 0.0
    n = 0
    ans_scores, un_scores = [], []
    for q in s.questions:
        r, top = ranks(q, w)
        if q.answerable:
            n += 1
            h1 += r == 1
            h3 += r is not None and r <= 3
            mrr += 1.0 / r if r else 0.0
            ans_scores.append(top)
        elif not q.small_talk:
            un_scores.append(top)
    n = max(n, 1)
    return h1 / n, h3 / n, mrr / n, ans_scores, un_scores


def grid(dev: list[SetData]) -> list[tuple[float, tuple[float, ...]]]:
    space = {
        "dense": (4.0, 5.0, 6.0, 7.0),
        "sentence": (1.0, 2.0, 3.0),
        "lexical": (0.0, 0.5),
        "coverage": (1.5, 2.5, 3.5),
        "sentence_coverage": (0.0, 1.0, 2.0),
        "heading": (0.0, 1.0, 2.0),
        "faq": (0.0, 1.0, 2.0),
        "heading_coverage": (0.0, 1.0, 2.0),
    }
    results = []
    for combo in itertools.product(*(space[f] for f in FEATURES)):
        w = np.asarray(combo)
        total = 0.0
        for s in dev:
            h1, h3, mrr, _, _ = set_metrics(s, w)
            total += h1 + h3 + mrr / 2
        results.append((total / len(dev), combo))
    results.sort(key=lambda x: -x[0])
    return results


def confidence(q: QData, w: np.ndarray, wq: np.ndarray) -> float:
    """The raw score of the question's best candidate, question-level evidence included."""
    if not len(q.features):
        return -math.inf
    return float((q.features @ w).max() + q.qfeatures @ wq)


def threshold(dev: list[SetData], w: np.ndarray) -> tuple[float, np.ndarray]:
    """(raw-score cut, question-feature weights) maximising the mean over the dev sets of answered rate +
    abstention rate (small talk counts as abstained: it never reaches the blend), keeping the answered rate of
    every dev set at MIN_ANSWERED or more."""
    best = (-1.0, 0.0, np.zeros(len(QUESTION_FEATURES)))
    for combo in itertools.product(*[(0.0, -2.0, -4.0, -6.0, -8.0, -10.0)] * len(QUESTION_FEATURES)):
        wq = np.asarray(combo)
        scored = []
        for s in dev:
            a = np.asarray([confidence(q, w, wq) for q in s.questions if q.answerable])
            u = np.asarray(
                [confidence(q, w, wq) for q in s.questions if not q.answerable and not q.small_talk]
            )
            small = sum(1 for q in s.questions if not q.answerable and q.small_talk)
            scored.append((a, u, small))
        lo = min(float(x.min()) for a, u, _ in scored for x in (a, u) if len(x))
        hi = max(float(x.max()) for a, u, _ in scored for x in (a, u) if len(x))
        for t in np.arange(lo, hi, 0.02):
            val = 0.0
            for a, u, small in scored:
                answered = float((a >= t).mean()) if len(a) else 1.0
                n_un = len(u) + small
                abstain = (float((u < t).sum()) + small) / n_un if n_un else 1.0
                if answered < MIN_ANSWERED:
                    val = -math.inf  # a bot that stays silent on real questions is worse than one that errs
                val += answered + abstain
            if val > best[0]:
                best = (val, float(t), wq)
    return best[1], best[2]


def report(sets: list[SetData], w: np.ndarray, t: float, wq: np.ndarray | None = None) -> None:
    wq = np.zeros(len(QUESTION_FEATURES)) if wq is None else wq
    print(f"{'set':18} {'q':>5} {'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'answered':>8} {'abstain':>8}")
    for s in sets:
        h1, h3, mrr, _, _ = set_metrics(s, w)
        a = [confidence(q, w, wq) for q in s.questions if q.answerable]
        u = [confidence(q, w, wq) for q in s.questions if not q.answerable and not q.small_talk]
        small = sum(1 for q in s.questions if not q.answerable and q.small_talk)
        n_un = len(u) + small
        answered = np.mean([x >= t for x in a]) if a else float("nan")
        abstain = (sum(x < t for x in u) + small) / n_un if n_un else float("nan")
        print(
            f"{s.name + '/' + s.split:18} {len(s.questions):5d} {h1:6.3f} {h3:6.3f} {mrr:6.3f} "
            f"{answered:8.3f} {abstain:8.3f}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache/quotebot-bench/vectors.sqlite")
    ap.add_argument("--stores", type=Path, default=Path("/tmp/quotebot-fit"))
    ap.add_argument("--apply", help="comma-separated weights in FEATURES order: report them, no search")
    ap.add_argument("--only", help="comma-separated set names")
    ap.add_argument(
        "--test",
        action="store_true",
        help="also report the test sets (once a variant is chosen on dev alone)",
    )
    ap.add_argument("--cap", type=int, default=2, help="per-document cap of the leading hits")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        help="module.NAME=value: override a constant for a variant (e.g. index.ingest.EMBED_HEADER=0); "
        "the stores get a suffix per variant",
    )
    args = ap.parse_args(argv)
    global CAP
    CAP = args.cap
    import importlib

    for item in args.set:
        target, value = item.split("=", 1)
        module, name = target.rsplit(".", 1)
        setattr(
            importlib.import_module(module),
            name,
            type(getattr(importlib.import_module(module), name))(int(value) if value.isdigit() else value),
        )
    if args.set:
        args.stores = args.stores.with_name(
            args.stores.name + "-" + "-".join(x.replace("=", "") for x in args.set)
        )
    logging.basicConfig(level=logging.WARNING)
    from index.config import IndexSettings
    from index.embedding import get_embedder
    from index.ingest import index_corpus
    from index.retrieve import Retriever

    embedder = CachedEmbedder(get_embedder(), args.cache)
    sets: list[SetData] = []
    retrievers: dict[str, Retriever] = {}
    for name, split, kind, corpus, files in sets_available(args.shared):
        if args.only and name not in args.only.split(","):
            continue
        if split != "dev" and not args.test:
            continue
        key = f"{name}:{corpus}"
        if key not in retrievers:
            settings = IndexSettings(
                _env_file=None, corpus_dir=corpus, store_dir=args.stores / name, refresh_seconds=0
            )
            t0 = time.perf_counter()
            rep = index_corpus(settings, embedder=embedder)
            print(f"{name}: {rep.line()} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
            retrievers[key] = Retriever.open(settings, embedder)
        questions = [q for f in files for q in load_questions(f)]
        sets.append(SetData(name, split, kind, collect(retrievers[key], questions)))
    dev = [s for s in sets if s.split == "dev"]
    if args.apply:
        w = np.asarray([float(x) for x in args.apply.split(",")])
    else:
        current = np.asarray([getattr(ranking, "W_" + f.upper()) for f in FEATURES])
        print("current weights", dict(zip(FEATURES, current.tolist(), strict=True)))
        report(sets, current, -ranking.BIAS)
        t0 = time.perf_counter()
        results = grid(dev)
        print(f"grid: {len(results)} settings in {time.perf_counter() - t0:.0f} s; best 10:")
        for score, combo in results[:10]:
            print(f"  {score:.4f} {dict(zip(FEATURES, combo, strict=True))}")
        w = np.asarray(results[0][1])
    t, wq = threshold(dev, w)
    print(
        f"weights {dict(zip(FEATURES, w.tolist(), strict=True))}, "
        f"{dict(zip(QUESTION_FEATURES, wq.tolist(), strict=True))}; threshold (raw) {t:.2f} -> BIAS {-t:.2f}"
    )
    report(sets, w, t, wq)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
