"""The retrieval tables of one process, compact: columns and arrays, no record per passage.

Rows are passages in (source, ordinal) order. Per row: its id, text, document, numbers (ordinal, offsets,
paragraphs), encoded unit spans, blocks and section path (decoded only when a row becomes a ``Passage``: a hit or
a context), its passage vector, its units' vectors, its tokens (``lexical.TokenRows``) and its section-path
tokens. Vectors are float32 while the corpus is searched in memory (exact scans with BLAS), float16 above
``IndexSettings.memory_search_passages``, where nearest neighbours come from Chroma and the tables only score
candidates (half the memory; scores move by less than 1e-3).

``build`` takes the previous tables and reads from the store only the documents whose version changed, so a
reload after a small change costs little, and the tables are saved (``snapshot.py``) for the next start.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .chunking import header_of, is_question
from .lexical import LexicalIndex, Lexicon, TokenRows, flat_rows, tokenize
from .models import Passage, SourceInfo
from .records import PassageColumns, concat_columns, decode_blocks, decode_spans
from .store import Store

log = logging.getLogger(__name__)

LEXICAL_HEADER = True  # the BM25 field of a sectioned document's passage includes its contextual header


@dataclass
class Tables:
    generation: str
    collection: str  # the passages collection's id
    memory_search: bool  # nearest neighbours from these tables (else from Chroma)
    ids: list[str]
    texts: list[str]
    doc: np.ndarray  # int32: row -> index into the per-document lists
    doc_ids: list[str]
    versions: list[str]
    sources_of: list[str]
    titles: list[str]
    page_urls: list[str]
    numbers: np.ndarray  # (n, 6) int32: ordinal, start, end, first paragraph, last paragraph, paragraph count
    markup: np.ndarray  # bool
    spans_raw: list[str]
    blocks_raw: list[str]
    sections_raw: list[str]
    vectors: np.ndarray  # passage vectors
    unit_ptr: np.ndarray  # int64, rows + 1: the units of row r are unit_vectors[unit_ptr[r]:unit_ptr[r + 1]]
    unit_vectors: np.ndarray
    pair_norm: (
        np.ndarray
    )  # float32 per unit: norm of (this unit's vector + the next unit's), 0 for a last unit
    lexical: LexicalIndex
    headings: TokenRows  # per row: the token ids of its blocks' section paths
    sources: list[SourceInfo]
    row_of: dict[str, int] = field(default_factory=dict)
    by_doc: dict[str, list[int]] = field(default_factory=dict)
    title_marks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _cache: dict[int, Passage] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def load(
        cls, store: Store, previous: Tables | None = None, memory_search_passages: int = 20_000
    ) -> Tables:
        """The store's live passages now (see ``build``)."""
        return build(store, store.generation(), memory_search_passages, previous)

    @property
    def passages(self) -> PassageView:
        return PassageView(self)

    def passage(self, row: int) -> Passage:
        """Row ``row`` as a record (decoded on first use; the last few are kept)."""
        p = self._cache.get(row)
        if p is not None:
            return p
        d = int(self.doc[row])
        n = self.numbers[row]
        section = self.sections_raw[row]
        p = Passage(
            passage_id=self.ids[row],
            doc_id=self.doc_ids[d],
            source=self.sources_of[d],
            title=self.titles[d],
            version=self.versions[d],
            ordinal=int(n[0]),
            text=self.texts[row],
            start=int(n[1]),
            end=int(n[2]),
            first_paragraph=int(n[3]),
            last_paragraph=int(n[4]),
            paragraph_count=int(n[5]),
            sentences=decode_spans(self.spans_raw[row]),
            blocks=decode_blocks(self.blocks_raw[row]),
            section=tuple(json.loads(section)) if section else (),
            page_url=self.page_urls[d] or None,
            markup=bool(self.markup[row]),
        )
        if len(self._cache) >= 256:
            self._cache.clear()
        self._cache[row] = p
        return p

    def doc_of(self, row: int) -> str:
        return self.doc_ids[int(self.doc[row])]

    def units(self, row: int) -> slice:
        return slice(int(self.unit_ptr[row]), int(self.unit_ptr[row + 1]))

    def nbytes(self) -> dict[str, int]:
        """Approximate bytes per part, for the benchmarks."""
        strings = sum(len(t) for t in self.texts) + sum(len(b) for b in self.blocks_raw)
        return {
            "vectors": self.vectors.nbytes + self.unit_vectors.nbytes + self.pair_norm.nbytes,
            "tokens": self.lexical.rows.nbytes + self.headings.nbytes,
            "bm25": sum(a.nbytes for a in self.lexical._bm25.scores.values() if isinstance(a, np.ndarray)),
            "text": strings,
        }


