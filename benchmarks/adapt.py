"""Experiment (measured and not adopted): adapt the embedder to a corpus from the corpus's own structure.

    python benchmarks/adapt.py [--shared ../shared] [--only djs-guide] [--epochs 1] [--seed 0] [--work DIR]

For each documentation corpus of ``public.py``: index it with the packaged all-MiniLM-L6-v2 (torch backend), then
fine-tune a copy of that model contrastively on pairs the pages give for free, never on questions: each
passage's deepest heading (and "title heading") against the passage's text without that heading, the other
passages of a batch of 32 as negatives (in-batch softmax, scale 20, AdamW 2e-5). Index the corpus again with the
tuned copy and ask every question file of the corpus through both indexes, with late interaction off and on.
Prints dense-only and full-pipeline hit@1 / hit@3 and abstention per split. Needs ``<shared>/eval`` for the
discord.js Guide; the Pycord guide and the Python Discord site are in this repository. Takes about 10 minutes
per corpus on 2 cores (the tuning is most of it); the work folder is removed unless ``--work`` is given.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import index.embedding as embedding  # noqa: E402
from benchmarks.evalsets import CORPORA  # noqa: E402
from index.config import IndexSettings  # noqa: E402
from index.embedding import EncoderSettings, LazyEmbedder  # noqa: E402
from index.evaluate import _same_doc, first_hit_rank, fold, load_questions  # noqa: E402
from index.ingest import index_corpus  # noqa: E402
from index.retrieve import Retriever  # noqa: E402

PACKAGED = embedding.model_path
DOCS = ("djs-guide", "pycord-guide", "pydis-site")
BATCH = 32


def structure_pairs(passages) -> list[tuple[str, str]]:
    """(heading, text under it) for every passage of a sectioned page; the title joins the heading once more."""
    pairs = []
    for p in passages:
        if not p.markup:
            continue
        body = p.text
        if p.blocks and p.blocks[0].kind == "heading" and p.blocks[0].start == 0:
            body = p.text[p.blocks[0].end :].strip()
        anchor = p.section[-1] if p.section else p.title
        if anchor and len(body) > 20:
            pairs.append((anchor, body))
            if p.section and p.title and p.title != anchor:
                pairs.append((f"{p.title} {anchor}", body))
    return pairs


def tune(pairs: list[tuple[str, str]], out: Path, epochs: int, seed: int = 0) -> float:
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    rng = random.Random(seed)
    model = SentenceTransformer(str(PACKAGED()), device="cpu")
    model.train()
    prepare = getattr(model, "preprocess", model.tokenize)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-5)
    t0 = time.perf_counter()
    for _ in range(epochs):
        rng.shuffle(pairs)
        for b in range(0, len(pairs) - BATCH + 1, BATCH):
            batch = pairs[b : b + BATCH]
            ea = model(dict(prepare([a for a, _ in batch])))["sentence_embedding"]
            eb = model(dict(prepare([t for _, t in batch])))["sentence_embedding"]
            logits = (
                torch.nn.functional.normalize(ea, dim=-1) @ torch.nn.functional.normalize(eb, dim=-1).T * 20
            )
            labels = torch.arange(len(batch))
            loss = (
                torch.nn.functional.cross_entropy(logits, labels)
                + torch.nn.functional.cross_entropy(logits.T, labels)
            ) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    model.save(str(out))
    return time.perf_counter() - t0


def use_model(folder: Path | None) -> LazyEmbedder:
    """A torch embedder of the packaged model (None) or of a tuned copy."""
    embedding.model_path = PACKAGED if folder is None else (lambda: folder)
    return LazyEmbedder(EncoderSettings(_env_file=None, encoder="torch"))


def score(retriever: Retriever, questions, rescore: bool) -> tuple[float, float, float]:
    h1 = h3 = n = abst = unans = 0
    for q in questions:
        answer = retriever.search(q.question, 3, rescore=rescore)
        if q.gold:
            rank = first_hit_rank(answer.hits, q.gold)
            n += 1
            h1 += rank == 1
            h3 += rank is not None and rank <= 3
        else:
            unans += 1
            abst += not answer.answered
    return h1 / max(n, 1), h3 / max(n, 1), abst / max(unans, 1)


def dense_only(retriever: Retriever, embedder: LazyEmbedder, questions) -> tuple[float, float]:
    """Passages ranked by the cosine of their stored vector alone (what the tuning acts on)."""
    passages, vectors = retriever.store.passages_with_vectors()
    h1 = h3 = n = 0
    for q in questions:
        if not q.gold:
            continue
        order = np.argsort(-(vectors @ embedder.embed_query(q.question)))[:3]
        texts = [passages[i] for i in order]
        ranks = [
            r
            for r, p in enumerate(texts, 1)
            if any(_same_doc(p.source, g.doc) and fold(g.text) in fold(p.text) for g in q.gold)
        ]
        n += 1
        h1 += bool(ranks) and ranks[0] == 1
        h3 += bool(ranks)
    return h1 / max(n, 1), h3 / max(n, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--only", choices=DOCS)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0, help="shuffling and initial state of the tuning")
    parser.add_argument("--work", type=Path, default=None, help="keep models and indexes here")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="qb-adapt-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        for corpus in CORPORA:
            if corpus.name not in DOCS or (args.only and corpus.name != args.only):
                continue
            folder = corpus.corpus_dir(args.shared)
            if not folder.is_dir():
                print(f"skip {corpus.name}: no corpus at {folder}")
                continue
            splits = {
                split: [q for f in corpus.question_files(args.shared, split) for q in load_questions(f)]
                for split, _ in corpus.splits
            }
            tuned_dir = work / f"{corpus.name}-model"
            for label in ("packaged", "tuned"):
                store = work / f"{corpus.name}-{label}"
                embedder = use_model(None if label == "packaged" else tuned_dir)
                index_corpus(
                    IndexSettings(_env_file=None, store_dir=store, corpus_dir=folder), embedder=embedder
                )
                retriever = Retriever.open(
                    IndexSettings(_env_file=None, store_dir=store, corpus_dir=folder), embedder
                )
                try:
                    if label == "packaged":
                        pairs = structure_pairs(retriever.store.all_passages())
                    for split, questions in splits.items():
                        d1, d3 = dense_only(retriever, embedder, questions)
                        off = score(retriever, questions, False)
                        on = score(retriever, questions, True)
                        print(
                            f"{corpus.name}/{split} {label:8s} dense {d1:.3f}/{d3:.3f}  "
                            f"hybrid {off[0]:.3f}/{off[1]:.3f} abst {off[2]:.3f}  "
                            f"late {on[0]:.3f}/{on[1]:.3f} abst {on[2]:.3f}",
                            flush=True,
                        )
                finally:
                    retriever.close()
                if label == "packaged":
                    seconds = tune(pairs, tuned_dir, args.epochs, args.seed)
                    print(
                        f"{corpus.name}: tuned on {len(pairs)} heading/text pairs in {seconds:.0f} s",
                        flush=True,
                    )
    finally:
        embedding.model_path = PACKAGED
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
