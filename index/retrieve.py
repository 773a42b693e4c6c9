"""Question -> `Answer`: hybrid retrieval (dense + sentence + BM25), calibrated confidence, hygiene, focus."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from . import assemble, links, ranking, snapshot
from .config import IndexSettings
from .embedding import Embedder, vectors_of
from .errors import EmptyIndexError, QuestionError, UnknownSourceError
from .focus import focus_span, pair_similarities
from .hygiene import apply_hygiene
from .lexical import flat_rows, rows_containing, tokenize
from .memory import return_free_memory
from .models import Answer, Hit, IndexReport, Passage, SourceInfo
from .questions import validate_question
from .smalltalk import is_small_talk
from .store import Store
from .tables import Tables, section_heads

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")
CANDIDATES = 50  # candidates taken from each ranker before fusion
# Confidence rules of the single-evidence modes (the hybrid rule lives in ranking.py).
DENSE_THRESHOLD = 0.5
BM25_THRESHOLD = 0.75
RELOAD_ATTEMPTS = 3  # reads of a moving store before serving the newest one anyway


_State = Tables  # the tables a retriever answers from (index/tables.py)


@dataclass(frozen=True)
class _Scored:
    row: int
    score: float
    qv: np.ndarray | None = (
        None  # the question's vector (None in bm25 mode): the hit's focus is computed from it
    )
    evidence: ranking.Evidence | None = None


# Passages from which a first start without saved tables gives back chromadb's indexes afterwards (see
# Store.release_indexes; measured at 100k: see README "Memory and large corpora").
RELEASE_AFTER_COLD_START = 10_000


class Retriever:
    """Answers questions from a quotebot store. Thread-safe; every method blocks (run it off the event loop)."""

    def __init__(self, store: Store, embedder: Embedder, settings: IndexSettings | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings or IndexSettings()
        self._lock = threading.Lock()  # one reload at a time
        self._index_lock = threading.Lock()  # one indexing run at a time
        self._failing = False
        self._in_flight = 0  # questions being answered now (late interaction only for one asked alone)
        self._flight_lock = threading.Lock()
        self._checker: threading.Thread | None = None
        self._lost_said = False
        self.last_note: str | None = None  # what the last reindex had to repair first, for the admin
        self._saved_generation: str | None = None
        self._state = self._load()
        self._checked = time.monotonic()
        if self._saved_generation is None and len(self._state.passages) >= RELEASE_AFTER_COLD_START:
            # Every row was read from the store (no saved tables): chromadb holds every index it touched.
            self.store.release_indexes()
        return_free_memory()  # the store reads' buffers
        self._save()

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

    def _load(self, previous: Tables | None = None) -> Tables:
        """Tables read while the store stood still: the generation is the same before and after the read,
        else it is read again (up to RELOAD_ATTEMPTS times; then the newest read serves until the next
        check). Rows of documents whose version did not change are taken from ``previous`` (the tables in
        service, or the snapshot saved by the last process), not read again."""
        if previous is None:
            previous = snapshot.load(self.store, self.settings)
            self._saved_generation = previous.generation if previous is not None else None
        state = Tables.load(self.store, previous, self.settings.memory_search_passages)
        for _ in range(RELOAD_ATTEMPTS - 1):
            if self.store.generation() == state.generation:
                break
            log.info("the store changed while the retrieval tables were read; reading again")
            state = Tables.load(self.store, state, self.settings.memory_search_passages)
        return state

    def _save(self) -> None:
        """Save the tables in service for the next start, once per generation (after the swap, so that the
        writing never overlaps the old and the new tables)."""
        state = self._state
        if state.generation != self._saved_generation:
            self._saved_generation = state.generation
            snapshot.save(self.store, self.settings, state)

    def _reload(self) -> None:
        try:
            state = self._load(self._state)
        except Exception as error:  # noqa: BLE001 - a reload must never fail a question
            self._note_failure(error)
            self._checked = -float("inf")  # try again at the next request
            return
        self._state = state
        del state
        self._checked = time.monotonic()
        self._recovered()
        return_free_memory()
        self._save()

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

    def context(
        self, passage_id: str, span: tuple[int, int] | None = None
    ) -> tuple[Passage | None, Passage | None, Passage | None]:
        """The passages before and after ``passage_id`` in its document (no model call); with ``span`` (a grown
        quote's first and last ordinals, ``Hit.span``), the quote itself and the passages around all of it.

        An id from an older version of the document resolves to the passage now at the same ordinal."""
        state = self._current()
        row = state.row_of.get(passage_id)
        if row is None:
            doc_id, _, rest = passage_id.partition("-")
            ordinal = rest.rpartition("-")[2]
            rows = state.by_doc.get(doc_id, [])
            match = [r for r in rows if ordinal.isdigit() and int(state.numbers[r, 0]) == int(ordinal)]
            if not match:
                return None, None, None
            row = match[0]
        rows = state.by_doc[state.doc_of(row)]
        lo = hi = rows.index(row)
        this = state.passage(row)
        if span is not None:
            ordinals = [int(state.numbers[r, 0]) for r in rows]
            if span[0] in ordinals and span[1] in ordinals and span[0] <= ordinals[lo] <= span[1]:
                first, last = ordinals.index(span[0]), ordinals.index(span[1])
                try:
                    joined = assemble.join([state.passage(r) for r in rows[first : last + 1]])
                except ValueError:  # the document changed since: the passage alone
                    joined = None
                if joined is not None:
                    lo, hi = first, last
                    this = replace(joined, passage_id=this.passage_id, ordinal=this.ordinal)
        before = self._linked(state.passage(rows[lo - 1])) if lo > 0 else None
        after = self._linked(state.passage(rows[hi + 1])) if hi + 1 < len(rows) else None
        return before, self._linked(this), after

    def _linked(self, p: Passage) -> Passage:
        """``p`` with its links' addresses made absolute (or dropped), as in a `Hit`."""
        blocks = links.resolve_links(p.blocks, p.source, p.page_url, self.settings.source_url)
        return p if blocks == p.blocks else replace(p, blocks=blocks)

    # -- search ----------------------------------------------------------------------------------------------
    def search(
        self,
        question: str,
        k: int = 3,
        *,
        offset: int = 0,
        source: str | None = None,
        mode: str = "hybrid",
        rescore: bool | None = None,
    ) -> Answer:
        """The best ``k`` quotes for ``question`` (after skipping ``offset``), best first.

        ``rescore``: whether the first candidates are re-ordered by late interaction (``settings.rerank``);
        None decides by load (skipped while other questions are being answered). A later page passes the first
        page's ``Answer.rescored`` so that its quotes come from the same ranking (no quote repeated or skipped)."""
        q = validate_question(question)
        if mode not in MODES:
            raise QuestionError(f"Unknown retriever “{mode}”: choose one of {', '.join(MODES)}.")
        state = self._current()
        if not state.passages:
            raise EmptyIndexError("Nothing is indexed yet: run `quotebot index` (or /reindex) first.")
        doc_id = self.resolve_source(source).doc_id if source else None
        if is_small_talk(q, tokenize(q)):
            return Answer(question=q, answered=False, hits=(), small_talk=True)
        with self._flight_lock:
            self._in_flight += 1
        try:
            ranked = self._rank(state, q, mode, doc_id)
            rescored = mode == "hybrid" and self.settings.rerank > 1 and len(ranked) > 1
            rescored = rescored and hasattr(self.embedder, "embed_tokens")  # else nothing could change
            rescored = rescored and (self._alone() if rescore is None else rescore)
            if rescored:
                ranked = self._rescore(state, q, ranked, self.settings.rerank)
        finally:
            with self._flight_lock:
                self._in_flight -= 1
        threshold = self.threshold(mode)
        start, stop = max(0, offset), max(0, offset) + max(1, k)
        ranked = apply_hygiene(state, q, ranked, named=doc_id is not None, need=stop + assemble.POOL)
        # a quote may take in up to POOL - 1 later candidates: the first stop + POOL candidates after hygiene are
        # the same for every page of this question, so pages never repeat or skip a quote
        quotes = assemble.grow(ranked, state.passage)
        answered = bool(quotes) and quotes[0][0].score >= threshold
        page = quotes[start:stop]
        return Answer(
            question=q,
            answered=answered,
            hits=tuple(self._hit(state, s, rows) for s, rows in page),
            rescored=rescored,
        )

    def _alone(self) -> bool:
        """True when no other question is being answered: late interaction costs a forward pass over the first
        candidates (~40 ms for 3 on 2 cores), which a burst of questions cannot afford (each would wait for the
        others' passes); their first quotes then come from the blend alone, as with ``rerank=0``."""
        with self._flight_lock:
            return self._in_flight <= 1

    def threshold(self, mode: str = "hybrid") -> float:
        if mode == "dense":
            return DENSE_THRESHOLD
        if mode == "bm25":
            return BM25_THRESHOLD
        if self.settings.min_score is not None:
            return self.settings.min_score
        return ranking.CONFIDENCE_THRESHOLD

    def _rank(
        self, state: Tables, q: str, mode: str, doc_id: str | None, *, full: bool = False
    ) -> list[_Scored]:
        """Candidates scored and sorted, best first. ``full``: every evidence field is computed (for fitting the
        blend); otherwise fields whose blend weight is 0 are left at 0, which changes no score."""
        allowed = state.by_doc.get(doc_id, []) if doc_id else None
        qv = np.asarray(self.embedder.embed_query(q), dtype=np.float32) if mode != "bm25" else None
        q_tokens = state.lexical.query_tokens(q)
        q_weights = state.lexical.weights(q_tokens)
        unknown = state.lexical.unknown_share(q_tokens)
        candidates: dict[int, None] = {}
        if qv is not None:
            for row in self._dense_rows(state, qv, CANDIDATES + 10, allowed, doc_id):
                candidates[row] = None
        bm = state.lexical.scores(q_tokens) if mode != "dense" else np.zeros(len(state), dtype=np.float32)
        if allowed is not None:
            mask = np.zeros(len(bm), dtype=bool)
            mask[allowed] = True
            bm = np.where(mask, bm, 0.0)
        bm_max = float(bm.max()) if len(bm) else 0.0
        if mode != "dense" and bm_max > 0:
            n_top = min(CANDIDATES, len(bm))
            top = np.argpartition(-bm, n_top - 1)[:n_top]
            for row in top.tolist():
                if bm[row] > 0:
                    candidates[row] = None
        sent_all = None
        if mode == "hybrid" and state.memory_search and len(state.unit_vectors):
            # exact unit-level candidates (in memory); above memory_search_passages the units are scored only
            # for the candidates of the passage vectors and BM25 (see README, "Scaling out")
            sent_all = state.unit_vectors @ qv
            n_best = min(CANDIDATES * 2, len(sent_all))
            best = np.argpartition(-sent_all, n_best - 1)[:n_best]
            owners = np.searchsorted(state.unit_ptr, best, side="right") - 1
            allowed_set = set(allowed) if allowed is not None else None
            for row in owners.tolist():
                if allowed_set is None or row in allowed_set:
                    candidates[row] = None
        rows = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
        if not len(rows):
            return []
        if mode == "dense":
            dense = _dots(state.vectors, rows, qv)
            scores = np.clip(dense, 0.0, 1.0)
        elif mode == "bm25":
            coverage = state.lexical.coverage_rows(q_weights, rows)
            scores = coverage * (bm[rows] / bm_max if bm_max > 0 else 0.0)
        else:
            ev = self._evidence(state, rows, qv, sent_all, q_weights, bm, bm_max, unknown, full)
            scores = ranking.blend_arrays(ev)
        if mode == "bm25":
            order = sorted(range(len(rows)), key=lambda i: (-float(bm[rows[i]]), int(rows[i])))
            # keep a [0, 1] score that is monotonic with the BM25 order
            best = float(scores[order[0]])
            return [_Scored(int(rows[i]), min(float(scores[i]), best), None) for i in order]
        order = sorted(range(len(rows)), key=lambda i: (-float(scores[i]), int(rows[i])))
        if mode == "dense":
            return [_Scored(int(rows[i]), float(scores[i]), qv) for i in order]
        return [
            _Scored(
                int(rows[i]),
                float(scores[i]),
                qv,
                ranking.Evidence(**{k: float(v[i]) for k, v in ev.items()}) if full else None,
            )
            for i in order
        ]

    def _rescore(self, state: Tables, q: str, ranked: list[_Scored], n: int) -> list[_Scored]:
        """The first ``n`` candidates re-ordered by late interaction (``ranking.rescored``), still ahead of the
        others. Needs an embedder with token embeddings (``search`` asks only then)."""
        head, tail = ranked[:n], ranked[n:]
        vectors = self.embedder.embed_tokens([q] + [state.texts[s.row] for s in head])
        maxsim = ranking.late_interaction(vectors[0], vectors[1:])
        scores = ranking.rescored(np.asarray([s.score for s in head]), maxsim)
        head = sorted(
            (replace(s, score=float(v)) for s, v in zip(head, scores, strict=True)),
            key=lambda s: (-s.score, s.row),
        )
        # the re-scored candidates keep their places ahead of the others, whose scores never exceed theirs
        floor = head[-1].score
        return head + [replace(s, score=min(s.score, floor)) for s in tail]

    def _dense_rows(
        self, state: Tables, qv: np.ndarray, n: int, allowed: list[int] | None, doc_id: str | None
    ) -> list[int]:
        """The rows of the ``n`` passages nearest ``qv``: an exact scan of the tables in memory up to
        ``memory_search_passages``; above, Chroma's index (one query), or the exact scan when Chroma fails."""
        if state.memory_search or self._failing:
            return _nearest_rows(state.vectors, qv, n, allowed)
        try:
            found = self.store.query_passages(qv, n, doc_id, total=len(state))
        except Exception as error:  # noqa: BLE001 - the tables in memory still answer
            level = logging.DEBUG if self._failing else logging.WARNING
            log.log(level, "Chroma's index did not answer (%s): searching the tables in memory", error)
            self._failing = True  # until a freshness check reaches the store again
            self._checked = min(self._checked, time.monotonic() - self.settings.refresh_seconds)
            return _nearest_rows(state.vectors, qv, n, allowed)
        return [r for pid, _ in found if (r := state.row_of.get(pid)) is not None]

    def _evidence(
        self,
        state: Tables,
        rows: np.ndarray,
        qv: np.ndarray,
        sent_all: np.ndarray | None,
        q_weights: dict[str, float],
        bm: np.ndarray,
        bm_max: float,
        unknown: float,
        full: bool,
    ) -> dict[str, np.ndarray]:
        """The blend's evidence (``ranking.Evidence`` fields) of every candidate row, as arrays."""
        n = len(rows)
        dense = _dots(state.vectors, rows, qv)
        pos, owner = flat_rows(state.unit_ptr, rows)
        sims = sent_all[pos] if sent_all is not None else _dots(state.unit_vectors, pos, qv)
        best_unit = np.full(n, -np.inf)
        np.maximum.at(best_unit, owner, sims)
        pairs = np.flatnonzero(owner[:-1] == owner[1:]) if len(owner) > 1 else np.zeros(0, dtype=np.int64)
        if len(pairs):
            pair_sims = (sims[pairs] + sims[pairs + 1]) / np.maximum(state.pair_norm[pos[pairs]], 1e-12)
            np.maximum.at(best_unit, owner[pairs], pair_sims)
        best_unit = np.where(np.isfinite(best_unit), best_unit, dense)
        total = sum(q_weights.values())
        heading_cov = np.zeros(n)
        if total > 0:
            toks = list(q_weights)
            ids = np.asarray([state.lexical.lexicon.ids.get(t, -1) for t in toks], dtype=np.int64)
            present = rows_containing(state.headings.ptr, state.headings.ids, rows, ids)
            heading_cov = present @ np.asarray([q_weights[t] for t in toks]) / total
        ev = {
            "dense": dense.astype(np.float64),
            "sentence": best_unit.astype(np.float64),
            "lexical": bm[rows] / bm_max if bm_max > 0 else np.zeros(n),
            "coverage": state.lexical.coverage_rows(q_weights, rows),
            "sentence_coverage": np.zeros(n),
            "heading": np.zeros(n),
            "faq": np.zeros(n),
            "heading_coverage": heading_cov,
            "unknown": np.full(n, unknown),
        }
        if full or ranking.W_SENTENCE_COVERAGE:
            ev["sentence_coverage"] = np.asarray(
                [state.lexical.sentence_coverage(q_weights, r) for r in rows]
            )
        if full or ranking.W_HEADING or ranking.W_FAQ:
            for i, r in enumerate(rows.tolist()):
                heads, q_heads = section_heads(state, r)
                if len(heads):
                    head_sims = _dots(state.unit_vectors, heads, qv)
                    ev["heading"][i] = float(head_sims.max())
                    ev["faq"][i] = float(head_sims[q_heads].max()) if q_heads.any() else 0.0
        return ev

    def _hit(self, state: Tables, s: _Scored, rows: list[int] | None = None) -> Hit:
        """The quote of candidate ``s``, grown over ``rows`` (consecutive passages, ``s.row`` among them; see
        index/assemble.py) when given. Its focus is the best unit, or pair of units, of all of them."""
        rows = rows or [s.row]
        parts = [state.passage(r) for r in rows]
        lead = parts[rows.index(s.row)]
        p = replace(assemble.join(parts), passage_id=lead.passage_id, ordinal=lead.ordinal)
        sims_parts, pair_parts = [], []
        for i, r in enumerate(rows):
            units = state.units(r)
            if s.qv is None:  # no question vector (BM25 alone): the first unit is the focus
                sims_parts.append(np.zeros(units.stop - units.start, dtype=np.float32))
                continue
            sims = _dots(state.unit_vectors, np.arange(units.start, units.stop), s.qv)
            if i:
                pair_parts.append(np.asarray([-np.inf], dtype=np.float32))  # no pair across two passages
            sims_parts.append(sims)
            pair_parts.append(pair_similarities(sims, state.pair_norm[units]))
        sims = np.concatenate(sims_parts)
        pair_sims = np.concatenate(pair_parts) if pair_parts else np.zeros(0, dtype=np.float32)
        focus = focus_span(p, sims, pair_sims)
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
            blocks=links.resolve_links(p.blocks, p.source, p.page_url, self.settings.source_url),
            markup=p.markup,
            span=(parts[0].ordinal, parts[-1].ordinal) if len(parts) > 1 else None,
        )


def _nearest_rows(vectors: np.ndarray, qv: np.ndarray, n: int, allowed: list[int] | None) -> list[int]:
    """Rows of the ``n`` passage vectors most similar to ``qv`` (exact, from the tables in memory: a question
    never waits on the store, and answers while a Chroma server is down)."""
    if not len(vectors) or n <= 0:
        return []
    sims = vectors @ qv if vectors.dtype == np.float32 else _dots(vectors, np.arange(len(vectors)), qv)
    if allowed is not None:
        mask = np.full(len(sims), -np.inf, dtype=np.float32)
        mask[allowed] = 0.0
        sims = sims + mask
    n = min(n, len(sims))
    top = np.argpartition(-sims, n - 1)[:n]
    return [int(r) for r in top[np.argsort(-sims[top], kind="stable")] if np.isfinite(sims[r])]


def _dots(vectors: np.ndarray, rows: np.ndarray, qv: np.ndarray) -> np.ndarray:
    """Cosines of the given rows of ``vectors`` (float32 or float16) with ``qv``, in float32."""
    if not len(rows):
        return np.zeros(0, dtype=np.float32)
    return vectors[rows].astype(np.float32, copy=False) @ qv
