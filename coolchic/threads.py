"""Torch intra-op thread count for the duration of a call, safe when calls overlap.

``torch.set_num_threads`` changes a process-wide setting (that each thread picks up
lazily). When calls that change it overlap in several Python threads, a plain
save/set/restore in each can restore another call's value and leave the process changed.
:func:`torch_threads` runs such calls one at a time (a re-entrant lock); calls that leave
the setting alone (``threads=None``) never wait.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.RLock()


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` torch threads, then restore the previous count.

    ``None`` runs the block as it is. Blocks that set a count are serialised.
    """
    if threads is None:
        yield
        return
    import torch

    with _lock:
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            yield
        finally:
            torch.set_num_threads(previous)
