"""The focus of a hit: the unit of its passage, or two adjacent units, closest to the question (bolded in the quote;
a heading's answer is the block under it; a code answer is its whole block)."""

from __future__ import annotations

import numpy as np

from .models import Passage


def pair_similarities(sims: np.ndarray, pair_norm: np.ndarray) -> np.ndarray:
    """Cosines of the question with each two adjacent units of one passage (their normalised sum), from the
    units' own cosines ``sims`` and the norms of the sums (``tables.Tables.pair_norm``). No vector is built."""
    if len(sims) < 2:
        return np.zeros(0, dtype=np.float32)
    return ((sims[:-1] + sims[1:]) / np.maximum(pair_norm[:-1], 1e-12)).astype(np.float32)


def focus_span(p: Passage, sims: np.ndarray, pair_sims: np.ndarray) -> tuple[int, int] | None:
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
        lo, hi = answer_units(p, lo, hi)
    a, b = p.sentences[lo][0], p.sentences[hi][1]
    if p.blocks:
        for blk in p.blocks:
            if blk.kind == "code" and blk.start < b and a < blk.end:
                a, b = min(a, blk.start), max(b, blk.end)
    return (a, b)


def answer_units(p: Passage, lo: int, hi: int) -> tuple[int, int]:
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
