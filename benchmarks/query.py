"""In-process ``Retriever.search`` latency against its floor, measured in the same run (prints figures; not a test).

python benchmarks/query.py [--rounds 3] [--size 100000] [--no-scale]

The floor of a question is what any answer costs at least: one query encode plus one Chroma query (the passages
collection, 60 nearest: the dense candidates). For each question the floor and ``search`` (hybrid, k=3) run back
to back, round after round, so load on the shared machine hits both alike; the ratio of the medians is the
figure. Corpora: the seed corpus (indexed into a temporary store) and, when ``../shared/eval`` exists, the
generated corpus of ``--size`` passages (benchmarks/scalegen.py; built once and cached).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from scale import CACHE, machine, questions  # noqa: E402

from index.config import IndexSettings  # noqa: E402
from index.embedding import get_embedder, vectors_of  # noqa: E402
from index.evaluate import load_questions  # noqa: E402
from index.ingest import index_corpus  # noqa: E402
from index.retrieve import CANDIDATES, Retriever  # noqa: E402
from index.store import Store  # noqa: E402


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def measure(retriever: Retriever, qs: list[str], rounds: int) -> dict[str, float]:
    store, embedder = retriever.store, retriever.embedder
    total = store.count()
    for q in qs[:5]:  # warm up both paths
        retriever.search(q)
        store.query_passages(embedder.embed_query(q), CANDIDATES + 10, total=total)
    floor: list[float] = []
    search: list[float] = []
    for _ in range(rounds):
        for q in qs:
            t = time.perf_counter()
            store.query_passages(embedder.embed_query(q), CANDIDATES + 10, total=total)
            floor.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            retriever.search(q, 3)
            search.append((time.perf_counter() - t) * 1000)
    return {
        "questions": len(qs) * rounds,
        "floor_p50": statistics.median(floor),
        "floor_p95": _pct(floor, 0.95),
        "search_p50": statistics.median(search),
        "search_p95": _pct(search, 0.95),
        "ratio": statistics.median(search) / statistics.median(floor),
    }


def line(name: str, passages: int, m: dict[str, float]) -> str:
    return (
        f"| {name} | {passages:,} | {m['questions']} | {m['floor_p50']:.1f} | {m['floor_p95']:.1f} | "
        f"{m['search_p50']:.1f} | {m['search_p95']:.1f} | {m['ratio']:.2f}x |"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--no-scale", action="store_true")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    args = ap.parse_args()
    embedder = get_embedder()
    print(f"Machine: {machine()}")
    print(
        "| corpus | passages | questions | floor p50 ms | floor p95 ms | search p50 ms | search p95 ms | ratio p50 |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="quotebot-query-") as tmp:
        settings = IndexSettings(
            _env_file=None, corpus_dir=ROOT / "seeds", store_dir=Path(tmp) / "store", refresh_seconds=3600
        )
        index_corpus(settings, embedder=embedder)
        seed = Retriever.open(settings, embedder)
        try:
            qs = [q.question for q in load_questions(ROOT / "tests" / "data" / "seed_eval.jsonl")]
            print(line("seeds", seed.passage_count(), measure(seed, qs, args.rounds)), flush=True)
        finally:
            seed.close()
    if args.no_scale or not (args.shared / "eval").is_dir():
        return
    from scalegen import prepared_store
    from vector_cache import CachedEmbedder

    settings, _ = prepared_store(
        args.size, CACHE, args.shared, CachedEmbedder(embedder, CACHE / "vectors.sqlite")
    )
    store = Store.open(settings, model=embedder.name, dim=embedder.dim, vectors=vectors_of(embedder))
    big = Retriever(store, embedder, settings)
    try:
        qs = questions(args.shared, 100)
        print(line(f"generated {args.size:,}", big.passage_count(), measure(big, qs, args.rounds)))
    finally:
        big.close()


if __name__ == "__main__":
    main()
