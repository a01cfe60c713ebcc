"""Stopping an encode early: a stop event set by another thread, or Ctrl-C."""

from __future__ import annotations

import threading


class Stopper:
    """Tells the training loops to stop; ``catch_interrupt`` turns Ctrl-C into a stop request.

    Without ``catch_interrupt`` a ``KeyboardInterrupt`` propagates as usual. With it, the
    phase that was running keeps its best state and the encoder goes straight to the NN
    quantisation, so the best model so far is still returned.
    """

    def __init__(self, event: threading.Event | None = None, catch_interrupt: bool = False) -> None:
        self.event = event if event is not None else threading.Event()
        self.catch_interrupt = catch_interrupt

    def requested(self) -> bool:
        """True once a stop was asked for."""
        return self.event.is_set()

    def interrupted(self) -> None:
        """Called on ``KeyboardInterrupt``: record a stop, or re-raise when not catching."""
        if not self.catch_interrupt:
            raise KeyboardInterrupt
        self.event.set()