class PassageView(Sequence):
    """The rows as ``Passage`` records, decoded on access."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def __len__(self) -> int:
        return len(self._t)

    def __getitem__(self, row):  # type: ignore[override]
        if isinstance(row, slice):
            return [self._t.passage(r) for r in range(*row.indices(len(self._t)))]
        return self._t.passage(row)


def _take(values: list, order: Sequence[int]) -> list:
    return [values[i] for i in order]


def _gather(parts: list[tuple[np.ndarray, np.ndarray]], order: np.ndarray, dtype: type) -> np.ndarray:
    """Rows ``order`` of the concatenation of ``parts`` (each: an array and the indices of its rows taken), as one
    new array of ``dtype``, filled a chunk at a time: no full-size temporary beside the result."""
    bounds = np.cumsum([0] + [len(idx) for _, idx in parts])
    out = np.empty((len(order), *parts[0][0].shape[1:]), dtype)
    for a in range(0, len(order), 65536):
        src = order[a : a + 65536]
        part = np.searchsorted(bounds, src, side="right") - 1
        for k, (values, idx) in enumerate(parts):
            mine = part == k
            if mine.any():
                out[a : a + 65536][mine] = values[idx[src[mine] - bounds[k]]]
    return out


def _pair_norms(vectors: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """Norm of each unit vector plus the next one of the same passage (0 for a passage's last unit)."""
    out = np.zeros(len(vectors), dtype=np.float32)
    if len(vectors) < 2:
        return out
    last = np.zeros(len(vectors), dtype=bool)
    last[ptr[1:][ptr[1:] > ptr[:-1]] - 1] = True
    first = np.flatnonzero(~last[:-1])
    if len(first):
        for a in range(0, len(first), 8192):  # small chunks: three float32 temporaries each
            idx = first[a : a + 8192]
            summed = vectors[idx].astype(np.float32) + vectors[idx + 1].astype(np.float32)
            out[idx] = np.linalg.norm(summed, axis=1)
    return out


def _heading_fields(blocks_raw: Sequence[str]) -> list[str]:
    """Per row, the texts of its blocks' section paths (one per line)."""
    out = []
    for raw in blocks_raw:
        if not raw:
            out.append("")
            continue
        out.append("\n".join(h for p in json.loads(raw)["p"] for h in p))
    return out


def _lexical_fields(cols: PassageColumns) -> list[str]:
    """Per row, the text BM25 and coverage see: the passage text, after its contextual header when it has one."""
    fields = []
    for i, text in enumerate(cols.texts):
        if LEXICAL_HEADER and cols.markup[i]:
            section = tuple(json.loads(cols.sections[i])) if cols.sections[i] else ()
            first = json.loads(cols.blocks[i])["b"][0] if cols.blocks[i] else None
            header = header_of(
                cols.titles[i], section, first is not None and first[0] == "heading" and first[1] == 0
            )
            if header:
                text = f"{header}\n{text}"
        fields.append(text)
    return fields


def _heading_rows(lexicon: Lexicon, blocks_raw: Sequence[str]) -> TokenRows:
    """Section-path tokens per row (ids in ``lexicon``), distinct; tf and length unused."""
    ptr, ids = [0], []
    for text in _heading_fields(blocks_raw):
        toks = sorted({lexicon.id_of(t) for t in tokenize(text)}) if text else []
        ids.extend(toks)
        ptr.append(len(ids))
    n = len(ptr) - 1
    return TokenRows(
        np.asarray(ptr, dtype=np.int64),
        np.asarray(ids, dtype=np.int32),
        np.ones(len(ids), dtype=np.int32),
        np.zeros(n, dtype=np.int32),
    )


def build(
    store: Store, generation: str, memory_search_passages: int, previous: Tables | None = None
) -> Tables:
    """The tables of the store's live passages, reusing ``previous`` rows whose document version is unchanged."""
    markers = store.markers()
    live = {d: m.version for d, m in markers.items()}
    collection = store.collection_id()
    if previous is not None and previous.collection != collection:
        previous = None  # the collections were re-created: nothing carries over
    kept_rows: list[int] = []
    if previous is not None:
        kept_docs = {
            d
            for i, d in enumerate(previous.doc_ids)
            if live.get(d) == previous.versions[i]
            and len(previous.by_doc.get(d, ())) == markers[d].passages
            and all(_complete(previous, r) for r in previous.by_doc[d])
        }
        fetch = sorted(d for d in live if d not in kept_docs)
        if not fetch and len(kept_docs) == len(previous.doc_ids):
            same_mode = previous.memory_search == (len(previous) <= memory_search_passages)
            if same_mode:  # nothing changed: the same arrays serve, with the new generation and sources
                return _renewed(previous, generation, markers)
        kept_rows = [r for d in kept_docs for r in previous.by_doc[d]]
        new = store.passage_columns(live, fetch) if fetch else None
    else:
        new = store.passage_columns(live, None)
    n_new = len(new.ids) if new is not None else 0
    total = len(kept_rows) + n_new
    memory_search = total <= memory_search_passages
    dtype = np.float32 if memory_search else np.float16
    unit_counts = [len(decode_spans(s)) for s in new.spans] if new is not None else []
    new_units, complete = (
        store.unit_vectors(new.ids, unit_counts, dtype) if n_new else (np.zeros((0, store.dim), dtype), [])
    )
    unit_counts = [n if ok else 0 for n, ok in zip(unit_counts, complete, strict=True)]
    lexicon = previous.lexical.lexicon.copy() if previous is not None else Lexicon()
    # columns of the kept rows, then the new ones
    if previous is not None and kept_rows:
        kr = np.asarray(kept_rows, dtype=np.int64)
        old_docs = previous.doc[kr]
        kept = PassageColumns(
            ids=_take(previous.ids, kept_rows),
            texts=_take(previous.texts, kept_rows),
            doc_ids=[previous.doc_ids[d] for d in old_docs],
            versions=[previous.versions[d] for d in old_docs],
            sources=[previous.sources_of[d] for d in old_docs],
            titles=[previous.titles[d] for d in old_docs],
            numbers=previous.numbers[kr],
            spans=_take(previous.spans_raw, kept_rows),
            blocks=_take(previous.blocks_raw, kept_rows),
            sections=_take(previous.sections_raw, kept_rows),
            page_urls=[previous.page_urls[d] for d in old_docs],
            markup=previous.markup[kr],
            vectors=np.zeros((len(kr), 0), np.float32),  # taken below, in their own dtype
        )
        kept_unit_pos, _ = flat_rows(previous.unit_ptr, kr)
        kept_counts = (previous.unit_ptr[kr + 1] - previous.unit_ptr[kr]).tolist()
        kept_tokens = previous.lexical.rows.take(kr)
        kept_heads = previous.headings.take(kr)
        old_vectors, old_units = (previous.vectors, kr), (previous.unit_vectors, kept_unit_pos)
        old_pairs = (previous.pair_norm, kept_unit_pos)  # a kept row keeps all its units: same pairs
    else:
        kept, kept_counts = None, []
        kept_tokens = kept_heads = None
        empty = np.zeros((0, store.dim), dtype)
        old_vectors = old_units = (empty, np.zeros(0, dtype=np.int64))
        old_pairs = (np.zeros(0, np.float32), np.zeros(0, dtype=np.int64))
    new_tokens = lexicon.rows(_lexical_fields(new)) if n_new else None
    new_heads = _heading_rows(lexicon, new.blocks) if n_new else None
    parts = [c for c in (kept, new) if c is not None and len(c.ids)]
    cols = concat_columns(
        [PassageColumns(**{**c.__dict__, "vectors": np.zeros((len(c.ids), 0), np.float32)}) for c in parts],
        0,
    )
    tokens = TokenRows.concat([t for t in (kept_tokens, new_tokens) if t is not None])
    heads = TokenRows.concat([t for t in (kept_heads, new_heads) if t is not None])
    counts = np.asarray(kept_counts + unit_counts, dtype=np.int64)
    unit_start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    # rows in (source, ordinal) order
    source_rank = {s: i for i, s in enumerate(sorted(set(cols.sources)))}
    order = np.lexsort(
        (cols.numbers[:, 0], np.asarray([source_rank[s] for s in cols.sources], dtype=np.int64))
    )
    order_l = order.tolist()
    unit_order, _ = flat_rows(unit_start, order)
    unit_ptr = np.concatenate([[0], np.cumsum(counts[order])]).astype(np.int64)
    # the vectors in row order, gathered straight from the previous tables and the new reads
    new_vectors = (new.vectors, np.arange(n_new)) if n_new else old_vectors[:1] + (np.zeros(0, np.int64),)
    taken = np.arange(len(new_units))
    new_ptr = np.concatenate([[0], np.cumsum(unit_counts)]).astype(np.int64)
    vectors = _gather([old_vectors, new_vectors], order, dtype)
    unit_vectors = _gather([old_units, (new_units, taken)], unit_order, dtype)
    pair_norm = _gather([old_pairs, (_pair_norms(new_units, new_ptr), taken)], unit_order, np.float32)
    first_row: dict[str, int] = {}
    for i, d in enumerate(cols.doc_ids):
        first_row.setdefault(d, i)
    doc_ids = sorted(first_row, key=lambda d: source_rank[cols.sources[first_row[d]]])
    doc_index = {d: i for i, d in enumerate(doc_ids)}
    ids = _take(cols.ids, order_l)
    doc = np.asarray([doc_index[cols.doc_ids[i]] for i in order_l], dtype=np.int32)
    by_doc = rows_by_doc(doc, doc_ids)
    texts = _take(cols.texts, order_l)
    spans_raw = _take(cols.spans, order_l)
    tokens = tokens.take(order)
    sources = _sources(markers, by_doc)

    return Tables(
        generation=generation,
        collection=collection,
        memory_search=memory_search,
        ids=ids,
        texts=texts,
        doc=doc,
        doc_ids=doc_ids,
        versions=[cols.versions[first_row[d]] for d in doc_ids],
        sources_of=[cols.sources[first_row[d]] for d in doc_ids],
        titles=[cols.titles[first_row[d]] for d in doc_ids],
        page_urls=[cols.page_urls[first_row[d]] for d in doc_ids],
        numbers=cols.numbers[order],
        markup=cols.markup[order],
        spans_raw=spans_raw,
        blocks_raw=_take(cols.blocks, order_l),
        sections_raw=_take(cols.sections, order_l),
        vectors=vectors,
        unit_ptr=unit_ptr,
        unit_vectors=unit_vectors,
        pair_norm=pair_norm,
        lexical=LexicalIndex(texts, SpanView(spans_raw), lexicon=lexicon, rows=tokens),
        headings=heads.take(order),
        sources=sources,
        row_of={pid: i for i, pid in enumerate(ids)},
        by_doc=by_doc,
        title_marks=title_marks(sources),
    )


def _complete(t: Tables, row: int) -> bool:
    """Whether row ``row`` has a vector for each of its units (else its document is read again)."""
    raw = t.spans_raw[row]
    return int(t.unit_ptr[row + 1] - t.unit_ptr[row]) == (raw.count(",") + 1 if raw else 0)


def _sources(markers: dict, by_doc: dict[str, list[int]]) -> list[SourceInfo]:
    return sorted(
        (SourceInfo(m.doc_id, m.source, m.title, len(by_doc.get(m.doc_id, ()))) for m in markers.values()),
        key=lambda s: (s.title.casefold(), s.source),
    )


def _renewed(t: Tables, generation: str, markers: dict) -> Tables:
    sources = _sources(markers, t.by_doc)
    return dataclasses.replace(
        t, generation=generation, sources=sources, title_marks=title_marks(sources), _cache={}
    )


def rows_by_doc(doc: np.ndarray, doc_ids: list[str]) -> dict[str, list[int]]:
    by_doc: dict[str, list[int]] = {}
    for row, d in enumerate(doc.tolist()):
        by_doc.setdefault(doc_ids[d], []).append(row)
    return by_doc


def title_marks(sources: list[SourceInfo]) -> dict[str, tuple[str, ...]]:
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


class SpanView(Sequence):
    """Unit spans of each row, decoded on access (sentence coverage only)."""

    def __init__(self, raw: list[str]) -> None:
        self._raw = raw

    def __len__(self) -> int:
        return len(self._raw)

    def __getitem__(self, i):  # type: ignore[override]
        return decode_spans(self._raw[i])


def section_heads(t: Tables, row: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit indices (into ``t.unit_vectors``) of the headings of row ``row``'s section path, those above the
    passage (in earlier passages of its document) and those inside it; and for each, whether it is a question.
    Computed on demand: only evidence with a zero blend weight uses it."""
    doc_rows = t.by_doc[t.doc_of(row)]
    stack: list[tuple[int, int, bool]] = []  # (heading level, unit index, question)
    inside: list[tuple[int, bool]] = []
    for r in doc_rows[: doc_rows.index(row) + 1]:
        p = t.passage(r)
        units = range(t.units(r).start, t.units(r).stop)
        inside = []
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
    return np.asarray([j for j, _ in both], dtype=np.int64), np.asarray([q for _, q in both], dtype=bool)
