"""Encoder backends side by side: throughput, query latency and cosine to sentence-transformers (torch fp32).

    python benchmarks/encoders.py [--corpus ../shared/eval/djs-guide/corpus] [--passages 300] [--rounds 2]

All variants run in this one process, interleaved round by round; the best round of each is reported.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

QUERIES = [
    "how do I ban a user?",
    "what is an embed",
    "slash command permissions",
    "when did the bridge reopen",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, default=ROOT.parent / "shared" / "eval" / "djs-guide" / "corpus"
    )
    parser.add_argument("--passages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    from sentence_transformers import SentenceTransformer

    from index.chunking import chunk_document
    from index.embedding import EncoderSettings, load_encoder, model_path
    from index.loaders import load_corpus

    corpus = args.corpus if args.corpus.is_dir() else ROOT / "seeds"
    docs, _ = load_corpus(corpus)
    texts = [p.text for d in docs for p in chunk_document(d)][: args.passages]
    st = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)

    def st_encode(batch: list[str]) -> np.ndarray:
        return st.encode(batch, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)

    variants = {"sentence-transformers torch/f32": st_encode}
    for backend in ("openvino", "onnx"):
        enc = load_encoder(EncoderSettings(_env_file=None, encoder=backend))
        variants[enc.encoder] = enc.embed_documents
        if enc.encoder == "openvino/bf16":  # the f32 twin, for comparison
            from index.encoder import OpenVINORuntime, TokenEncoder
            from index.export import default_cache_dir, ensure_export

            folder = ensure_export(default_cache_dir(), model_path())
            f32 = TokenEncoder(folder / "tokenizer.json", OpenVINORuntime(folder / "model.xml", "f32"))
            variants["openvino/f32"] = f32.embed_documents
    best: dict[str, float] = {}
    cpu: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, fn in variants.items():
            t0, c0 = time.perf_counter(), time.process_time()
            vectors[name] = fn(texts)
            best[name] = min(best.get(name, float("inf")), time.perf_counter() - t0)
            cpu[name] = min(cpu.get(name, float("inf")), time.process_time() - c0)
    reference = vectors["sentence-transformers torch/f32"]
    print(f"{len(texts)} passages of {corpus}; best of {args.rounds} interleaved rounds")
    print("| backend | passages/s (wall) | passages per CPU s | query p50 ms | min cosine to torch fp32 |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, fn in variants.items():
        latencies = []
        for _ in range(5):
            for q in QUERIES:
                t0 = time.perf_counter()
                fn([q])
                latencies.append(time.perf_counter() - t0)
        cosine = float((vectors[name] * reference).sum(axis=1).min())
        print(
            f"| {name} | {len(texts) / best[name]:.1f} | {len(texts) / cpu[name]:.1f} "
            f"| {statistics.median(latencies) * 1000:.1f} | {cosine:.6f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
