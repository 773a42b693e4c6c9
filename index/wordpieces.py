"""Word-piece counts with the embedder's own tokenizer (``tokenizer.json`` of the packaged model), so that
every passage fits the encoder's window. Uses the Rust ``tokenizers`` library only: no torch, no download."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import lru_cache

WINDOW = 256  # all-MiniLM-L6-v2's max_seq_length, [CLS] and [SEP] included
SPECIAL = 2


@lru_cache(maxsize=1)
def _tokenizer():
    from tokenizers import Tokenizer

    from .embedding import model_path

    tok = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


_lock = threading.Lock()


def count(text: str) -> int:
    """Word pieces of ``text`` without the special tokens."""
    return counts([text])[0]


def counts(texts: Sequence[str]) -> list[int]:
    if not texts:
        return []
    with _lock:
        encs = _tokenizer().encode_batch(list(texts), add_special_tokens=False)
    return [len(e.ids) for e in encs]


def offsets(text: str) -> list[tuple[int, int]]:
    """Character span of each word piece of ``text``."""
    with _lock:
        enc = _tokenizer().encode(text, add_special_tokens=False)
    return list(enc.offsets)
