"""Question -> `Answer`: hybrid retrieval (dense + sentence + BM25), calibrated confidence, hygiene, focus."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from . import links, ranking
from .chunking import contextual_header, is_question
from .config import IndexSettings
from .embedding import Embedder, vectors_of
from .errors import EmptyIndexError, QuestionError, UnknownSourceError
from .lexical import LexicalIndex, covered, fold, tokenize
from .models import Answer, Hit, IndexReport, Passage, SourceInfo
from .smalltalk import is_small_talk
from .store import Store

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")
MAX_QUESTION_CHARS = 500
CANDIDATES = 50  # candidates taken from each ranker before fusion
MAX_PER_DOCUMENT = 2
NEAR_DUPLICATE = 0.8  # Jaccard similarity of token sets above which two passages count as the same text
# Confidence rules of the single-evidence modes (the hybrid rule lives in ranking.py).
DENSE_THRESHOLD = 0.5
BM25_THRESHOLD = 0.75
# Whether the BM25 field of a sectioned document's passage includes its contextual header (title, section path).
LEXICAL_HEADER = True
RELOAD_ATTEMPTS = 3  # reads of a moving store before serving the newest one anyway


# Invisible characters that reorder or hide text (Unicode Bidi_Control): never echoed, never searched.
_BIDI_CONTROLS = dict.fromkeys(
    map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def _sanitise(question: str) -> str:
    """Drop lone surrogates (undecodable input: the tokenizer cannot encode them) and bidirectional
    controls; other control characters become spaces."""
    text = question.translate(_BIDI_CONTROLS)
    if any("\ud800" <= c <= "\udfff" or (c < " " or "\x7f" <= c <= "\x9f") for c in text):
        text = "".join(
            "" if "\ud800" <= c <= "\udfff" else " " if c < " " or "\x7f" <= c <= "\x9f" else c for c in text
        )
    return text


def validate_question(question: str) -> str:
    """The question, sanitised and stripped; QuestionError with a clear message when it is unusable."""
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("Please type a question: it was empty.")
    q = " ".join(_sanitise(question).split())
    if not q:
        raise QuestionError("Please type a question: it was empty.")
    if len(q) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"That question is {len(q)} characters long; please keep it under {MAX_QUESTION_CHARS}."
        )
    return q


@dataclass
class _State:
    generation: str
    passages: list[Passage]
    vectors: np.ndarray  # passage embeddings, row-aligned with ``passages``
    sent_vectors: np.ndarray
    sent_rows: list[np.ndarray]  # per passage row: indices into sent_vectors, in sentence order
    sent_owner: np.ndarray  # per sentence vector: its passage row
    section_heads: list[np.ndarray]  # per passage row: unit vectors of the headings above it and in it
    question_heads: list[np.ndarray]  # per passage row: which of those headings are questions
    heading_sets: list[frozenset[str]]  # per passage row: the tokens of its section paths
    pair_vectors: np.ndarray  # normalised mean of each two adjacent sentence vectors of one passage
    pair_rows: list[np.ndarray]  # per passage row: indices into pair_vectors, in sentence order
    lexical: LexicalIndex
    sources: list[SourceInfo]
    row_of: dict[str, int] = field(default_factory=dict)
    by_doc: dict[str, list[int]] = field(default_factory=dict)
    title_marks: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store) -> _State:
        generation = store.generation()
        markers = store.markers()
        stored, stored_vectors = store.passages_with_vectors()
        keep = [i for i, p in enumerate(stored) if (m := markers.get(p.doc_id)) and m.version == p.version]
        keep.sort(key=lambda i: (stored[i].source, stored[i].ordinal))
        live = [stored[i] for i in keep]
        vectors = stored_vectors[keep] if keep else np.zeros((0, store.dim), dtype=np.float32)
        row_of = {p.passage_id: i for i, p in enumerate(live)}
        sv = store.sentence_vectors()
        keep = [j for j, pid in enumerate(sv.passage_ids) if pid in row_of]
        order = sorted(keep, key=lambda j: (row_of[sv.passage_ids[j]], sv.index[j]))
        sent_vectors = sv.vectors[order] if order else np.zeros((0, store.dim), dtype=np.float32)
        owner = np.asarray([row_of[sv.passage_ids[j]] for j in order], dtype=np.int64)
        sent_rows: list[list[int]] = [[] for _ in live]
        for k, row in enumerate(owner.tolist()):
            sent_rows[row].append(k)
        pair_vectors, pair_rows = _pairs(sent_vectors, owner, len(live))
        section_heads, question_heads = _section_heads(live, sent_rows)
        by_doc: dict[str, list[int]] = {}
        for i, p in enumerate(live):
            by_doc.setdefault(p.doc_id, []).append(i)
        counts = {d: len(rows) for d, rows in by_doc.items()}
        sources = sorted(
            (SourceInfo(m.doc_id, m.source, m.title, counts.get(m.doc_id, 0)) for m in markers.values()),
            key=lambda s: (s.title.casefold(), s.source),
        )
        return cls(
            generation=generation,
            passages=live,
            vectors=vectors,
            sent_vectors=sent_vectors,
            sent_rows=[np.asarray(r, dtype=np.int64) for r in sent_rows],
            sent_owner=owner,
            section_heads=section_heads,
            question_heads=question_heads,
            heading_sets=[frozenset(t for b in p.blocks for h in b.path for t in tokenize(h)) for p in live],
            pair_vectors=pair_vectors,
            pair_rows=pair_rows,
            lexical=LexicalIndex(
                [p.text for p in live],
                [p.sentences for p in live],
                headers=[contextual_header(p) if LEXICAL_HEADER and p.markup else "" for p in live],
            ),
            sources=sources,
            row_of=row_of,
            by_doc=by_doc,
            title_marks=_title_marks(sources),
        )


@dataclass(frozen=True)
class _Scored:
    row: int
    score: float
    sentence_sims: np.ndarray
    pair_sims: np.ndarray
    evidence: ranking.Evidence | None = None


def _section_heads(
    live: list[Passage], sent_rows: list[list[int]]
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per passage row (rows in document order): the unit vectors of the headings of its section path, those
    above the passage (in earlier passages) and those inside it; and for each, whether it is a question."""
    heads: list[np.ndarray] = []
    questions: list[np.ndarray] = []
    stack: list[tuple[int, int, bool]] = []  # (heading level, unit vector index, question)
    doc = None
    for row, p in enumerate(live):
        if p.doc_id != doc:
            doc, stack = p.doc_id, []
        inside: list[tuple[int, bool]] = []
        units = sent_rows[row]
        for k, (a, b) in enumerate(p.sentences):
            blk = p.block_at(a)
            if blk is None or blk.kind != "heading" or k >= len(units):
                continue
            while stack and stack[-1][0] >= blk.level:
                stack.pop()
            q = is_question(p.text[a:b])
            inside.append((units[k], q))
            stack.append((blk.level, units[k], q))
        seen = {j for j, _ in inside}
        both = [(j, q) for _, j, q in stack if j not in seen] + inside
        heads.append(np.asarray([j for j, _ in both], dtype=np.int64))
        questions.append(np.asarray([q for _, q in both], dtype=bool))
    return heads, questions


