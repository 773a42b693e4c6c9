"""Giving freed heap memory back to the operating system."""

from __future__ import annotations

import contextlib
import ctypes


def return_free_memory() -> None:
    """Hand the heap pages freed so far back to the OS (glibc keeps them otherwise).

    A bot that re-indexes now and then crept up by 100 MB and more without it (benchmarks/soak.py); an indexing
    run keeps each group's encoder and Chroma buffers otherwise (SciFact subset: 90-130 MB per group)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)
