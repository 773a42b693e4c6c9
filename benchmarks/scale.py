"""Memory, load time and query latency of one process at 5k, 50k and 100k passages (prints figures; not a test).

python benchmarks/scale.py [--sizes 5000,50000,100000] [--questions 200] [--rounds 1] [--code DIR ...]
    [--server] [--exact] [--agreement]

Each corpus is generated and its store built once (benchmarks/scalegen.py says exactly how; kept in
``~/.cache/quotebot/scale``). Then, for every size, a fresh process per variant of the code (``--code DIR``: a
checkout to import ``index`` from, e.g. an export of an older commit; default: this checkout), the variants
interleaved round by round, so that load on the shared machine hits every variant alike. Each process:

1. loads the model and encodes one question (its RSS then is the baseline: model, libraries);
2. opens the store and loads the retrieval tables (``Retriever``): load seconds, RSS after, peak RSS;
3. asks the questions (drawn from the public corpora's own question files), interleaving the floor (one query
   encode plus one Chroma query of the passages collection for 50 nearest) with ``Retriever.search``;
4. reloads the tables (``refresh``), as after a change: seconds, and the peak RSS during the reload above the
   RSS before it (how long the old and new tables live side by side).

Embedded store (the default), Chroma runs inside the bot process: its RSS includes Chroma's in-memory indexes
(loaded when a collection is first queried or read). ``--server`` also runs the same processes against a ``chroma
run`` server on the same store folder: the bot process then holds only the model and its tables, and the
server's RSS is printed beside it. ``--exact`` adds a warm process with ``QUOTEBOT_MEMORY_SEARCH_PASSAGES`` above
the size: nearest neighbours from exact scans of float32 tables in memory (what the setting costs).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("QUOTEBOT_SCALE_CACHE", Path.home() / ".cache" / "quotebot" / "scale"))
CANDIDATES = 60  # the dense candidates a search asks for (retrieve.CANDIDATES + 10)


def questions(shared: Path, n: int, seed: int = 0) -> list[str]:
    files = [
        shared / "eval/squad/dev.jsonl",
        shared / "eval/squad/test.jsonl",
        shared / "eval/scifact/questions.jsonl",
        shared / "eval/djs-guide/questions_dev.jsonl",
        shared / "eval/pycord-guide/questions_dev.jsonl",
        shared / "eval/pycord-guide/questions_test.jsonl",
    ]
    qs = [json.loads(line)["question"] for f in files if f.is_file() for line in f.open(encoding="utf-8")]
    random.Random(seed).shuffle(qs)
    return qs[:n]


def _status() -> dict[str, int]:
    out = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024  # MB
    return out


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _snapshot_wait() -> None:
    try:
        from index import snapshot
    except ImportError:  # code from before saved tables
        return
    snapshot.wait()


def child(store_dir: str, qs: list[str], phase: str) -> dict:
    """One measurement process (the ``index`` package comes from PYTHONPATH). ``cold``: no saved tables, every
    row read from Chroma; ``warm``: the tables saved by the cold run, then the questions and a reload."""
    import gc

    from index.config import IndexSettings
    from index.embedding import get_embedder, vectors_of
    from index.models import Document
    from index.retrieve import Retriever
    from index.store import Store

    embedder = get_embedder()
    embedder.embed_query("warm up the encoder")
    settings = IndexSettings(_env_file=None, store_dir=Path(store_dir), refresh_seconds=3600)
    if phase == "cold":
        try:
            from index.snapshot import path_for
        except ImportError:  # code from before saved tables
            pass
        else:
            path_for(settings).unlink(missing_ok=True)
    gc.collect()
    base = _status()["VmRSS"]
    _reset_peak()
    t0 = time.perf_counter()
    store = Store.open(
        settings, model=embedder.name, dim=embedder.dim, vectors=vectors_of(embedder), write=True
    )
    retriever = Retriever(store, embedder, settings)
    load = time.perf_counter() - t0
    gc.collect()
    after_load = _status()
    out = {
        "passages": retriever.passage_count(),
        "base_mb": base,
        "rss_mb": after_load["VmRSS"],
        "tables_mb": after_load["VmRSS"] - base,
        "load_peak_mb": after_load["VmHWM"],
        "load_s": round(load, 2),
    }
    if phase == "cold":
        _snapshot_wait()
        retriever.close()
        return out
    total = store.count()

    def chroma_query(vector):
        try:
            return store.query_passages(vector, CANDIDATES, total=total)
        except TypeError:  # code from before ``total`` (one more count call)
            return store.query_passages(vector, CANDIDATES)

    for q in qs[:5]:
        retriever.search(q)
        chroma_query(embedder.embed_query(q))
    floor, search = [], []
    for q in qs:
        t = time.perf_counter()
        chroma_query(embedder.embed_query(q))
        floor.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        retriever.search(q)
        search.append((time.perf_counter() - t) * 1000)
    gc.collect()
    # a change: one document removed (its marker), then put back
    marker = sorted(store.markers().values(), key=lambda m: m.doc_id)[0]
    text = store.document_text(marker.doc_id) or ""
    store.delete_marker(marker.doc_id)
    store.bump_generation()
    before_reload = _status()["VmRSS"]
    _reset_peak()
    t0 = time.perf_counter()
    retriever.refresh()
    reload = time.perf_counter() - t0
    gc.collect()
    after = _status()
    store.file_hashes[marker.doc_id] = marker.file_hash
    doc = Document(marker.doc_id, marker.source, marker.title, text, marker.version)
    store.set_marker(doc, marker.passages)
    store.bump_generation()
    retriever.refresh()
    _snapshot_wait()
    retriever.close()
    return out | {
        "rss_after_queries_mb": before_reload,
        "floor_p50": round(statistics.median(floor), 2),
        "floor_p95": round(_pct(floor, 0.95), 2),
        "search_p50": round(statistics.median(search), 2),
        "search_p95": round(_pct(search, 0.95), 2),
        "ratio_p50": round(statistics.median(search) / statistics.median(floor), 2),
        "reload_s": round(reload, 2),
        "reload_extra_peak_mb": after["VmHWM"] - before_reload,
        "rss_after_reload_mb": after["VmRSS"],
    }


def agreement(store_dir: str, qs: list[str]) -> dict:
    """Answers of the Chroma-backed search (float16 tables, Chroma's neighbours) against the exact in-memory
    search (float32, every passage and unit scanned) on the same store: how often they agree."""
    from index.config import IndexSettings
    from index.embedding import get_embedder, vectors_of
    from index.retrieve import Retriever
    from index.store import Store

    embedder = get_embedder()
    out = {}
    runs = {}
    for name, limit in (("memory", 10**9), ("chroma", 0)):
        settings = IndexSettings(
            _env_file=None, store_dir=Path(store_dir), refresh_seconds=3600, memory_search_passages=limit
        )
        store = Store.open(settings, model=embedder.name, dim=embedder.dim, vectors=vectors_of(embedder))
        retriever = Retriever(store, embedder, settings)
        runs[name] = [retriever.search(q, 3) for q in qs]
        retriever.close()
        Store.forget(Path(store_dir))
    pairs = list(zip(runs["memory"], runs["chroma"], strict=True))
    out["questions"] = len(pairs)
    out["same_top1"] = sum(
        [h.passage_id for h in a.hits[:1]] == [h.passage_id for h in b.hits[:1]] for a, b in pairs
    ) / len(pairs)
    out["same_top3_set"] = sum(
        {h.passage_id for h in a.hits} == {h.passage_id for h in b.hits} for a, b in pairs
    ) / len(pairs)
    out["same_answered"] = sum(a.answered == b.answered for a, b in pairs) / len(pairs)
    out["max_top1_score_diff"] = max(
        (
            abs(a.hits[0].score - b.hits[0].score)
            for a, b in pairs
            if a.hits and b.hits and a.hits[0].passage_id == b.hits[0].passage_id
        ),
        default=0.0,
    )
    return out


def run_child(
    code: Path, store_dir: Path, qs: list[str], phase: str, server: str | None = None, exact: bool = False
) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{code}{os.pathsep}{ROOT / 'benchmarks'}"}
    env.pop("CHROMA_URL", None)
    env.pop("QUOTEBOT_MEMORY_SEARCH_PASSAGES", None)
    if server:
        env["CHROMA_URL"] = server
    if exact:
        env["QUOTEBOT_MEMORY_SEARCH_PASSAGES"] = str(10**9)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(store_dir), "--phase", phase],
        input=json.dumps(qs),
        capture_output=True,
        text=True,
        env=env,
        cwd=code,
        check=False,
    )
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def server_rss(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[f"server_{key[2:].lower()}_mb"] = int(value.split()[0]) // 1024
    return out


def chroma_server(store_dir: Path) -> tuple[subprocess.Popen, str]:
    """``chroma run`` on ``store_dir`` (loopback, a free port), once it accepts connections."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "chroma"), "run", "--path", str(store_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("chroma run did not start")


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return (
        f"nproc {os.cpu_count()}; CPU {cpu}; {int(mem) // 1024 // 1024} GiB; Python {platform.python_version()}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--phase", default="warm", help=argparse.SUPPRESS)
    ap.add_argument("--sizes", default="5000,50000,100000")
    ap.add_argument("--questions", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--code", type=Path, action="append", default=None, help="checkouts to compare")
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--agreement", action="store_true", help="also compare Chroma-backed and exact search")
    ap.add_argument("--server", action="store_true", help="also run against a chroma run server")
    ap.add_argument("--exact", action="store_true", help="also search every size exactly in memory")
    args = ap.parse_args()
    if args.child:
        qs = json.loads(sys.stdin.read())
        result = agreement(args.child, qs) if args.phase == "agree" else child(args.child, qs, args.phase)
        print(json.dumps(result))
        return
    if not (args.shared / "eval").is_dir():
        print(f"skipped: {args.shared / 'eval'} not found (the generator recombines its corpora)")
        return
    from scalegen import prepared_store
    from vector_cache import CachedEmbedder

    from index.embedding import get_embedder

    codes = args.code or [ROOT]
    qs = questions(args.shared, args.questions)
    embedder = CachedEmbedder(get_embedder(), CACHE / "vectors.sqlite")
    print(f"Machine: {machine()}")
    for size in (int(s) for s in args.sizes.split(",")):
        settings, info = prepared_store(size, CACHE, args.shared, embedder)
        print(f"\n{size} passages: {json.dumps(info)}")
        for _ in range(args.rounds):
            for code in codes:  # interleaved: each variant's cold start, then its warm start and questions
                for phase in ("cold", "warm"):
                    r = run_child(code, Path(settings.store_dir), qs, phase)
                    print(f"  {code.name or code} {phase}: {json.dumps(r)}", flush=True)
                if args.exact:
                    r = run_child(code, Path(settings.store_dir), qs, "warm", exact=True)
                    print(f"  {code.name or code} warm, exact in memory: {json.dumps(r)}", flush=True)
                if not args.server:
                    continue
                proc, url = chroma_server(Path(settings.store_dir))
                try:
                    for phase in ("cold", "warm"):
                        r = run_child(code, Path(settings.store_dir), qs, phase, url) | server_rss(proc.pid)
                        print(f"  {code.name or code} {phase}, chroma run: {json.dumps(r)}", flush=True)
                finally:
                    proc.terminate()
                    proc.wait()
        if args.agreement:
            r = run_child(ROOT, Path(settings.store_dir), qs, "agree")
            print(f"  agreement (exact in memory vs Chroma neighbours): {json.dumps(r)}", flush=True)


if __name__ == "__main__":
    main()