class Retriever:
    """Answers questions from a quotebot store. Thread-safe; every method blocks (run it off the event loop)."""

    def __init__(self, store: Store, embedder: Embedder, settings: IndexSettings | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings or IndexSettings()
        self._lock = threading.Lock()  # one reload at a time
        self._index_lock = threading.Lock()  # one indexing run at a time
        self._failing = False
        self._checker: threading.Thread | None = None
        self._lost_said = False
        self.last_note: str | None = None  # what the last reindex had to repair first, for the admin
        self._state = self._load()
        self._checked = time.monotonic()

    @classmethod
    def open(
        cls, settings: IndexSettings, embedder: Embedder | None = None, *, write: bool = False
    ) -> Retriever:
        if embedder is None:
            from .ingest import load_embedder

            embedder = load_embedder()
        store = Store.open(
            settings, model=embedder.name, dim=embedder.dim, write=write, vectors=vectors_of(embedder)
        )
        return cls(store, embedder, settings)

    def close(self) -> None:
        self.store.close()

    # -- freshness -----------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the in-memory tables (BM25, vectors, sources) from the store now. On failure the current
        tables stay in service and the next freshness check tries again."""
        with self._lock:
            self._reload()

    def _load(self) -> _State:
        """Tables read while the store stood still: the generation is the same before and after the read,
        else it is read again (up to RELOAD_ATTEMPTS times; then the newest read serves until the next
        check)."""
        state = _State.load(self.store)
        for _ in range(RELOAD_ATTEMPTS - 1):
            if self.store.generation() == state.generation:
                break
            log.info("the store changed while the retrieval tables were read; reading again")
            state = _State.load(self.store)
        return state

    def _reload(self) -> None:
        try:
            self._state = self._load()
        except Exception as error:  # noqa: BLE001 - a reload must never fail a question
            self._note_failure(error)
            self._checked = -float("inf")  # try again at the next request
            return
        self._checked = time.monotonic()
        self._recovered()
        _return_free_memory()

    def _recovered(self) -> None:
        if self._failing:
            log.info("the retrieval tables are in step with the store again")
            self._failing = False

    def _note_failure(self, error: BaseException) -> None:
        level = logging.DEBUG if self._failing else logging.WARNING
        log.log(level, "could not reload the retrieval tables (still serving the previous ones): %s", error)
        self._failing = True

    def _current(self) -> _State:
        """The tables to answer from. Every ``refresh_seconds`` one caller checks the store's generation and
        reloads when it moved; callers meanwhile are served the current tables, never an error."""
        if time.monotonic() - self._checked < self.settings.refresh_seconds:
            return self._state
        if self._failing:
            # The store is failing (e.g. a server that does not answer): check from a background thread,
            # so that no request waits for the timeout again and again.
            if self._checker is None or not self._checker.is_alive():
                self._checker = threading.Thread(target=self._check, name="quotebot-store-check", daemon=True)
                self._checker.start()
            return self._state
        self._check()
        return self._state

    def _check(self) -> None:
        """Reload when the store's generation moved. Only one caller at a time; the others go on with the
        current tables."""
        if not self._lock.acquire(blocking=False):
            return  # another request is checking or reloading
        try:
            if time.monotonic() - self._checked < self.settings.refresh_seconds:
                return
            lost = self.store.lost()
            if lost and not self._lost_said:
                log.error(
                    "%s Answers come from memory until /reindex (or `quotebot index`) re-creates it.", lost
                )
                self._lost_said = True
            try:
                generation = self.store.generation()
            except Exception as error:  # noqa: BLE001 - unreachable store: keep serving
                self._note_failure(error)
                self._checked = time.monotonic()
                return
            if generation != self._state.generation:
                log.info("the store changed; reloading the retrieval tables")
                self._reload()
            else:
                self._checked = time.monotonic()
                self._recovered()
        finally:
            self._lock.release()

    def reindex(
        self, *, rebuild: bool = False, allow_empty: bool = False, corpus_dir: Path | None = None
    ) -> IndexReport:
        """Index the corpus (or ``corpus_dir``) incrementally with this retriever's model, then refresh.
        One run at a time per retriever (/reindex and hand-offs from other processes queue up)."""
        from .ingest import index_corpus

        settings = self.settings
        if corpus_dir is not None:
            settings = settings.model_copy(update={"corpus_dir": corpus_dir})
        with self._index_lock:
            self.last_note = None
            lost = self.store.lost()
            if lost:
                self._recreate_store(lost)
                self.last_note = f"{lost} It was re-created from the corpus."
            report = index_corpus(settings, rebuild=rebuild, embedder=self.embedder, allow_empty=allow_empty)
            self.refresh()
        return report

    def _recreate_store(self, why: str) -> None:
        """Open a fresh embedded store where the lost one was; the next indexing run fills it."""
        from . import handoff

        log.error("%s Re-creating it.", why)
        old = self.store
        store_dir = Path(self.settings.store_dir)
        Store.forget(store_dir)
        handoff.relock(store_dir)
        self.store = Store.open(self.settings, model=old.model, dim=old.dim)
        old.close()

    # -- lookups ---------------------------------------------------------------------------------------------
    def sources(self) -> list[SourceInfo]:
        return list(self._current().sources)

    def resolve_source(self, value: str) -> SourceInfo:
        key = " ".join((value or "").split()).casefold()
        sources = self._current().sources
        for s in sources:
            if key in (s.source.casefold(), s.title.casefold(), s.doc_id):
                return s
        raise UnknownSourceError(f"No indexed document is called “{value.strip()[:100]}”. Try /sources.")

    def passage_count(self) -> int:
        return len(self._current().passages)

    def context(self, passage_id: str) -> tuple[Passage | None, Passage | None, Passage | None]:
        """The passages before and after ``passage_id`` in its document (no model call).

        An id from an older version of the document resolves to the passage now at the same ordinal."""
        state = self._current()
        row = state.row_of.get(passage_id)
        if row is None:
            doc_id, _, rest = passage_id.partition("-")
            ordinal = rest.rpartition("-")[2]
            rows = state.by_doc.get(doc_id, [])
            match = [r for r in rows if ordinal.isdigit() and state.passages[r].ordinal == int(ordinal)]
            if not match:
                return None, None, None
            row = match[0]
        this = state.passages[row]
        rows = state.by_doc[this.doc_id]
        pos = rows.index(row)
        before = state.passages[rows[pos - 1]] if pos > 0 else None
        after = state.passages[rows[pos + 1]] if pos + 1 < len(rows) else None
        return before, this, after

    # -- search ----------------------------------------------------------------------------------------------
    def search(
        self,
        question: str,
        k: int = 3,
        *,
        offset: int = 0,
        source: str | None = None,
        mode: str = "hybrid",
    ) -> Answer:
        """The best ``k`` quotes for ``question`` (after skipping ``offset``), best first."""
        q = validate_question(question)
        if mode not in MODES:
            raise QuestionError(f"Unknown retriever “{mode}”: choose one of {', '.join(MODES)}.")
        state = self._current()
        if not state.passages:
            raise EmptyIndexError("Nothing is indexed yet: run `quotebot index` (or /reindex) first.")
        doc_id = self.resolve_source(source).doc_id if source else None
        if is_small_talk(q, tokenize(q)):
            return Answer(question=q, answered=False, hits=())
        ranked = self._rank(state, q, mode, doc_id)
        threshold = self.threshold(mode)
        start, stop = max(0, offset), max(0, offset) + max(1, k)
        ranked = self._hygiene(state, q, ranked, named=doc_id is not None, need=stop)
        answered = bool(ranked) and ranked[0].score >= threshold
        page = ranked[start:stop]
        return Answer(question=q, answered=answered, hits=tuple(self._hit(state, s) for s in page))

    def threshold(self, mode: str = "hybrid") -> float:
        if mode == "dense":
            return DENSE_THRESHOLD
        if mode == "bm25":
            return BM25_THRESHOLD
        if self.settings.min_score is not None:
            return self.settings.min_score
        return ranking.CONFIDENCE_THRESHOLD

    def _rank(self, state: _State, q: str, mode: str, doc_id: str | None) -> list[_Scored]:
        allowed = set(state.by_doc.get(doc_id, [])) if doc_id else None
        qv = self.embedder.embed_query(q) if mode != "bm25" else None
        q_tokens = state.lexical.query_tokens(q)
        q_weights = state.lexical.weights(q_tokens)
        unknown = state.lexical.unknown_share(q_tokens)
        candidates: dict[int, None] = {}
        if qv is not None:
            for row in _nearest_rows(state.vectors, qv, CANDIDATES + 10, allowed):
                candidates[row] = None
        bm = state.lexical.scores(q_tokens) if mode != "dense" else np.zeros(len(state.passages))
        if allowed is not None:
            mask = np.zeros(len(bm), dtype=bool)
            mask[list(allowed)] = True
            bm = np.where(mask, bm, 0.0)
        bm_max = float(bm.max()) if len(bm) else 0.0
        if mode != "dense" and bm_max > 0:
            n_top = min(CANDIDATES, len(bm))
            top = np.argpartition(-bm, n_top - 1)[:n_top]
            for row in top.tolist():
                if bm[row] > 0:
                    candidates[row] = None
        sent_all = pair_all = None
        if mode == "hybrid" and len(state.sent_vectors):
            sent_all = state.sent_vectors @ qv
            pair_all = state.pair_vectors @ qv
            n_best = min(CANDIDATES * 2, len(sent_all))
            best_rows = state.sent_owner[np.argpartition(-sent_all, n_best - 1)[:n_best]]
            for row in best_rows.tolist():
                if allowed is None or row in allowed:
                    candidates[row] = None
        scored: list[_Scored] = []
        for row in candidates:
            s_idx, p_idx = state.sent_rows[row], state.pair_rows[row]
            if sent_all is not None:
                sims, pair_sims = sent_all[s_idx], pair_all[p_idx]
            elif qv is not None and len(s_idx):
                sims, pair_sims = state.sent_vectors[s_idx] @ qv, state.pair_vectors[p_idx] @ qv
            else:
                sims, pair_sims = np.zeros(len(s_idx), dtype=np.float32), np.zeros(0, dtype=np.float32)
            dense = float(state.vectors[row] @ qv) if qv is not None else 0.0
            coverage = state.lexical.coverage(q_weights, row)
            if mode == "dense":
                score = max(0.0, min(1.0, dense))
            elif mode == "bm25":
                score = coverage * (float(bm[row]) / bm_max if bm_max > 0 else 0.0)
            else:
                best_unit = max(float(sims.max()) if len(sims) else dense, float(pair_sims.max(initial=-1.0)))
                heads = state.section_heads[row]
                head_sims = state.sent_vectors[heads] @ qv if len(heads) else np.zeros(0, dtype=np.float32)
                q_heads = state.question_heads[row]
                ev = ranking.Evidence(
                    dense=dense,
                    sentence=best_unit,
                    lexical=float(bm[row]) / bm_max if bm_max > 0 else 0.0,
                    coverage=coverage,
                    sentence_coverage=state.lexical.sentence_coverage(q_weights, row),
                    heading=float(head_sims.max()) if len(heads) else 0.0,
                    faq=float(head_sims[q_heads].max()) if q_heads.any() else 0.0,
                    heading_coverage=covered(q_weights, (state.heading_sets[row],)),
                    unknown=unknown,
                )
                score = ranking.blend(ev)
                scored.append(_Scored(row, score, sims, pair_sims, ev))
                continue
            scored.append(_Scored(row, score, sims, pair_sims))
        if mode == "bm25":
            scored.sort(key=lambda s: (-float(bm[s.row]), s.row))
            # keep a [0, 1] score that is monotonic with the BM25 order
            best = scored[0].score if scored else 0.0
            scored = [_Scored(s.row, min(s.score, best), s.sentence_sims, s.pair_sims) for s in scored]
        else:
            scored.sort(key=lambda s: (-s.score, s.row))
        return scored

    def _hygiene(self, state: _State, q: str, ranked: list[_Scored], named: bool, need: int) -> list[_Scored]:
        """Drop near-duplicate texts; a document gives at most MAX_PER_DOCUMENT of the leading hits unless the
        question names it (its further passages move behind the other documents' hits, never out).
        Stops once ``need`` hits are certain."""
        q_fold = fold(q)
        q_tokens = set(tokenize(q))
        kept: list[_Scored] = []
        deferred: list[_Scored] = []
        per_doc: dict[str, int] = {}
        for s in ranked:
            p = state.passages[s.row]
            toks = state.lexical.token_set(s.row)
            if any(_jaccard(toks, state.lexical.token_set(o.row)) >= NEAR_DUPLICATE for o in kept + deferred):
                continue
            capped = not named and not _names_document(
                p, q_fold, q_tokens, state.title_marks.get(p.doc_id, ())
            )
            if capped and per_doc.get(p.doc_id, 0) >= MAX_PER_DOCUMENT:
                deferred.append(s)
                continue
            per_doc[p.doc_id] = per_doc.get(p.doc_id, 0) + 1
            kept.append(s)
            if len(kept) >= need:
                break
        return kept + deferred

    def _hit(self, state: _State, s: _Scored) -> Hit:
        p = state.passages[s.row]
        focus = _focus(p, s.sentence_sims, s.pair_sims)
        block = p.block_at(focus[0]) if focus else None
        if block is None and p.blocks:
            block = p.blocks[0]
        section = block.path if block is not None else p.section
        anchor = block.anchor if block is not None else ""
        url = links.with_anchor(links.page_url(p.source, p.page_url, self.settings.source_url), anchor)
        return Hit(
            passage_id=p.passage_id,
            doc_id=p.doc_id,
            quote=p.text,
            title=p.title,
            source=p.source,
            location=p.location,
            ordinal=p.ordinal,
            score=round(float(s.score), 4),
            focus=focus,
            section=section if p.markup else (),
            url=url,
            blocks=p.blocks,
            markup=p.markup,
        )


def _return_free_memory() -> None:
    """Hand the heap pages freed by a reload (the previous tables, the indexing run's buffers) back to the
    OS. glibc keeps them otherwise, and a bot that re-indexes now and then creeps up by 100 MB and more
    (measured with benchmarks/soak.py); after this its memory stays flat."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _nearest_rows(vectors: np.ndarray, qv: np.ndarray, n: int, allowed: set[int] | None) -> list[int]:
    """Rows of the ``n`` passage vectors most similar to ``qv`` (exact, from the tables in memory: a question
    never waits on the store, and answers while a Chroma server is down)."""
    if not len(vectors) or n <= 0:
        return []
    sims = vectors @ qv
    if allowed is not None:
        mask = np.full(len(sims), -np.inf, dtype=np.float32)
        mask[list(allowed)] = 0.0
        sims = sims + mask
    n = min(n, len(sims))
    top = np.argpartition(-sims, n - 1)[:n]
    return [int(r) for r in top[np.argsort(-sims[top], kind="stable")] if np.isfinite(sims[r])]


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 1.0 if a == b else 0.0
    return len(a & b) / len(a | b)


def _names_document(p: Passage, q_fold: str, q_tokens: set[str], marks: tuple[str, ...]) -> bool:
    """Whether the question names ``p``'s document: its file name, most of its title's words, or a proper
    noun that appears in this document's title and no other title."""
    stem = p.source.rsplit("/", 1)[-1].rsplit(".", 1)[0].casefold()
    if len(stem) >= 4 and stem in q_fold:
        return True
    if any(m in q_tokens for m in marks):
        return True
    title = _title_tokens(p.title)
    return len(title) >= 2 and len(title & q_tokens) / len(title) >= 0.6


@functools.lru_cache(maxsize=4096)
def _title_tokens(title: str) -> frozenset[str]:
    return frozenset(tokenize(title))


def _title_marks(sources: list[SourceInfo]) -> dict[str, tuple[str, ...]]:
    """Per document: tokens of capitalised title words found in no other document's title."""
    words: dict[str, set[str]] = {}
    for s in sources:
        caps = [w for w in s.title.split() if w[:1].isupper()]
        words[s.doc_id] = {t for w in caps for t in tokenize(w)}
    seen: dict[str, int] = {}
    for toks in words.values():
        for t in toks:
            seen[t] = seen.get(t, 0) + 1
    return {d: tuple(sorted(t for t in toks if seen[t] == 1)) for d, toks in words.items()}


def _pairs(sent_vectors: np.ndarray, owner: np.ndarray, n_rows: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Vectors for each two adjacent sentences of one passage (the normalised sum of theirs) and, per
    passage row, the indices of its pairs in sentence order. No model call."""
    first = np.flatnonzero(owner[:-1] == owner[1:]) if len(owner) > 1 else np.zeros(0, dtype=np.int64)
    if not len(first):
        return np.zeros((0, sent_vectors.shape[1]), dtype=np.float32), [np.zeros(0, dtype=np.int64)] * n_rows
    summed = sent_vectors[first] + sent_vectors[first + 1]
    norms = np.linalg.norm(summed, axis=1, keepdims=True)
    vectors = (summed / np.maximum(norms, 1e-12)).astype(np.float32)
    rows: list[list[int]] = [[] for _ in range(n_rows)]
    for j, row in enumerate(owner[first].tolist()):
        rows[row].append(j)
    return vectors, [np.asarray(r, dtype=np.int64) for r in rows]


def _focus(p: Passage, sims: np.ndarray, pair_sims: np.ndarray) -> tuple[int, int] | None:
    """Offsets into the passage text of the unit, or two adjacent units, closest to the question: the unit
    the ranking's sentence evidence came from. A heading is never the focus: its answer is (the block after
    it); a unit inside a code block makes the whole block the focus."""
    if not p.sentences:
        return None
    if len(sims) != len(p.sentences) or not len(sims):
        lo = hi = 0
    else:
        lo = hi = int(np.argmax(sims))
        if len(pair_sims) == len(sims) - 1 and len(pair_sims) and float(pair_sims.max()) > float(sims[lo]):
            lo = int(np.argmax(pair_sims))
            hi = lo + 1
    if p.blocks:
        lo, hi = _answer_units(p, lo, hi)
    a, b = p.sentences[lo][0], p.sentences[hi][1]
    if p.blocks:
        for blk in p.blocks:
            if blk.kind == "code" and blk.start < b and a < blk.end:
                a, b = min(a, blk.start), max(b, blk.end)
    return (a, b)


def _answer_units(p: Passage, lo: int, hi: int) -> tuple[int, int]:
    """Move a focus that starts (or is) a heading to the content under it."""

    def is_heading(k: int) -> bool:
        blk = p.block_at(p.sentences[k][0])
        return blk is not None and blk.kind == "heading"

    while lo <= hi and is_heading(lo):
        lo += 1
    if lo > hi:  # the focus was headings only: take the first block after them
        k = hi + 1
        while k < len(p.sentences) and is_heading(k):
            k += 1
        if k >= len(p.sentences):
            return hi, hi
        first = p.block_at(p.sentences[k][0])
        lo = hi = k
        while hi + 1 < len(p.sentences) and p.block_at(p.sentences[hi + 1][0]) is first:
            hi += 1
            if first is not None and first.kind not in ("code", "list_item", "table") and hi - lo >= 1:
                break
    return lo, hi
