"""The `quotebot` command line: index, ask, sources, eval, chat, run, sync."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.text import Text

from index.config import TABLES_FILE, IndexSettings
from index.errors import QuotebotError
from index.models import Answer, Hit, IndexReport

# Tracebacks never show local variables: a local may hold the bot token (typer's default has changed across
# releases, so it is set here rather than trusted).
app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Answer questions by quoting a corpus.",
    pretty_exceptions_show_locals=False,
)
out = Console(highlight=False, soft_wrap=True)  # lines are never wrapped when piped (scripts read them)
err = Console(stderr=True, highlight=False, soft_wrap=True)
log = logging.getLogger(__name__)

CorpusOpt = Annotated[Path | None, typer.Option("--corpus", help="Corpus folder (QUOTEBOT_CORPUS_DIR).")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="Embedded store folder (QUOTEBOT_STORE_DIR).")]
RetrieverOpt = Annotated[str, typer.Option("--retriever", help="hybrid, dense or bm25.")]


def _settings(corpus: Path | None, store: Path | None) -> IndexSettings:
    overrides: dict = {}
    if corpus is not None:
        overrides["corpus_dir"] = corpus
    if store is not None:
        overrides["store_dir"] = store
    try:
        return IndexSettings(**overrides)
    except ValidationError as error:
        raise _fail(settings_error(error)) from None


def settings_error(error: ValidationError) -> str:
    """A pydantic-settings error as one line: each problem's own message, without pydantic's decoration."""
    parts = []
    for item in error.errors():
        message = str(item.get("msg", "")).removeprefix("Value error, ")
        where = ".".join(str(x) for x in item.get("loc", ()))
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(Text(f"error: {message}", style="red"), soft_wrap=True)
    return typer.Exit(code)


def _index(
    settings: IndexSettings, rebuild: bool = False, embedder=None, allow_empty: bool = False
) -> IndexReport:
    from index.handoff import hand_off
    from index.ingest import index_corpus

    # An embedded store open in a running bot is indexed by that bot (Chroma's embedded store is
    # single-process); this process only waits for its report.
    handed = hand_off(
        settings, rebuild=rebuild, allow_empty=allow_empty, notify=lambda note: err.print(note, style="dim")
    )
    if handed is not None:
        return handed
    if not sys.stderr.isatty():
        return index_corpus(settings, rebuild=rebuild, embedder=embedder, allow_empty=allow_empty)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, source: str) -> None:
            bar.update(task, completed=done, total=total, description=source)

        return index_corpus(
            settings, rebuild=rebuild, embedder=embedder, progress=progress, allow_empty=allow_empty
        )


def _open_retriever(settings: IndexSettings, *, index_if_empty: bool = True, index_first: bool = False):
    """A retriever over the store; the model loads on the first question (one load per process, shared with
    any indexing done here). Refused at once, before any model load, when another process owns the store."""
    from index.handoff import check_available
    from index.ingest import load_embedder
    from index.retrieve import Retriever

    check_available(settings)
    embedder = load_embedder()
    if index_first:
        err.print(_index(settings, embedder=embedder).line(), style="dim")
    retriever = Retriever.open(settings, embedder)
    if index_if_empty and retriever.passage_count() == 0:
        retriever.close()
        err.print(f"The index is empty: indexing {settings.corpus_dir} first…", style="dim")
        err.print(_index(settings, embedder=embedder).line(), style="dim")
        retriever = Retriever.open(settings, embedder)
    return retriever


def answer_json(answer: Answer) -> dict:
    return {
        "question": answer.question,
        "answered": answer.answered,
        "small_talk": answer.small_talk,
        "hits": [
            {
                "quote": h.quote,
                "title": h.title,
                "source": h.source,
                "location": h.location,
                "section": h.section_text,
                "url": h.url,
                "score": h.score,
                "focus": list(h.focus) if h.focus else None,
                "links": [{"text": text, "url": url} for text, url in h.links],
            }
            for h in answer.hits
        ],
    }


def _quote_text(h: Hit) -> Text:
    """The exact quote, focus in bold; for a formatted page also headings bold, code green, inline code cyan,
    links underlined (styles only: the characters are the quote's, so piped output stays verbatim; the links'
    addresses are printed after the attribution)."""
    quote = Text(h.quote)
    if h.markup:
        for blk in h.blocks:
            if blk.kind == "heading":
                quote.stylize("bold", blk.start, blk.end)
            for span in blk.styles:
                if span.style != "link" or span.href.lower().startswith(("http://", "https://")):
                    quote.stylize(_SPAN_STYLES.get(span.style, ""), span.start, span.end)
    a, b = h.focus or (0, 0)
    quote.stylize("bold yellow", a, b)
    if h.markup:
        for blk in h.blocks:
            if blk.kind == "code":
                quote.stylize("green", blk.start, blk.end)
    return quote


_SPAN_STYLES = {"b": "bold", "i": "italic", "s": "strike", "code": "cyan", "link": "underline"}


def print_answer(answer: Answer, threshold: float) -> None:
    if answer.small_talk and not answer.hits:
        from index.smalltalk import SMALL_TALK_NOTE

        out.print(SMALL_TALK_NOTE, style="yellow")
        return
    if not answer.answered:
        out.print("No passage in the corpus answers this well enough.", style="yellow")
        if answer.hits:
            out.print("Closest (weak) match:", style="dim")
    hits = answer.hits if answer.answered else answer.hits[:1]
    for rank, h in enumerate(hits, start=1):
        quote = _quote_text(h)
        weak = " (weak match)" if h.score < threshold else ""
        out.print(Text(f"{rank}. {h.title}", style="bold"))
        if out.is_terminal:
            out.print(quote)
        else:  # piped: one line per paragraph, no hard wrapping
            out.print(Text("   " + "\n   ".join(str(quote).split("\n"))), soft_wrap=True)
        path = [h.title, *h.section]
        if len(path) > 1 and path[1].casefold() == path[0].casefold():
            del path[1]
        where = " \u203a ".join(path)
        out.print(Text(f"   — {where} · {h.source}, {h.location} · score {h.score:.0%}{weak}", style="dim"))
        if h.url:
            out.print(Text(f"   {h.url}", style="dim"), soft_wrap=True)
        for text, url in h.links:  # the quote stays verbatim: its links' addresses follow it
            out.print(Text(f"   \u2197 {' '.join(text.split())}: {url}", style="dim"), soft_wrap=True)
        out.print()


@app.command()
def index(
    corpus: CorpusOpt = None,
    store: StoreOpt = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Drop the index and start from scratch.")
    ] = False,
    allow_empty: Annotated[
        bool,
        typer.Option("--allow-empty", help="Let a corpus folder without readable files empty the index."),
    ] = False,
) -> None:
    """Index the corpus incrementally (new, changed and removed documents)."""
    settings = _settings(corpus, store)
    try:
        report = _index(settings, rebuild=rebuild, allow_empty=allow_empty)
    except (QuotebotError, FileNotFoundError) as error:
        raise _fail(str(error)) from None
    out.print(report.line())
    _save_tables(settings, report)


def _save_tables(settings: IndexSettings, report: IndexReport) -> None:
    """Load the retrieval tables once and save them beside an embedded store, so that a bot's first start reads
    one file instead of every row (at 100k passages about 3 s instead of a minute). Nothing to do for a server
    (each bot saves its own) or when a running bot owns the store (it refreshed its own tables). Best effort: the
    index is already written."""
    if settings.server_url() is not None:
        return
    nothing_new = not (report.added or report.changed or report.removed)
    if nothing_new and (Path(settings.store_dir) / TABLES_FILE).is_file():
        return  # tables saved already (a stale file still serves: a start then reads only what changed)
    from index import snapshot
    from index.embedding import LazyEmbedder
    from index.ingest import load_embedder
    from index.memory import return_free_memory
    from index.retrieve import Retriever
    from index.store import Store

    embedder = load_embedder()
    # Reading every row is the run's peak, and needs neither the model nor chroma's state of the writes (the
    # read loads the indexes it needs afresh): give both back first (SciFact: 1.28 GB peak with them).
    if isinstance(embedder, LazyEmbedder):
        embedder.unload()
    Store.forget(Path(settings.store_dir))
    return_free_memory()
    try:
        retriever = Retriever.open(settings, embedder)
    except QuotebotError as error:
        log.debug("retrieval tables not saved: %s", error)
        return
    try:
        snapshot.wait()
    finally:
        retriever.close()


@app.command()
def ask(
    question: Annotated[
        str, typer.Argument(help="The question, or - to read one question per line from stdin.")
    ],
    k: Annotated[
        int | None, typer.Option("-k", min=1, max=10, help="How many quotes (QUOTEBOT_TOP_K).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per question.")] = False,
    retriever_mode: RetrieverOpt = "hybrid",
    corpus: CorpusOpt = None,
    store: StoreOpt = None,
) -> None:
    """Answer a question with verbatim quotes."""
    settings = _settings(corpus, store)
    try:
        retriever = _open_retriever(settings)
    except (QuotebotError, FileNotFoundError) as error:
        raise _fail(str(error)) from None
    try:
        failed = _ask_all(retriever, question, k or settings.top_k, as_json, retriever_mode)
    finally:
        retriever.close()  # the store's owner record goes with it (another process may index it next)
    if failed and question != "-":
        raise typer.Exit(1)


def _ask_all(retriever, question: str, k: int, as_json: bool, retriever_mode: str) -> bool:
    """Answer ``question`` (or every line of stdin for ``-``); whether any failed."""
    questions = (line.rstrip("\n") for line in sys.stdin) if question == "-" else iter([question])
    failed = False
    for q in questions:
        if question == "-" and not q.strip():
            continue
        try:
            answer = retriever.search(q, k, mode=retriever_mode)
        except QuotebotError as error:
            failed = True
            if as_json:
                out.print_json(json.dumps({"question": q, "error": str(error)}), indent=None)
            else:
                err.print(Text(f"error: {error}", style="red"))
            continue
        if as_json:
            sys.stdout.write(json.dumps(answer_json(answer), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            print_answer(answer, retriever.threshold(retriever_mode))
    return failed


@app.command()
def sources(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    corpus: CorpusOpt = None,
    store: StoreOpt = None,
) -> None:
    """List the indexed documents."""
    try:
        retriever = _open_retriever(_settings(corpus, store), index_if_empty=False)
    except QuotebotError as error:
        raise _fail(str(error)) from None
    try:
        items = retriever.sources()
    finally:
        retriever.close()
    if as_json:
        rows = [{"title": s.title, "source": s.source, "passages": s.passages} for s in items]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    if not items:
        out.print("Nothing is indexed yet: run `quotebot index`.")
    for s in items:
        out.print(
            Text(f"{s.title}", style="bold"),
            Text(f" — {s.source} ({s.passages} passage{'' if s.passages == 1 else 's'})", style="dim"),
        )


@app.command(name="eval")
def eval_cmd(
    file: Annotated[Path, typer.Argument(help="Question file (JSON lines: id, question, kind, gold).")],
    retriever_mode: RetrieverOpt = "hybrid",
    k: Annotated[int, typer.Option("-k", min=1, max=50)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    misses: Annotated[int, typer.Option("--misses", help="How many missed questions to list.")] = 0,
    corpus: CorpusOpt = None,
    store: StoreOpt = None,
) -> None:
    """Measure hit@1, hit@3, MRR, answered and abstention rates, nDCG@10 and latency on a question file."""
    from index.evaluate import evaluate, load_questions

    try:
        questions = load_questions(file)
        retriever = _open_retriever(_settings(corpus, store))
    except (QuotebotError, FileNotFoundError) as error:
        raise _fail(str(error)) from None
    modes = ("hybrid", "dense", "bm25") if retriever_mode == "all" else (retriever_mode,)
    if any(m not in ("hybrid", "dense", "bm25") for m in modes):
        raise _fail(f"unknown retriever {retriever_mode!r}: choose hybrid, dense, bm25 or all", 2)
    try:
        for mode in modes:
            report = evaluate(questions, lambda q, n, m=mode: retriever.search(q, n, mode=m), k=k)
            if as_json:
                sys.stdout.write(json.dumps({"retriever": mode, **report.to_dict()}) + "\n")
                continue
            out.print(Text(f"retriever: {mode}", style="bold"))
            for line in report.lines(misses=misses):
                out.print(line)
    finally:
        retriever.close()


IndexFirstOpt = Annotated[
    bool, typer.Option("--index", help="Index the corpus first (incrementally), in this process.")
]


@app.command()
def chat(corpus: CorpusOpt = None, store: StoreOpt = None, index_first: IndexFirstOpt = False) -> None:
    """An interactive terminal session that answers exactly as the bot would."""
    from bot.terminal import run_terminal
    from index.handoff import HandoffServer

    try:
        retriever = _open_retriever(_settings(corpus, store), index_first=index_first)
    except (QuotebotError, FileNotFoundError) as error:
        raise _fail(str(error)) from None
    server = HandoffServer(retriever).start()  # `quotebot index` elsewhere is done here meanwhile
    try:
        run_terminal(retriever)
    finally:
        server.stop()
        retriever.close()


@app.command()
def run(corpus: CorpusOpt = None, store: StoreOpt = None, index_first: IndexFirstOpt = False) -> None:
    """Run the Discord bot (needs DISCORD_TOKEN). It connects first and loads the model (and, with --index,
    indexes the corpus) in the background; questions asked meanwhile are answered when it is ready."""
    from bot.config import BotSettings
    from bot.runner import run_bot

    raise typer.Exit(run_bot(_settings(corpus, store), BotSettings(), index_first=index_first))


@app.command()
def encoder() -> None:
    """Prepare the fast encoder (export the packaged model, choose the backend) and say which one runs."""
    from index.embedding import EncoderSettings, load_encoder

    settings = EncoderSettings()
    try:
        enc = load_encoder(settings)
    except (OSError, RuntimeError, ValueError) as error:
        raise _fail(f"cannot prepare the encoder: {error}") from None
    out.print(f"encoder: {enc.name} on {enc.encoder} (QUOTEBOT_ENCODER={settings.encoder})")


@app.command()
def sync(
    guild: Annotated[
        int | None, typer.Option("--guild", help="Sync to one guild (instant) instead of globally.")
    ] = None,
    corpus: CorpusOpt = None,
    store: StoreOpt = None,
) -> None:
    """Register the slash commands with Discord."""
    from bot.config import BotSettings
    from bot.runner import sync_commands

    raise typer.Exit(sync_commands(_settings(corpus, store), BotSettings(), guild))


def main() -> None:
    level = logging.INFO if "-v" in sys.argv or "--verbose" in sys.argv else logging.WARNING
    sys.argv = [a for a in sys.argv if a not in ("-v", "--verbose")]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("chromadb", "httpx", "sentence_transformers", "transformers", "discord"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # quotebot never joins voice channels: discord.py's warnings about voice libraries are noise.
    logging.getLogger("discord.client").addFilter(
        lambda r: "voice will NOT be supported" not in r.getMessage()
    )
    app()


if __name__ == "__main__":
    main()
