"""Public benchmarks: SQuAD 2.0 (dev/test) and BEIR SciFact, three retrievers, one table.

    python benchmarks/public.py [--shared ../shared] [--out benchmarks/RESULTS.md]
                                [--only squad|scifact] [--limit N]

Each corpus is indexed into a temporary store (removed afterwards); then every question file of the
corpus is run through the hybrid, dense and BM25 retrievers of the same index. Needs the evaluation
data in ``<shared>/eval`` (not part of the repository): without it the script says so and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import platform
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

from benchmarks.evalsets import CORPORA as ALL_CORPORA  # noqa: E402
from benchmarks.evalsets import Corpus  # noqa: E402
from index.evaluate import EvalReport, evaluate, format_metric, load_questions  # noqa: E402

MODES = ("hybrid", "dense", "bm25")
K = 10


CORPORA = tuple(c for c in ALL_CORPORA if c.public)


_LEAKS = re.compile(
    r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>|\{:|^\s*:::|^---$|^(?:title|description|icon|toc|permalink):\s", re.M
)


class HitAudit:
    """Checks every returned hit of a structured corpus: no front matter, tags, attribute lines or container
    markers outside code, no fence characters in prose, a title on one line, and a section path when the page
    has headings. (A tag inside inline code, such as `Array<String>`, is text and allowed.)"""

    def __init__(self) -> None:
        self.hits = 0
        self.problems: list[str] = []
        self.without_section = 0

    def check(self, hits) -> None:
        for h in hits:
            self.hits += 1
            code = [(b.start, b.end) for b in h.blocks if b.kind == "code"]
            inline_code = [(s.start, s.end) for b in h.blocks for s in b.styles if s.style == "code"]
            for m in _LEAKS.finditer(h.quote):
                if not any(a <= m.start() < b for a, b in code + inline_code):
                    self.problems.append(f"{h.source}: {m.group(0)!r}")
            prose = "".join(h.quote[b.start : b.end] for b in h.blocks if b.kind != "code")
            if "```" in prose:
                self.problems.append(f"{h.source}: fence in prose")
            if _LEAKS.search(h.title) or "\n" in h.title:
                self.problems.append(f"{h.source}: title {h.title!r}")
            if h.markup and not h.section:
                self.without_section += 1

    def line(self) -> str:
        return (
            f"{self.hits} hits audited: {len(self.problems)} with markup leaks or broken fences, "
            f"{self.without_section} without a section"
        )


@dataclass(frozen=True)
class Row:
    corpus: str
    retriever: str
    questions: str = ""
    hit1: float | None = None
    hit3: float | None = None
    mrr: float | None = None
    answered: float | None = None
    abstain: float | None = None
    ndcg: float | None = None
    p50: float | None = None
    reference: bool = False


# Published or previously measured figures, shown beside ours.
REFERENCES = {
    "squad/test": (
        Row("squad/test", "ref: BM25, paragraphs", hit1=0.766, hit3=0.887, reference=True),
        Row(
            "squad/test",
            "ref: dense, paragraphs",
            hit1=0.626,
            hit3=0.832,
            reference=True,
        ),
        Row(
            "squad/test",
            "ref: RRF, paragraphs",
            hit1=0.771,
            hit3=0.922,
            reference=True,
        ),
    ),
    "scifact/test": (
        Row("scifact/test", "ref: BM25 (BEIR)", ndcg=0.665, reference=True),
        Row("scifact/test", "ref: MiniLM dense (MTEB)", ndcg=0.645, reference=True),
    ),
}


@dataclass
class IndexTiming:
    corpus: str
    documents: int
    passages: int
    embedded: int  # passages embedded by this run (fewer than passages when --store reused an index)
    seconds: float


@dataclass
class Run:
    rows: list[Row] = field(default_factory=list)
    timings: list[IndexTiming] = field(default_factory=list)
    model_seconds: float = 0.0
    facts: list[str] = field(default_factory=list)  # machine facts taken when the run started
    audits: list[str] = field(default_factory=list)  # hit audits of structured corpora


def row_from(corpus: str, retriever: str, report: EvalReport) -> Row:
    m = report.metrics()
    return Row(
        corpus=corpus,
        retriever=retriever,
        questions=f"{len(report.answerable)}+{len(report.unanswerable)}",
        hit1=m["hit@1"],
        hit3=m["hit@3"],
        mrr=m["mrr"],
        answered=m["answered"],
        abstain=m["abstain"],
        ndcg=m["ndcg@10"],
        p50=m["p50_ms"],
    )


HEADERS = (
    "corpus/split",
    "retriever",
    "questions",
    "hit@1",
    "hit@3",
    "MRR",
    "answered",
    "abstain",
    "nDCG@10",
    "p50 ms",
)


def cells(row: Row) -> tuple[str, ...]:
    def f(value: float | None, digits: int = 3) -> str:
        return "" if value is None and row.reference else format_metric(value, digits)

    return (
        row.corpus,
        row.retriever,
        row.questions,
        f(row.hit1),
        f(row.hit3),
        f(row.mrr),
        f(row.answered),
        f(row.abstain),
        f(row.ndcg),
        f(row.p50, 1),
    )


def machine_facts() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    facts = [
        f"nproc: {usable} (of {os.cpu_count()} CPUs)",
        f"CPU: {cpu}",
        f"Python {platform.python_version()}",
    ]
    if hasattr(os, "getloadavg"):
        facts.append("load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    try:
        from index.embedding import get_embedder

        facts.append(f"encoder {get_embedder().encoder}")
    except Exception as exc:  # noqa: BLE001 - a fact, not a requirement
        facts.append(f"encoder unknown ({type(exc).__name__})")
    return facts


def print_table(rows: list[Row]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(h), *(len(cells(r)[i]) for r in rows)) for i, h in enumerate(HEADERS)]
        for line in (HEADERS, *(cells(r) for r in rows)):
            print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
        return
    table = Table(title=f"quotebot public benchmarks (k={K})")
    for i, header in enumerate(HEADERS):
        table.add_column(header, justify="left" if i < 3 else "right")
    for row in rows:
        table.add_row(*cells(row), style="dim" if row.reference else None)
    Console(width=None if sys.stdout.isatty() else 160).print(table)


def markdown(run: Run, argv: list[str], partial: bool) -> str:
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    out = [
        "# Public benchmarks",
        "",
        f"Run {now} with `python benchmarks/public.py {' '.join(argv)}`"
        + (" (partial run: --only/--limit)." if partial else "."),
        "",
        "Machine (at the start of the run): " + "; ".join(run.facts) + ".",
        "",
        f"Each corpus is indexed into a temporary store, then every question is asked with k={K} through "
        "each retriever of the same index. hit@k, MRR and answered are over answerable questions, abstain "
        "over unanswerable ones, nDCG@10 over documents (each ranked by its best passage), p50 is the "
        "median time per question. Rows starting `ref:` are reference figures, not ours: for SQuAD test, "
        "BM25, MiniLM dense and their reciprocal-rank fusion over plain paragraphs as measured for issue 5; "
        "for SciFact, the published nDCG@10 of BM25 (BEIR paper) and all-MiniLM-L6-v2 (MTEB).",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "| " + " | ".join("---" if i < 3 else "---:" for i in range(len(HEADERS))) + " |",
    ]
    out += ["| " + " | ".join(cells(r)) + " |" for r in run.rows]
    if run.audits:
        audit_doc = " ".join(HitAudit.__doc__.split(":", 1)[1].split())
        out += ["", f"Hit audit (hybrid; {audit_doc} A page without any heading has no section):", ""]
        out += [f"- {line}" for line in run.audits]
    out += ["", "## Indexing", "", f"Model load: {run.model_seconds:.1f} s.", ""]
    out += [
        "| corpus | documents | passages | embedded | seconds | embedded/s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t in run.timings:
        rate = f"{t.embedded / t.seconds:.1f}" if t.seconds and t.embedded else "-"
        out.append(f"| {t.corpus} | {t.documents} | {t.passages} | {t.embedded} | {t.seconds:.1f} | {rate} |")
    out += [
        "",
        "`embedded` counts passages embedded in this run; each of their sentences is embedded as well (for the "
        "sentence evidence and the focus), so the encoder handles several texts per passage.",
    ]
    return "\n".join(out) + "\n"


KEEP_MARK = "<!-- kept by public.py -->"  # what follows this line in RESULTS.md survives a new run


def write_keeping_tail(out: Path, text: str) -> None:
    """Write ``text`` to ``out``, keeping the sections other benchmarks wrote after :data:`KEEP_MARK`."""
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    at = old.find(KEEP_MARK)
    out.write_text(text + ("\n" + old[at:] if at >= 0 else ""), encoding="utf-8")


def _progress(label: str):
    step = [0.0]

    def report(done: int, total: int, source: str) -> None:
        if total and (done == total or done / total >= step[0]):
            print(f"  indexing {label}: {done}/{total} documents", file=sys.stderr, flush=True)
            step[0] = done / total + 0.1

    return report


def run_corpus(
    corpus: Corpus, eval_dir: Path, embedder, limit: int | None, run: Run, keep: Path | None = None
) -> None:
    from index.config import IndexSettings
    from index.ingest import index_corpus
    from index.retrieve import Retriever

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on its logger when imported

    corpus_dir = corpus.corpus_dir(eval_dir.parent)
    splits = [
        (name, [q for f in corpus.question_files(eval_dir.parent, name) for q in load_questions(f)][:limit])
        for name, _ in corpus.splits
    ]
    with tempfile.TemporaryDirectory(prefix=f"quotebot-bench-{corpus.name}-") as tmp:
        store_dir = keep / corpus.name if keep is not None else Path(tmp) / "store"
        settings = IndexSettings(
            corpus_dir=corpus_dir, store_dir=store_dir, chroma_url=None, chroma_host=None
        )
        print(f"indexing {corpus_dir} ...", file=sys.stderr, flush=True)
        report = index_corpus(settings, embedder=embedder, progress=_progress(corpus.name))
        print(f"  {report.line()}", file=sys.stderr, flush=True)
        documents = report.added + report.changed + report.unchanged
        run.timings.append(
            IndexTiming(corpus.name, documents, report.passages, report.embedded, report.seconds)
        )
        retriever = Retriever.open(settings, embedder=embedder)
        try:
            for split, questions in splits:
                label = f"{corpus.name}/{split}"
                for mode in MODES:
                    t0 = time.perf_counter()

                    audit = HitAudit()

                    def search(question: str, k: int, mode: str = mode, audit: HitAudit = audit):
                        answer = retriever.search(question, k, mode=mode)
                        audit.check(answer.hits)
                        return answer

                    result = evaluate(questions, search, k=K)
                    print(
                        f"  {label} {mode}: {result.summary()} ({time.perf_counter() - t0:.0f} s)",
                        file=sys.stderr,
                        flush=True,
                    )
                    run.rows.append(row_from(label, mode, result))
                    if mode == "hybrid" and audit.hits:
                        run.audits.append(f"{label}: {audit.line()}")
                        print(f"  {label}: {audit.line()}", file=sys.stderr, flush=True)
                        for problem in audit.problems[:10]:
                            print(f"    {problem}", file=sys.stderr)
                run.rows.extend(REFERENCES.get(label, ()))
        finally:
            retriever.close()


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="folder holding eval/")
    parser.add_argument("--out", type=Path, default=None, help="markdown file for the table")
    parser.add_argument("--only", choices=[c.name for c in CORPORA], help="run one corpus")
    parser.add_argument("--limit", type=int, default=None, help="first N questions of each file")
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="keep the indexes in DIR/<corpus> instead of a temporary folder (a rerun embeds nothing new)",
    )
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    eval_dir = args.shared / "eval"
    if not eval_dir.is_dir():
        print(
            f"Skipping public benchmarks: {eval_dir} not found (the evaluation data is not in the repository)."
        )
        return 0
    partial = bool(args.only or args.limit)
    out = args.out or (None if partial else ROOT / "benchmarks" / "RESULTS.md")

    from index.embedding import get_embedder

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    run = Run(facts=machine_facts())
    t0 = time.perf_counter()
    embedder = get_embedder()
    getattr(embedder, "load", lambda: None)()  # the embedder is lazy: time the load itself
    run.model_seconds = time.perf_counter() - t0
    for corpus in CORPORA:
        if args.only and corpus.name != args.only:
            continue
        if not corpus.corpus_dir(eval_dir.parent).is_dir():
            print(f"Skipping {corpus.name}: {corpus.corpus_dir(eval_dir.parent)} not found.")
            continue
        run_corpus(corpus, eval_dir, embedder, args.limit, run, keep=args.store)
        if out is not None:  # write after each corpus so a long run keeps what it measured
            write_keeping_tail(out, markdown(run, argv, partial))
    print_table(run.rows)
    if out is not None:
        print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
