"""Unit vectors: contextual (pooled from the passage's own forward pass) against separate (every sentence
encoded again), and backends, on every evaluation set: index seconds and retrieval quality, same run.

    python benchmarks/units.py [--sets seeds,seed-dev,docs-dev,docs-test,guide-dev,guide-test,squad-dev,...]
                               [--variants torch:separate,auto:separate,auto:contextual] [--out FILE]

A variant is BACKEND:UNITS; ``torch:separate`` is the pipeline before issue 13 (sentence-transformers' vectors,
every sentence embedded on its own). Each set's corpus is indexed into a temporary store per variant, one
variant after the other, then its questions run through the hybrid and dense retrievers (k=10).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from index.evaluate import evaluate, load_questions  # noqa: E402


@dataclass(frozen=True)
class EvalSet:
    name: str
    corpus: str  # relative to the shared folder, or to the repository when it starts with "repo:"
    questions: tuple[str, ...]  # question files, read together


SETS = {
    "seeds": EvalSet("seeds", "repo:seeds", ("repo:tests/data/seed_eval.jsonl",)),
    "seed-dev": EvalSet("seed-dev", "repo:seeds", ("eval/seed_questions_dev.jsonl",)),
    "docs-dev": EvalSet("docs-dev", "repo:tests/fixtures/docs", ("repo:tests/data/docs_eval_dev.jsonl",)),
    "docs-test": EvalSet("docs-test", "repo:tests/fixtures/docs", ("repo:tests/data/docs_eval_test.jsonl",)),
    "guide-dev": EvalSet(
        "guide-dev",
        "eval/djs-guide/corpus",
        ("eval/djs-guide/questions_dev.jsonl", "repo:benchmarks/data/djs_guide_dev.jsonl"),
    ),
    "guide-test": EvalSet(
        "guide-test", "eval/djs-guide/corpus", ("repo:benchmarks/data/djs_guide_test.jsonl",)
    ),
    "squad-dev": EvalSet("squad-dev", "eval/squad/corpus", ("eval/squad/dev.jsonl",)),
    "squad-test": EvalSet("squad-test", "eval/squad/corpus", ("eval/squad/test.jsonl",)),
    "scifact": EvalSet("scifact", "eval/scifact/corpus", ("eval/scifact/questions.jsonl",)),
}
DEFAULT_VARIANTS = "torch:separate,auto:separate,auto:contextual"


def _path(value: str, shared: Path) -> Path:
    return ROOT / value[5:] if value.startswith("repo:") else shared / value


def run(sets: list[str], variants: list[str], shared: Path) -> list[dict]:
    from index.config import IndexSettings
    from index.embedding import EncoderSettings, load_encoder
    from index.ingest import index_corpus
    from index.retrieve import Retriever

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    encoders = {}
    for v in variants:
        backend, units = v.split(":")
        encoders[v] = load_encoder(EncoderSettings(_env_file=None, encoder=backend), units=units)
    rows = []
    # Corpora shared by several sets are indexed once per variant.
    by_corpus: dict[str, list[EvalSet]] = {}
    for name in sets:
        by_corpus.setdefault(SETS[name].corpus, []).append(SETS[name])
    for corpus, group in by_corpus.items():
        for v in variants:
            enc = encoders[v]
            with tempfile.TemporaryDirectory(prefix="quotebot-units-") as tmp:
                settings = IndexSettings(
                    _env_file=None, corpus_dir=_path(corpus, shared), store_dir=Path(tmp) / "store"
                )
                t0 = time.perf_counter()
                report = index_corpus(settings, embedder=enc)
                seconds = time.perf_counter() - t0
                print(f"{corpus} {v} ({enc.encoder}): {report.line()}", file=sys.stderr, flush=True)
                retriever = Retriever.open(settings, enc)
                try:
                    for s in group:
                        questions = [q for f in s.questions for q in load_questions(_path(f, shared))]
                        for mode in ("hybrid", "dense"):
                            m = evaluate(
                                questions, lambda q, k, m=mode, r=retriever: r.search(q, k, mode=m), k=10
                            ).metrics()
                            row = {
                                "set": s.name,
                                "variant": v,
                                "encoder": enc.encoder,
                                "mode": mode,
                                "passages": report.passages,
                                "index_s": seconds,
                                **m,
                            }
                            rows.append(row)
                            print(_line(row), file=sys.stderr, flush=True)
                finally:
                    retriever.close()
    return rows


def _f(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _line(r: dict) -> str:
    return (
        f"  {r['set']} {r['variant']} {r['mode']}: hit@1 {_f(r['hit@1'])} hit@3 {_f(r['hit@3'])} "
        f"nDCG@10 {_f(r['ndcg@10'])} abstain {_f(r['abstain'])} index {r['index_s']:.1f} s"
    )


def markdown(rows: list[dict]) -> str:
    out = [
        "| set | variant | encoder | retriever | hit@1 | hit@3 | MRR | answered | abstain | nDCG@10 | index s |",
        "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        out.append(
            f"| {r['set']} | {r['variant']} | {r['encoder']} | {r['mode']} | {_f(r['hit@1'])} | {_f(r['hit@3'])} "
            f"| {_f(r['mrr'])} | {_f(r['answered'])} | {_f(r['abstain'])} | {_f(r['ndcg@10'])} "
            f"| {r['index_s']:.1f} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument(
        "--sets", default="seeds,seed-dev,docs-dev,docs-test,guide-dev,guide-test,squad-dev,squad-test"
    )
    parser.add_argument("--variants", default=DEFAULT_VARIANTS)
    parser.add_argument("--out", type=Path, default=None, help="append the markdown table to this file")
    args = parser.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    unknown = [s for s in sets if s not in SETS]
    if unknown:
        parser.error(f"unknown sets {unknown}; choose from {sorted(SETS)}")
    missing = [
        s for s in sets if not SETS[s].corpus.startswith("repo:") and not (args.shared / "eval").is_dir()
    ]
    if missing:
        print(f"Skipping {missing}: {args.shared / 'eval'} not found.")
        sets = [s for s in sets if s not in missing]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    rows = run(sets, [v for v in args.variants.split(",") if v], args.shared)
    table = markdown(rows)
    print(table)
    if args.out:
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
