"""Stopping an encode early: a stop event set by another thread, Ctrl-C, or a deadline."""

from __future__ import annotations

import threading
import time


class Stopper:
    """Tells the training loops to stop; ``catch_interrupt`` turns Ctrl-C into a stop request.

    Without ``catch_interrupt`` a ``KeyboardInterrupt`` propagates as usual. With it, the
    phase that was running keeps its best state and the encoder goes straight to the NN
    quantisation, so the best model so far is still returned. Reaching ``deadline`` (a
    :func:`time.perf_counter` value) is a stop request too; the caller's ``event`` is not set.
    """

    def __init__(
        self, event: threading.Event | None = None, catch_interrupt: bool = False, deadline: float | None = None
    ) -> None:
        self.event = event if event is not None else threading.Event()
        self.catch_interrupt = catch_interrupt
        self.deadline = deadline

    def requested(self) -> bool:
        """True once a stop was asked for or the deadline has passed."""
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            return True
        return self.event.is_set()

    def interrupted(self) -> None:
        """Called on ``KeyboardInterrupt``: record a stop, or re-raise when not catching."""
        if not self.catch_interrupt:
            raise KeyboardInterrupt
        self.event.set()
