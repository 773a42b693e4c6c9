"""The retrieval tables saved to disk after a load, so that the next start reads one file instead of every row
from Chroma (100k passages: seconds instead of minutes; benchmarks/RESULTS.md, "Scale").

A snapshot is a cache, never the truth: it names the store's generation and the passages collection's id, and
``tables.build`` takes from it only the rows of documents whose version is still live (with the right passage
count); everything else is read from the store. A snapshot from another tokenizer or table layout, or one that
cannot be read, is ignored. Embedded store: ``<store_dir>/tables.npz``; server: the cache folder
(``~/.cache/quotebot/tables/``), one file per server and collection prefix.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import zipfile
from pathlib import Path

import numpy as np

from . import lexical, stopwords, tables
from .config import TABLES_FILE, IndexSettings
from .lexical import LexicalIndex, Lexicon, TokenRows
from .models import SourceInfo
from .store import Store

log = logging.getLogger(__name__)

_STRINGS = ("ids", "texts", "spans_raw", "blocks_raw", "sections_raw")
_ARRAYS = ("doc", "numbers", "markup", "vectors", "unit_ptr", "unit_vectors", "pair_norm")
_DOC_LISTS = ("doc_ids", "versions", "sources_of", "titles", "page_urls")
_save_lock = threading.Lock()
_pending: list[threading.Thread] = []


def _layout() -> str:
    """Changes whenever the tokenizer or the table layout may have: a hash of their modules' source."""
    h = hashlib.sha1()
    for module in (lexical, stopwords, tables):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:16]


def path_for(settings: IndexSettings) -> Path:
    url = settings.server_url()
    if url is None:
        return Path(settings.store_dir) / TABLES_FILE
    from .embedding import EncoderSettings
    from .export import default_cache_dir

    key = hashlib.sha1(f"{url}|{settings.collection}".encode()).hexdigest()[:16]
    return (EncoderSettings().cache_dir or default_cache_dir()) / "tables" / f"{key}.npz"


def _strings(values: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter((len(v) for v in values), dtype=np.int64, count=len(values))
    return np.frombuffer("".join(values).encode("utf-8", "surrogatepass"), dtype=np.uint8), lengths


def _unstrings(blob: np.ndarray, lengths: np.ndarray) -> list[str]:
    text = blob.tobytes().decode("utf-8", "surrogatepass")
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends[:-1]] if ends else []
    return [text[a:b] for a, b in zip(starts, ends, strict=True)]


def _payload(store: Store, t: tables.Tables) -> dict[str, np.ndarray]:
    meta = {
        "layout": _layout(),
        "generation": t.generation,
        "collection": t.collection,
        "model": store.model,
        "dim": store.dim,
        "memory_search": t.memory_search,
        "docs": {k: getattr(t, k) for k in _DOC_LISTS},
        "sources": [[s.doc_id, s.source, s.title, s.passages] for s in t.sources],
        "tokens": t.lexical.lexicon.tokens,
        "surfaces": t.lexical.lexicon.surfaces,
    }
    out = {"meta": np.frombuffer(json.dumps(meta).encode("utf-8", "surrogatepass"), dtype=np.uint8)}
    for name in _STRINGS:
        out[f"{name}_blob"], out[f"{name}_len"] = _strings(getattr(t, name))
    for name in _ARRAYS:
        out[name] = getattr(t, name)
    for prefix, rows in (("tok", t.lexical.rows), ("head", t.headings)):
        for f in ("ptr", "ids", "tf", "length"):
            out[f"{prefix}_{f}"] = getattr(rows, f)
    return out


def save(store: Store, settings: IndexSettings, t: tables.Tables, *, wait: bool = False) -> None:
    """Write ``t`` for the next start, in the background (a failure is logged, never raised)."""

    def write() -> None:
        path = path_for(settings)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with _save_lock:
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(tmp, "wb") as f:
                    np.savez(f, **_payload(store, t))
                os.replace(tmp, path)
        except Exception as error:  # noqa: BLE001 - a cache: serving goes on without it
            log.info("could not save the retrieval tables to %s: %s", path, error)
            tmp.unlink(missing_ok=True)

    if wait:
        write()
        return
    thread = threading.Thread(target=write, name="quotebot-tables-save", daemon=True)
    _pending[:] = [t for t in _pending if t.is_alive()]
    _pending.append(thread)
    thread.start()


def wait() -> None:
    """Wait for the saves started so far (benchmarks, tests)."""
    while _pending:
        _pending.pop().join()


def load(store: Store, settings: IndexSettings) -> tables.Tables | None:
    """The saved tables of this store, or None (none saved, another layout or store, unreadable)."""
    path = path_for(settings)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8", "surrogatepass"))
            if (
                meta.get("layout") != _layout()
                or meta.get("model") != store.model
                or meta.get("dim") != store.dim
                or meta.get("collection") != store.collection_id()
            ):
                return None
            data = {k: z[k] for k in z.files if k != "meta"}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        log.info("ignoring the saved retrieval tables at %s: %s", path, error)
        return None
    strings = {n: _unstrings(data[f"{n}_blob"], data[f"{n}_len"]) for n in _STRINGS}
    rows = {
        p: TokenRows(*(data[f"{p}_{f}"] for f in ("ptr", "ids", "tf", "length"))) for p in ("tok", "head")
    }
    lexicon = Lexicon(meta["tokens"], meta["surfaces"])
    sources = [SourceInfo(*s) for s in meta["sources"]]
    return tables.Tables(
        generation=meta["generation"],
        collection=meta["collection"],
        memory_search=meta["memory_search"],
        **strings,
        **{k: meta["docs"][k] for k in _DOC_LISTS},
        **{k: data[k] for k in _ARRAYS},
        lexical=LexicalIndex(
            strings["texts"], tables.SpanView(strings["spans_raw"]), lexicon=lexicon, rows=rows["tok"]
        ),
        headings=rows["head"],
        sources=sources,
        row_of={pid: i for i, pid in enumerate(strings["ids"])},
        by_doc=tables.rows_by_doc(data["doc"], meta["docs"]["doc_ids"]),
        title_marks={},
    )
