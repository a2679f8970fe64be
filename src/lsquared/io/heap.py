"""glibc heap settings for processes that handle many large frames (``mallopt``, malloc.h;
no effect where glibc is absent)."""

from __future__ import annotations

import contextlib
import ctypes
import functools

#: mallopt parameters (glibc malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_PERTURB = -1, -3, -6


def _mallopt(param: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(param, value)


@functools.cache
def reuse_freed_buffers() -> None:
    """Keep freed image buffers in the heap for the next file or frame instead of returning
    them to the OS: by default glibc maps each allocation above 32 MB afresh, and the page
    faults of touching ~100 MB per buffer cost a third of the system time measured on a
    12-file batch, and ~40 ms per 4K float frame."""
    _mallopt(M_MMAP_THRESHOLD, 1 << 30)
    _mallopt(M_TRIM_THRESHOLD, (1 << 31) - 1)


@functools.cache
def fill_fresh_memory() -> None:
    """Make encodes reproducible: libx264's lookahead reads heap memory it has not written
    when the frame height is not a multiple of 16 (measured: one 192x108 clip encoded to
    different bytes run after run in one process; 256x144 did not; ``mbtree=0`` also cures
    it). With ``M_PERTURB`` glibc fills every allocation with the given byte XOR 0xFF, so
    0xFF makes them all zeros, as fresh pages from the kernel are: the same input gives the
    same bytes, which resumed batches rely on, and code that happens to rely on zeroed
    memory behaves as usual. Costs a memset per allocation (and freed blocks are filled
    with 0xFF)."""
    _mallopt(M_PERTURB, 0xFF)
