"""Torch intra-op thread count for the duration of a call, safe when calls overlap.

``torch.set_num_threads`` is process-wide. When calls overlap in several Python threads,
a plain save/set/restore in each can restore another call's value and leave the process
changed. :func:`torch_threads` counts the calls in progress: the first saves the process's
setting, the last restores it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_active = 0
_saved = 0


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` torch threads (``None``: leave the setting alone).

    When no such block is running any more, the thread count the process had before the
    first one is restored.
    """
    global _active, _saved
    import torch

    with _lock:
        if _active == 0:
            _saved = torch.get_num_threads()
        _active += 1
        if threads is not None:
            torch.set_num_threads(threads)
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0:
                torch.set_num_threads(_saved)
