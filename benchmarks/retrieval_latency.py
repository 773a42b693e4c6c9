"""Warm per-question latency of the three retrievers on the seed corpus (prints figures; not a test).

python benchmarks/retrieval_latency.py [--store DIR] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from index.config import IndexSettings
from index.evaluate import load_questions
from index.ingest import index_corpus
from index.retrieve import Retriever

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    store = args.store or Path(tempfile.mkdtemp(prefix="quotebot-latency-"))
    settings = IndexSettings(_env_file=None, corpus_dir=ROOT / "seeds", store_dir=store, refresh_seconds=60)
    index_corpus(settings)
    r = Retriever.open(settings)
    questions = [q.question for q in load_questions(ROOT / "tests" / "data" / "seed_eval.jsonl")]
    for q in questions[:5]:  # warm up
        r.search(q, mode="hybrid")
    timings: dict[str, list[float]] = {"dense": [], "hybrid": [], "bm25": []}
    for _ in range(args.rounds):
        for q in questions:
            for mode in timings:  # interleaved, so load changes hit every mode alike
                t = time.perf_counter()
                r.search(q, 3, mode=mode)
                timings[mode].append((time.perf_counter() - t) * 1000)
    print(f"{len(questions)} questions x {args.rounds} rounds, seed corpus, k=3")
    for mode, ms in timings.items():
        ms.sort()
        print(f"{mode:7s} p50 {statistics.median(ms):6.1f} ms   p95 {ms[int(0.95 * (len(ms) - 1))]:6.1f} ms")
    print(
        f"hybrid - dense p50: {statistics.median(timings['hybrid']) - statistics.median(timings['dense']):+.1f} ms"
    )


if __name__ == "__main__":
    main()
