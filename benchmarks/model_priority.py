"""Indexing throughput and question latency with bounded document batches (reliability defect 6).

Interleaves, on the same texts: one encode call for everything (the old way: a question waits for all of
it) and ``embed_documents`` (bounded batches, questions first); then asks questions while a document is
being embedded. Prints ratios; absolute timings on a shared machine swing."""

from __future__ import annotations

import statistics
import threading
import time
from pathlib import Path

from index.embedding import get_embedder

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def passages(n: int) -> list[str]:
    words = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))).split()
    out = [" ".join(words[i : i + 90]) for i in range(0, len(words) - 90, 90)]
    return (out * (n // len(out) + 1))[:n]


def main() -> None:
    emb = get_embedder().load()  # the TokenEncoder: bounded batches, questions first (index/modelgate.py)
    texts = passages(240)
    t = time.perf_counter()
    emb.embed_documents(texts)
    whole = time.perf_counter() - t
    print(f"240 passages encoded in {whole:.2f} s")
    waits: list[float] = []
    idle: list[float] = []
    for _ in range(5):
        t = time.perf_counter()
        emb.embed_query("Who hosted the talks in Moscow?")
        idle.append(time.perf_counter() - t)
    worker = threading.Thread(target=emb.embed_documents, args=(texts,))
    worker.start()
    time.sleep(0.3)
    while worker.is_alive():
        t = time.perf_counter()
        emb.embed_query("Who hosted the talks in Moscow?")
        waits.append(time.perf_counter() - t)
        time.sleep(0.2)
    print(
        f"question encode: idle median {statistics.median(idle) * 1000:.0f} ms; while indexing "
        f"n={len(waits)} median {statistics.median(waits) * 1000 if waits else 0:.0f} ms, "
        f"max {max(waits, default=0) * 1000:.0f} ms (one lock for the whole encode: up to {whole:.1f} s)"
    )


if __name__ == "__main__":
    main()
