"""Indexing speed against the encoder's floor, no-change re-index, and start-up times, in one run.

    python benchmarks/ingest.py [--guide DIR] [--generated 5000] [--out FILE]

For each corpus (the discord.js Guide and a generated corpus of at least N passages), in one run:
- the floor: plain sentence-transformers (torch fp32, batch 64) encoding the corpus's cleaned text cut into
  120-word windows, once;
- ``quotebot index --rebuild`` on the same corpus;
each in its own process, measured wall seconds and peak RSS; ratio = index / floor. Then, on the guide: a
no-change ``quotebot index``, ``quotebot ask`` from process start to printed answer, and the bot's gateway
READY and first answered /ask after process start (the real bot against the fake Discord).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
WINDOW_WORDS = 120


def run_child(args: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stdout) of one child process (its own rusage, via wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {err.read()[-3000:]}")
        CPU_SECONDS.append(usage.ru_utime + usage.ru_stime)
        return wall, usage.ru_maxrss / 1024, out.read()


CPU_SECONDS: list[float] = []  # CPU seconds (user + system) of each child, in order


# -- the floor ----------------------------------------------------------------------------------------------


def floor_main(corpus: str) -> None:
    """Child: plain sentence-transformers over 120-word windows of the cleaned corpus."""
    t0 = time.perf_counter()
    from sentence_transformers import SentenceTransformer

    from index.embedding import model_path
    from index.loaders import load_corpus

    docs, _ = load_corpus(Path(corpus))
    windows = []
    for d in docs:
        words = d.text.split()
        windows += [" ".join(words[i : i + WINDOW_WORDS]) for i in range(0, len(words), WINDOW_WORDS)]
    model = SentenceTransformer(str(model_path()), device="cpu", local_files_only=True)
    t1 = time.perf_counter()
    model.encode(windows, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
    t2 = time.perf_counter()
    print(json.dumps({"windows": len(windows), "encode_s": t2 - t1, "setup_s": t1 - t0}))


# -- a generated corpus -------------------------------------------------------------------------------------


def generate_corpus(folder: Path, passages: int, seed: int = 13) -> None:
    """Documents of sentences drawn from the seed corpus with shuffled words (deterministic), enough for about
    ``passages`` passages of 40-120 words."""
    from index.loaders import load_corpus
    from index.sentences import split_sentences

    docs, _ = load_corpus(ROOT / "seeds")
    sentences = [p[a:b] for d in docs for p in d.paragraphs for a, b in split_sentences(p)]
    sentences = [s for s in sentences if len(s.split()) >= 5]
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    words_needed = passages * 95
    words = n = 0
    while words < words_needed:
        paragraphs = []
        for _ in range(rng.randint(6, 14)):
            paragraph = []
            for _ in range(rng.randint(2, 5)):
                s = rng.choice(sentences).split()
                middle = s[1:-1]
                rng.shuffle(middle)
                paragraph.append(" ".join([s[0], *middle, s[-1]]))
                words += len(s)
            paragraphs.append(" ".join(paragraph))
        title = " ".join(rng.choice(sentences).split()[:6]).rstrip(".,;:")
        (folder / f"doc{n:05d}.txt").write_text(
            title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8"
        )
        n += 1


def count_units(corpus: Path) -> tuple[int, int]:
    from index.chunking import chunk_document
    from index.ingest import embedding_inputs
    from index.loaders import load_corpus

    docs, _ = load_corpus(corpus)
    passages = [p for d in docs for p in chunk_document(d)]
    return len(passages), sum(len(embedding_inputs(p)[1]) for p in passages)


# -- start-up probe -----------------------------------------------------------------------------------------


def probe_main(corpus: str, store: str, started: float) -> None:
    """Child: the real bot against the fake Discord, from process start: gateway READY, first answered /ask."""
    import asyncio

    from bot.client import QuoteBot
    from index.config import IndexSettings
    from index.retrieve import Retriever
    from tests.bot_fixtures import bot_settings
    from tests.fakediscord import running_fake, start_client

    async def main() -> dict:
        settings = IndexSettings(_env_file=None, corpus_dir=Path(corpus), store_dir=Path(store))
        async with running_fake(ack_deadline=3.0) as fake:
            retriever = await asyncio.to_thread(Retriever.open, settings)  # as bot/runner.py does
            bot = QuoteBot(retriever, settings, bot_settings(fake), guild_ready_timeout=0.1)
            async with start_client(bot, fake, wait_ready=True):
                ready = time.monotonic() - started
                ready_cpu = time.process_time()
                record = await fake.send_slash("ask", {"question": "How do I ban a user with my bot?"})
                message = await fake.wait_answer(record, timeout=120)
                answered = time.monotonic() - started
                answered_cpu = time.process_time()
                assert message["embeds"], message
            retriever.close()
        return {
            "ready_s": ready,
            "first_answer_s": answered,
            "ready_cpu_s": ready_cpu,
            "answer_cpu_s": answered_cpu,
        }

    print(json.dumps(asyncio.run(main())))


# -- the run ------------------------------------------------------------------------------------------------


def measure_corpus(label: str, corpus: Path, store: Path) -> dict:
    passages, units = count_units(corpus)
    py = str(BIN / "python")
    f_wall, f_rss, f_out = run_child([py, __file__, "--floor-child", str(corpus)])
    f_cpu = CPU_SECONDS[-1]
    floor = json.loads(f_out.strip().splitlines()[-1])
    i_wall, i_rss, i_out = run_child(
        [str(BIN / "quotebot"), "index", "--rebuild", "--corpus", str(corpus), "--store", str(store)]
    )
    i_cpu = CPU_SECONDS[-1]
    row = {
        "corpus": label,
        "passages": passages,
        "units": units,
        "floor_wall_s": f_wall,
        "floor_encode_s": floor["encode_s"],
        "floor_windows": floor["windows"],
        "floor_rss_mb": f_rss,
        "index_wall_s": i_wall,
        "index_rss_mb": i_rss,
        "index_line": " ".join(i_out.split()),
        "floor_cpu_s": f_cpu,
        "index_cpu_s": i_cpu,
    }
    # The ratio: the whole `quotebot index --rebuild` process against the floor's encode alone.
    row["ratio"] = i_wall / floor["encode_s"]
    row["ratio_process"] = i_wall / f_wall
    row["ratio_cpu"] = i_cpu / f_cpu
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def startup(corpus: Path, store: Path) -> dict:
    py = str(BIN / "python")
    nc_wall, nc_rss, nc_out = run_child(
        [str(BIN / "quotebot"), "index", "--corpus", str(corpus), "--store", str(store)]
    )
    nc_cpu = CPU_SECONDS[-1]
    ask_wall, ask_rss, _ = run_child(
        [str(BIN / "quotebot"), "ask", "How do I ban a user?", "--corpus", str(corpus), "--store", str(store)]
    )
    ask_cpu = CPU_SECONDS[-1]
    t0 = time.monotonic()
    _, probe_rss, probe_out = run_child([py, __file__, "--probe-child", str(corpus), str(store), str(t0)])
    probe = json.loads(probe_out.strip().splitlines()[-1])
    return {
        "nochange_wall_s": nc_wall,
        "nochange_rss_mb": nc_rss,
        "nochange_line": " ".join(nc_out.split()),
        "nochange_cpu_s": nc_cpu,
        "ask_wall_s": ask_wall,
        "ask_cpu_s": ask_cpu,
        **probe,
        "bot_rss_mb": probe_rss,
    }


def markdown(rows: list[dict], start: dict, facts: str) -> str:
    out = [
        f"Run {time.strftime('%Y-%m-%d %H:%M')} with `python benchmarks/ingest.py`; {facts}.",
        "",
        "| corpus | passages | units | floor encode s (windows) | floor process s / CPU s / RSS MB "
        "| index s / CPU s / RSS MB | **ratio** | ratio process | ratio CPU | passages/s | units/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        out.append(
            f"| {r['corpus']} | {r['passages']} | {r['units']} | {r['floor_encode_s']:.1f} ({r['floor_windows']}) "
            f"| {r['floor_wall_s']:.1f} / {r['floor_cpu_s']:.1f} / {r['floor_rss_mb']:.0f} "
            f"| {r['index_wall_s']:.1f} / {r['index_cpu_s']:.1f} / {r['index_rss_mb']:.0f} "
            f"| **{r['ratio']:.2f}x** | {r['ratio_process']:.2f}x | {r['ratio_cpu']:.2f}x "
            f"| {r['passages'] / r['index_wall_s']:.1f} | {r['units'] / r['index_wall_s']:.1f} |"
        )
    out += [
        "",
        "`ratio` is the whole `quotebot index --rebuild` process (start, imports, model load, cleaning, "
        "encoding, Chroma writes) against the floor's encode alone (the issue's measure); `ratio process` "
        "compares whole processes, `ratio CPU` their CPU seconds (user + system, all threads: the figure "
        "least moved by other load on the machine). `units` are the sentences (units) that get a vector of "
        "their own; passages/s and units/s are per wall second of the whole index process.",
        "",
        f"- no-change `quotebot index` of the guide: {start['nochange_wall_s']:.2f} s wall, "
        f"{start['nochange_cpu_s']:.2f} s CPU, peak RSS {start['nochange_rss_mb']:.0f} MB "
        f"({start['nochange_line']})",
        f"- `quotebot ask` from process start to printed answer: {start['ask_wall_s']:.2f} s wall, "
        f"{start['ask_cpu_s']:.2f} s CPU",
        f"- bot (fake Discord, in the same process): gateway READY {start['ready_s']:.2f} s after process start "
        f"({start['ready_cpu_s']:.2f} s CPU), first /ask answered {start['first_answer_s']:.2f} s after process "
        f"start ({start['answer_cpu_s']:.2f} s CPU; peak RSS {start['bot_rss_mb']:.0f} MB)",
    ]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--floor-child"]:
        floor_main(argv[1])
        return 0
    if argv[:1] == ["--probe-child"]:
        probe_main(argv[1], argv[2], float(argv[3]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--guide", type=Path, default=ROOT.parent / "shared" / "eval" / "djs-guide" / "corpus"
    )
    parser.add_argument("--generated", type=int, default=5000, help="passages of the generated corpus")
    parser.add_argument("--out", type=Path, default=None, help="append the markdown to this file")
    args = parser.parse_args(argv)
    load = "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    facts = f"{os.cpu_count()} CPUs, {load} at the start"
    rows = []
    with tempfile.TemporaryDirectory(prefix="quotebot-bench-ingest-") as tmp:
        tmp_path = Path(tmp)
        guide_store = tmp_path / "guide-store"
        if args.guide.is_dir():
            rows.append(measure_corpus("discord.js guide", args.guide, guide_store))
        else:
            print(f"Skipping the guide: {args.guide} not found.")
        if args.generated:
            gen = tmp_path / "generated"
            generate_corpus(gen, args.generated)
            rows.append(measure_corpus("generated", gen, tmp_path / "gen-store"))
        start = startup(args.guide, guide_store) if args.guide.is_dir() else None
    if start is None:
        print(json.dumps(rows, indent=1))
        return 0
    text = markdown(rows, start, facts)
    print(text)
    if args.out:
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
