"""Progress of an encode: the events reported to callbacks, with elapsed time and ETA."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class ProgressEvent:
    """Reported at every test point of every phase.

    ``iteration`` / ``total_iterations`` count inside the current phase; ``done`` /
    ``planned`` count the iterations of the whole encode (``planned`` assumes no phase
    stops early), ``elapsed_s`` is the time since the encode started and ``eta_s`` the
    estimated seconds left (None before the first iterations are timed).
    """

    phase: str
    iteration: int
    total_iterations: int
    loss: float
    bpp: float
    psnr_db: float | None
    done: int = 0
    planned: int = 0
    elapsed_s: float = 0.0
    eta_s: float | None = None


ProgressCallback = Callable[[ProgressEvent], None]


class ProgressClock:
    """Counts the iterations of an encode against its plan and estimates the time left."""

    def __init__(self, planned: int, callback: ProgressCallback | None) -> None:
        self.planned = planned
        self.callback = callback
        self.done = 0
        self.tests = 0
        self.start = time.perf_counter()

    def step(self, n: int = 1) -> None:
        """``n`` more training iterations were run."""
        self.done += n

    def tested(self) -> None:
        """One more test pass was run."""
        self.tests += 1

    def skip(self, n: int) -> None:
        """``n`` planned iterations will not run (a phase stopped early)."""
        self.replan(-n)

    def replan(self, change: int) -> None:
        """The plan gained ``change`` iterations (or lost them, if negative)."""
        self.planned = max(self.done, self.planned + change)

    def elapsed(self) -> float:
        """Seconds since the clock started."""
        return time.perf_counter() - self.start

    def report(self, phase: str, iteration: int, total: int, loss: float, bpp: float, psnr_db: float | None) -> None:
        """Send one event to the callback (if any)."""
        if self.callback is None:
            return
        elapsed = self.elapsed()
        eta = None if self.done == 0 else elapsed / self.done * max(0, self.planned - self.done)
        self.callback(ProgressEvent(phase, iteration, total, loss, bpp, psnr_db,
                                    self.done, self.planned, elapsed, eta))
