"""Make glibc keep large freed blocks for reuse while training.

Each training step allocates and frees tensors of tens of MB. glibc serves those with
``mmap`` and unmaps them on free, so every step pays page faults on fresh memory: measured
0.81 s -> 0.45 s CPU time per 768x512 iteration (1 thread) when the blocks are reused.
:func:`reuse_freed_memory` raises glibc's mmap and trim thresholds for the duration of a
call and restores the documented defaults (then trims) afterwards. No-op elsewhere.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_DEFAULT_THRESHOLD = 128 * 1024


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt  # noqa: B018 - glibc only
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError, TypeError):
        return None
    return libc


@contextmanager
def reuse_freed_memory() -> Iterator[None]:
    """Keep freed blocks up to 1 GiB in the heap while the block runs (glibc only)."""
    libc = _libc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30)
    libc.mallopt(_M_TRIM_THRESHOLD, (1 << 31) - 1)
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _DEFAULT_THRESHOLD)
        libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_THRESHOLD)
        libc.malloc_trim(0)
